"""Hostile files at Start (hostile-web finding 1): the run reads the upload in a bounded worker.

Before, the check was bounded but Start read the upload again inside the server process, on its
event loop: a 19 MB line of commas took the server from 328 to 643 MB and stalled everyone's
pages. Now every run is a worker process (``runjob.py``); the server only hears its progress.
Measured from outside, on ``rescheduler serve`` as a real process: the server's own CPU time and
memory while it starts a run of a file that is expensive to read.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import anyio
import psutil
import pytest

from tests.webserver import RssSampler, served, session, sign_in, upload_and_wait

pytestmark = pytest.mark.anyio
SERVER_RSS_BAR_MB = 300
COMMAS = 5_000_000  # one row 5 MB wide: cheap to make, costs the reader ~80 MB and a second


async def _status(client: Any, url: str) -> dict[str, Any]:
    async with client.get(url, headers={"Accept": "application/json"}) as response:
        data: dict[str, Any] = await response.json()
        return data


async def test_starting_a_file_that_is_costly_to_read_costs_the_server_nothing(
    tmp_path: Path,
) -> None:
    wide = tmp_path / "commas.csv"
    wide.write_bytes(b"appointId,userAccount\n174729926098016859445364890001,a" + b"," * COMMAS)
    sections = '[auth]\naccess_key = "ak"\n[send]\nmax_attempts = 1\n'
    env = {"RESCHEDULER_SECRET_KEY": "sk-of-the-test"}
    with served(tmp_path, sections=sections, env=env) as server:
        async with session() as client:
            csrf = await sign_in(client, server.url)
            checked, _page, _took = await upload_and_wait(client, server.url, csrf, wide)
            assert checked["state"] == "ready", checked
            run_path = _page_path(_page)
            me = psutil.Process(server.process.pid)
            cpu_before = sum(me.cpu_times()[:2])
            rss_before = me.memory_info().rss / 1e6
            latencies = []
            with RssSampler(server.process.pid) as peaks:
                form = {"csrf": csrf, "format": "csv"}
                async with client.post(server.url + run_path + "/start", data=form) as response:
                    assert response.status == 200
                with anyio.fail_after(60):
                    while True:
                        began = time.monotonic()
                        data = await _status(client, server.url + run_path + "/status")
                        latencies.append(time.monotonic() - began)
                        if not data["active"]:
                            break
                        await anyio.sleep(0.05)
            cpu = sum(me.cpu_times()[:2]) - cpu_before
    print(
        f"\nrun of a {wide.stat().st_size / 1e6:.0f} MB line: {data['state']}; server CPU "
        f"{cpu:.2f} s, RSS {rss_before:.0f} -> peak {peaks.server_mb:.0f} MB; worker peak "
        f"{peaks.worker_mb:.0f} MB; status requests {len(latencies)}, slowest "
        f"{max(latencies):.3f} s"
    )
    assert data["state"] in ("stopped", "failed", "finished")
    assert data["total"] == 1  # the worker read the file: its one row was counted
    assert peaks.server_mb < SERVER_RSS_BAR_MB
    assert peaks.server_mb - rss_before < 30  # the row alone is ~40 MB of cell references
    assert cpu < 0.8  # reading the line twice costs ~1.5 s of CPU; the server only listened
    assert peaks.worker_mb > 0  # a worker did the reading


def _page_path(page: str) -> str:
    import re

    found = re.search(r'action="(/runs/[A-Za-z0-9_-]+)/start"', page)
    assert found is not None, "no Start form on the run page"
    return found.group(1)


async def test_a_sheet_of_300000_columns_costs_the_server_nothing_to_show_or_convert(
    tmp_path: Path,
) -> None:
    """What the check wrote from such a sheet is as hostile as the sheet: its preview kept
    every header (the server loaded them all at Start and on each page) and its validation
    file was converted to Excel in the server process. Now the preview keeps 200 headers and
    the count, and a worker converts (here it cannot: Excel has 16,384 columns; the page then
    hands out the CSV)."""
    wide = tmp_path / "wide.csv"
    head = "appointId,userAccount," + ",".join(f"c{n}" for n in range(300_000))
    row = "\n174729926098016859445364890001,a" + "," * 300_000  # every cell written
    wide.write_text(head + row * 3 + "\n", encoding="utf-8")
    with served(tmp_path) as server:
        async with session() as client:
            csrf = await sign_in(client, server.url)
            checked, page, _took = await upload_and_wait(client, server.url, csrf, wide)
            assert checked["state"] == "ready", checked
            run_path = _page_path(page)
            me = psutil.Process(server.process.pid)
            rss_before = me.memory_info().rss / 1e6
            with RssSampler(server.process.pid) as peaks:
                async with client.get(server.url + run_path + "/files/validation") as response:
                    assert response.status == 200
                    workbook = await response.read()
                async with client.get(server.url + run_path) as response:
                    page = await response.text()
    preview = server.data_dir / "runs" / run_path.rsplit("/", 1)[1] / "preview.json"
    print(
        f"\n300,000 columns: preview.json {preview.stat().st_size / 1e3:.0f} KB, page "
        f"{len(page) / 1e3:.0f} KB; server RSS {rss_before:.0f} -> peak {peaks.server_mb:.0f} MB"
        f" while converting; worker peak {peaks.worker_mb:.0f} MB"
    )
    assert workbook.startswith("\ufeffappointId,userAccount,c0".encode())  # wider than Excel
    assert preview.stat().st_size < 50_000
    assert peaks.server_mb - rss_before < 30
    assert peaks.worker_mb > 0  # the conversion ran in a worker
