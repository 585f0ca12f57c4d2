"""Hostile uploads: zip bombs, millions of rows, slow and huge checks (issue 10, finding 4).

The archive's directory is bounded before any reader opens a workbook (``zipbounds``); every
check runs in a worker process with memory, CPU-time and file-size caps and a wall-clock limit;
``web.max_rows`` is counted while reading; a user has one check at a time and the server a few;
a check can be cancelled, an upload deleted, and a check cut off by a restart is not started
again on its own. The end-to-end tests run ``rescheduler serve`` as a process and measure its
memory from outside while it handles the bomb.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import anyio
import psutil
import pytest

from rescheduler.errors import InputFileError
from rescheduler.web.store import RunState, Store
from rescheduler.web.zipbounds import ZipLimits, check_workbook, declared_entries
from tests.bombs import many_parts_archive, many_rows_workbook, shared_strings_bomb
from tests.webserver import RssSampler, served, session, sign_in, upload_and_wait
from tests.webtools import (
    SAMPLE_BYTES,
    Client,
    add_user,
    cheap_passwords,  # noqa: F401  (autouse fixture)
    site,
    status,
    upload_form,
    wait_for,
    web_client,
)
from tests.webtools import sign_in as sign_in_test_client
from tests.webtools import upload as upload_test_client

SERVER_RSS_BAR_MB = 300


def _workbook(rows: int) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["appointId", "userAccount"])
    for n in range(rows):
        sheet.append([f"1747299260980168594453{n:08d}", "agent.li"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# -- the archive's bounds (no reader involved) ---------------------------------------------------
def test_a_shared_strings_bomb_is_refused_by_its_ratio(tmp_path: Path) -> None:
    bomb = shared_strings_bomb(tmp_path / "bomb.xlsx", 2_000_000)
    with pytest.raises(InputFileError, match=r"'xl/sharedStrings\.xml' .* times its packed size"):
        check_workbook(bomb)


def test_too_many_parts_are_refused_before_the_directory_is_parsed(tmp_path: Path) -> None:
    archive = many_parts_archive(tmp_path / "parts.xlsx", 1_500)
    assert declared_entries(archive) == 1_500
    with pytest.raises(InputFileError, match="holds 1,500 parts"):
        check_workbook(archive)


def test_declared_sizes_are_bounded_per_part_and_in_total(tmp_path: Path) -> None:
    book = tmp_path / "ok.xlsx"
    book.write_bytes(_workbook(2_000))
    check_workbook(book)  # a real workbook passes the default bounds
    with pytest.raises(InputFileError, match="in one part"):
        check_workbook(book, ZipLimits(max_entry_bytes=10_000))
    with pytest.raises(InputFileError, match="would unpack to 0 MB, more than"):
        check_workbook(book, ZipLimits(max_total_bytes=20_000))
    not_a_zip = tmp_path / "text.xlsx"
    not_a_zip.write_bytes(b"appointId\n1\n")
    check_workbook(not_a_zip)  # the reader says what is wrong with it


def test_the_row_limit_is_counted_while_reading(tmp_path: Path) -> None:
    from rescheduler.config import load_config
    from rescheduler.web.preview import check

    book = many_rows_workbook(tmp_path / "rows.xlsx", 300)
    config = load_config(None, environ={})
    with pytest.raises(InputFileError, match=r"more than 100 rows.*web\.max_rows"):
        check(book, tmp_path, config, "rows.xlsx", max_rows=100)
    assert check(book, tmp_path, config, "rows.xlsx", max_rows=300).rows == 300


# -- the real server, measured from outside ------------------------------------------------------
@pytest.mark.anyio
async def test_bombs_cost_the_server_no_memory(tmp_path: Path) -> None:
    """The issue's two hostile workbooks (a shared-strings bomb and 5,000,000 rows in a small
    file) and a bomb that passes the archive bounds (half a million long distinct shared
    strings: 116 MB unpacked, 20 times its packed size) but not the worker's memory cap: each
    is refused with a clear reason, the server's RSS stays under the bar and no worker is left
    behind."""
    bomb = shared_strings_bomb(tmp_path / "strings.xlsx", 20_000_000)
    rows = many_rows_workbook(tmp_path / "rows.xlsx", 5_000_000)
    dense = shared_strings_bomb(tmp_path / "dense.xlsx", 500_000, distinct=True, padding=200)
    expected = {
        bomb: "times its packed size",
        rows: "times its packed size",
        dense: "needs more memory than the page allows",
    }
    with served(tmp_path, "check_memory_mb = 128") as server:
        async with session() as client:
            csrf = await sign_in(client, server.url)
            for path, reason in expected.items():
                with RssSampler(server.process.pid) as peaks:
                    data, page, took = await upload_and_wait(client, server.url, csrf, path)
                size = path.stat().st_size / 1e6
                print(
                    f"\n{path.name} ({size:.1f} MB): {data['state']} in {took:.2f} s; "
                    f"server peak RSS {peaks.server_mb:.0f} MB, "
                    f"worker peak RSS {peaks.worker_mb:.0f} MB ({peaks.samples} samples)"
                )
                assert data["state"] == "unreadable"
                assert reason in page
                assert peaks.server_mb < SERVER_RSS_BAR_MB
                assert psutil.Process(server.process.pid).children() == []


@pytest.mark.anyio
async def test_a_check_over_its_time_is_stopped(tmp_path: Path) -> None:
    data = b"appointId,userAccount\n" + b"174729926098016859445364890001,a\n" * 50_000
    async with site(tmp_path, web="check_timeout_s = 0.3") as (client, _sim, _config):
        csrf = await sign_in_test_client(client)
        run_path = await upload_test_client(client, csrf, data)
        page = await (await client.get(run_path)).text()
        assert "Checking this file takes longer than the page allows" in page
        assert "web.check_timeout_s = 0.3 s" in page  # the detail, folded away


@pytest.mark.anyio
async def test_more_rows_than_web_max_rows_are_refused_early(tmp_path: Path) -> None:
    data = b"appointId,userAccount\n" + b"174729926098016859445364890001,a\n" * 5_000
    async with site(tmp_path, web="max_rows = 1000") as (client, _sim, config):
        csrf = await sign_in_test_client(client)
        run_path = await upload_test_client(client, csrf, data)
        page = await (await client.get(run_path)).text()
        assert "changes.csv, line 1002: the file has more than 1,000 rows" in page
        assert config.web.data_dir is not None
        run_dir = config.web.data_dir / "runs" / run_path.rsplit("/", 1)[1]
        assert not (run_dir / "validation.csv").exists()  # pass one stopped; nothing written


# -- one check per user, a few per server, cancel, delete, no restart ----------------------------
SLOW = b"appointId,userAccount\n" + b"174729926098016859445364890001,a\n" * 20_000


async def _post_upload(client: Client, csrf: str, data: bytes) -> tuple[int, str, str]:
    response = await client.post("/upload", data=upload_form(csrf, "changes.csv", data))
    return response.status, response.url.path, await response.text()


@pytest.mark.anyio
async def test_one_check_per_user_and_a_cancelled_check_leaves_no_worker(tmp_path: Path) -> None:
    async with site(tmp_path) as (client, _sim, config):
        csrf = await sign_in_test_client(client)
        code, run_path, _ = await _post_upload(client, csrf, SLOW)
        assert code == 200
        assert (await status(client, run_path))["state"] == "checking"
        code, _, page = await _post_upload(client, csrf, SAMPLE_BYTES)
        assert code == 429
        assert "You already have a file being checked" in page
        workers = psutil.Process().children()
        response = await client.post(run_path + "/cancel", data={"csrf": csrf})
        assert response.status == 200
        data = await status(client, run_path)
        assert data["state"] == "cancelled"
        assert data["message"] == "The check was cancelled by ann."
        assert all(not w.is_running() or w.status() == psutil.STATUS_ZOMBIE for w in workers)
        page = await (await client.get(run_path)).text()
        assert 'id="check-again"' in page
        # The user may upload again; the cancelled upload can be checked again, then deleted.
        assert (await upload_test_client(client, csrf)).startswith("/runs/")
        response = await client.post(run_path + "/check", data={"csrf": csrf})
        assert response.status == 200
        final = await wait_for(client, run_path, lambda s: s["state"] != "checking", 60)
        assert final["state"] == "ready"
        response = await client.post(run_path + "/delete", data={"csrf": csrf})
        assert response.status == 200
        assert "The upload and its files were deleted." in await response.text()
        assert (await client.get(run_path)).status == 404
        assert config.web.data_dir is not None
        assert not (config.web.data_dir / "runs" / run_path.rsplit("/", 1)[1]).exists()


@pytest.mark.anyio
async def test_checks_wait_for_a_free_slot_server_wide(tmp_path: Path) -> None:
    async with site(tmp_path, web="max_checks = 1") as (client, _simulator, config):
        add_user(config, "bo", "another good password")
        base = str(client.make_url("")).rstrip("/")
        async with session() as other:
            csrf = await sign_in_test_client(client)
            other_csrf = await sign_in(other, base, "bo", "another good password")
            _, first, _ = await _post_upload(client, csrf, SLOW)
            form = upload_form(other_csrf, "changes.csv", SAMPLE_BYTES)
            async with other.post(base + "/upload", data=form) as response:
                second = response.url.path
            async with other.get(base + second + "/status") as response:
                waiting = await response.json()
            assert waiting["state"] == "checking"
            assert waiting["message"].startswith("Waiting: other files are being checked")
            done = await wait_for(client, first, lambda s: s["state"] != "checking", 60)
            assert done["state"] == "ready"
            with anyio.fail_after(60):
                while waiting["state"] == "checking":
                    await anyio.sleep(0.05)
                    async with other.get(base + second + "/status") as response:
                        waiting = await response.json()
            assert waiting["state"] == "ready"


@pytest.mark.anyio
async def test_a_check_cut_off_by_a_restart_is_not_started_again(tmp_path: Path) -> None:
    async with site(tmp_path) as (client, _sim, config):
        csrf = await sign_in_test_client(client)
        run_path = await upload_test_client(client, csrf)
    assert config.web.data_dir is not None
    run_id = run_path.rsplit("/", 1)[1]
    store = Store(config.web.data_dir)
    store.update_run(run_id, state=RunState.CHECKING)  # as a crash mid-check leaves it
    store.close()
    async with web_client(config) as client:
        await sign_in_test_client(client)
        await anyio.sleep(0.3)
        assert psutil.Process().children() == []  # no worker was started
        data = await status(client, run_path)
        assert data["state"] == "cancelled"
        assert data["message"].startswith("The check did not finish before the page's server")
        assert 'id="check-again"' in await (await client.get(run_path)).text()


def test_zip_limits_default_to_what_the_module_says() -> None:
    limits = ZipLimits()
    assert limits.max_ratio == 100
    assert zipfile.ZIP_DEFLATED  # the bombs above are deflated archives
