"""What the hostile tester found after issues 10 and 11 (branch hostile-web), each pinned here.

Finding 2 (one small upload left a gigabyte on disk), 5 (Check again + Cancel at once wedged
the user), 6 (retention ignored Check again), 7 (error messages repeated whole cells), 8 (the
secret key in the check worker's environment), 10 (a huge multipart part header: 500), 11
(formula injection through ``;``) and the minor ones (Origin scheme, Cancel's notice, line
breaks in the audit log).
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import Any

import anyio
import psutil
import pytest

from rescheduler.models import RowResult, Status
from rescheduler.web.audit import AuditLog
from rescheduler.web.context import CONTEXT
from rescheduler.web.store import RunState
from rescheduler.write.report import ReportWriter
from rescheduler.write.table import TableWriter
from tests.webtools import (
    SAMPLE_BYTES,
    Client,
    cheap_passwords,  # noqa: F401  (autouse fixture)
    sign_in,
    site,
    status,
    upload,
    upload_form,
    wait_for,
)

pytestmark = pytest.mark.anyio
SLOW = b"appointId,userAccount\n" + b"174729926098016859445364890001,a\n" * 20_000


def _wide_csv(columns: int, rows: int, *, full: bool = False) -> bytes:
    """A header of ``columns`` names and ``rows`` rows of two cells (the reports pad every
    row; the rows are invalid, as short rows), or ``full``: every cell written, valid."""
    head = "appointId,userAccount," + ",".join(f"c{i}" for i in range(columns - 2))
    empty = "," * (columns - 2) if full else ""
    return (head + "\n" + "".join(f"{10**15 + i},a{empty}\n" for i in range(rows))).encode()


def _folder_bytes(config: Any, run_path: str) -> dict[str, int]:
    folder = config.web.data_dir / "runs" / run_path.rsplit("/", 1)[1]
    return {entry.name: entry.stat().st_size for entry in os.scandir(folder)}


async def _upload(client: Client, csrf: str, data: bytes, name: str = "changes.csv") -> Any:
    return await client.post("/upload", data=upload_form(csrf, name, data))


# -- finding 2: the disk an upload may cost ------------------------------------------------------
async def test_a_wide_sheet_is_refused_by_its_cells_before_its_reports_are_written(
    tmp_path: Path,
) -> None:
    """20,000 columns x 1,000 short rows (170 KB) used to leave a 20 MB validation report (the
    tester's 3.4 MB one: 1.13 GB). Now the cells are counted while reading."""
    data = _wide_csv(20_000, 1_000)
    async with site(tmp_path) as (client, _sim, config):
        csrf = await sign_in(client)
        run_path = await upload(client, csrf, data)
        final = await status(client, run_path)
        assert final["state"] == "unreadable"
        assert final["message"].startswith("The file has more cells (rows times columns)")
        assert "web.max_cells" in final["detail"]
        files = _folder_bytes(config, run_path)
    assert list(files) == ["input.csv"], files  # nothing but the upload is left
    assert sum(files.values()) == len(data)


async def test_a_check_past_its_output_cap_is_refused_and_leaves_only_the_upload(
    tmp_path: Path,
) -> None:
    web = "max_cells = 100000000\nmax_output_mb = 1"
    data = _wide_csv(2_000, 1_000)  # ~2 MB of commas in each report
    async with site(tmp_path, web=web) as (client, _sim, config):
        csrf = await sign_in(client)
        run_path = await upload(client, csrf, data)
        final = await status(client, run_path)
        assert final["state"] == "unreadable", final
        assert final["message"].startswith("Checking this file would write more than the page")
        assert final["detail"] == "web.max_output_mb = 1: 1 MB"
        assert list(_folder_bytes(config, run_path)) == ["input.csv"]


async def test_each_person_has_a_disk_quota(tmp_path: Path) -> None:
    data = _wide_csv(10, 3_000, full=True)  # ~90 KB; its check writes about as much again
    async with site(tmp_path, web="quota_mb = 0.15") as (client, _sim, config):
        csrf = await sign_in(client)
        first = await upload(client, csrf, data)
        assert (await status(client, first))["state"] == "ready"
        assert sum(_folder_bytes(config, first).values()) > 150_000
        response = await _upload(client, csrf, data)
        assert response.status == 413
        page = await response.text()
        assert "MB of the 0.15 MB the page keeps for each person" in page
        assert "Delete uploads you no longer need (History)" in page
        assert config.web.data_dir is not None
        assert len(os.listdir(config.web.data_dir / "runs")) == 1  # nothing kept of it
        response = await client.post(first + "/delete", data={"csrf": csrf})
        assert response.status == 200
        assert (await upload(client, csrf, data)).startswith("/runs/")


# -- finding 5: Check again and Cancel at the same moment -----------------------------------------
async def test_a_check_cancelled_before_it_first_runs_is_settled_and_frees_the_user(
    tmp_path: Path,
) -> None:
    """The tester's wedge.py: the Cancel request was handled before the check's task first ran,
    so its clean-up never ran: the run stayed 'checking' and the user got 429 until a restart.
    The same order of events, without the race: start and cancel in one step of the loop."""
    async with site(tmp_path) as (client, _sim, _config):
        csrf = await sign_in(client)
        run_path = await upload(client, csrf)
        run_id = run_path.rsplit("/", 1)[1]
        assert client.app is not None
        ctx = client.app[CONTEXT]
        ctx.store.update_run(run_id, state=RunState.CHECKING)
        assert ctx.checks.claim("ann") is None
        ctx.checks.start(run_id, "ann")
        assert ctx.checks.cancel(run_id, "ann")  # before the task has run at all
        await ctx.checks.wait(run_id)
        data = await status(client, run_path)
        assert data["state"] == "cancelled"
        assert data["message"] == "The check was cancelled by ann."
        assert not ctx.checks.active(run_id)
        assert (await upload(client, csrf)).startswith("/runs/")  # no 429


async def test_cancel_on_a_run_not_being_checked_says_so(tmp_path: Path) -> None:
    async with site(tmp_path) as (client, _sim, _config):
        csrf = await sign_in(client)
        run_path = await upload(client, csrf)
        response = await client.post(run_path + "/cancel", data={"csrf": csrf})
        page = await response.text()
        assert "The check was cancelled." not in page
        assert "This file is not being checked, so there was nothing to cancel." in page


# -- finding 6: retention counts from the last activity ------------------------------------------
async def test_a_rechecked_old_upload_is_not_deleted_by_retention(tmp_path: Path) -> None:
    async with site(tmp_path, web="keep_days = 90") as (client, _sim, _config):
        csrf = await sign_in(client)
        run_path = await upload(client, csrf)
        run_id = run_path.rsplit("/", 1)[1]
        assert client.app is not None
        runs = client.app[CONTEXT].runs
        old = runs.store.now() - 100 * 86_400
        runs.store._db.execute(
            "UPDATE run SET state = 'cancelled', uploaded = ?, touched = ? WHERE id = ?",
            (old, old, run_id),
        )
        response = await client.post(run_path + "/check", data={"csrf": csrf})  # Check again
        assert response.status == 200
        assert (await wait_for(client, run_path, lambda s: not s["active"]))["state"] == "ready"
        assert await runs.expire() == []
        assert (await client.get(run_path)).status == 200


# -- finding 7: a message quotes at most a few dozen characters of a cell -------------------------
async def test_a_huge_id_is_not_repeated_whole_in_the_messages(tmp_path: Path) -> None:
    huge = "1" + "0" * 30_000  # reads as an ID that Excel turned into a number
    data = ("appointId,userAccount\n" + f"{huge},a\n" * 60).encode()
    async with site(tmp_path) as (client, _sim, config):
        csrf = await sign_in(client)
        run_path = await upload(client, csrf, data)
        assert (await status(client, run_path))["state"] == "ready"
        page = await (await client.get(run_path)).text()
        assert config.web.data_dir is not None
        preview = config.web.data_dir / "runs" / run_path.rsplit("/", 1)[1] / "preview.json"
        listed = json.loads(preview.read_text(encoding="utf-8"))["invalid"]
        errors = (preview.parent / "validation.errors.csv").read_bytes()
    assert len(listed) == 60
    message = listed[0]["problems"][0]["message"]
    assert message.startswith("looks like a number Excel converted (1000000")
    assert len(message) < 200
    assert preview.stat().st_size < 40_000  # was 60 x 30 KB
    assert len(page) < 200_000
    assert errors.count(huge.encode()) == 60  # the cells themselves are kept whole in the files


# -- finding 8: no secret in a worker's environment -----------------------------------------------
async def _new_worker_environ(known: set[int]) -> bytes:
    """The environment of the first child process not in ``known`` (which it joins)."""
    with anyio.fail_after(20):
        while True:
            for child in psutil.Process().children():
                if child.pid in known:
                    continue
                try:
                    environ = await anyio.Path(f"/proc/{child.pid}/environ").read_bytes()
                except OSError:
                    continue
                known.add(child.pid)
                return environ
            await anyio.sleep(0.005)


async def test_no_worker_has_the_keys_in_its_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RESCHEDULER_SECRET_KEY", "sk-in-the-environment")
    monkeypatch.setenv("RESCHEDULER_ACCESS_KEY", "ak-in-the-environment")
    monkeypatch.setenv("SOME_API_TOKEN", "token-in-the-environment")
    known = {child.pid for child in psutil.Process().children()}
    async with site(tmp_path, sim_knobs={"latency_ms": 50}, concurrency=1) as (client, _s, _c):
        csrf = await sign_in(client)
        response = await _upload(client, csrf, SAMPLE_BYTES)
        check = await _new_worker_environ(known)
        run_path = response.url.path
        assert (await wait_for(client, run_path, lambda s: not s["active"]))["state"] == "ready"
        response = await client.post(run_path + "/start", data={"csrf": csrf, "format": "csv"})
        assert response.status == 200
        run = await _new_worker_environ(known)
        final = await wait_for(client, run_path, lambda s: not s["active"], 60)
        assert final["state"] == "finished"  # the run worker had its keys: through its pipe
    for environ in (check, run):
        assert b"in-the-environment" not in environ
        assert b"PATH=" in environ


# -- finding 10: malformed multipart parts are a 400 --------------------------------------------
BOUNDARY = "----hostileboundary"


def _multipart(csrf: str, extra_headers: bytes) -> bytes:
    return (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n{csrf}\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="x.csv"\r\n'
    ).encode() + extra_headers + (
        b"Content-Type: text/csv\r\n\r\nappointId,userAccount\r\n1000000000000001,a\r\n"
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )


@pytest.mark.parametrize(
    "extra",
    [b"X-a: " + b"y" * 9_000 + b"\r\n", b"".join(b"X-%d: y\r\n" % n for n in range(200))],
    ids=["a 9 KB part header", "200 part headers"],
)
async def test_a_part_with_a_huge_or_many_headers_is_a_400(tmp_path: Path, extra: bytes) -> None:
    async with site(tmp_path) as (client, _sim, _config):
        csrf = await sign_in(client)
        response = await client.post(
            "/upload",
            data=_multipart(csrf, extra),
            headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
        )
        assert response.status == 400
        page = await response.text()
        assert "The form could not be read: its parts are malformed" in page
        assert "Traceback" not in page
        assert (await upload(client, csrf)).startswith("/runs/")  # the claim was given back


# -- finding 11: ; and tab (list separators) are quoted in every CSV written ----------------------
SPLIT = ["x;=1+1;y", "a\t=2+2", "plain"]


def test_report_cells_with_a_list_separator_are_quoted(tmp_path: Path) -> None:
    path = tmp_path / "results.csv"
    writer = ReportWriter(path, ["appointId", "remark", "note"])
    writer.write(RowResult(2, Status.INVALID, tuple(SPLIT), error="e"))
    writer.close()
    raw = path.read_text(encoding="utf-8-sig")
    assert '"x;=1+1;y","a\t=2+2",plain,' in raw
    row = list(csv.reader(io.StringIO(raw)))[1]
    assert row[:3] == SPLIT


def test_table_cells_with_a_list_separator_are_quoted(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    with TableWriter.for_path(path, ["appointId", "remark", "note"]) as table:
        table.write(SPLIT)
        table.write(["1", "2", "3"])
    raw = path.read_text(encoding="utf-8-sig")
    assert list(csv.reader(io.StringIO(raw)))[1] == SPLIT
    lines = raw.splitlines()
    assert lines[1] == '"x;=1+1;y","a\t=2+2",plain'
    assert lines[2] == "1,2,3"  # rows without one stay as they were


# -- minor findings --------------------------------------------------------------------------------
async def test_an_origin_with_another_scheme_is_refused(tmp_path: Path) -> None:
    async with site(tmp_path) as (client, _sim, _config):
        csrf = await sign_in(client)
        host = f"{client.server.host}:{client.server.port}"
        form = upload_form(csrf, "changes.csv", SAMPLE_BYTES)
        origin = {"Origin": f"https://{host}"}
        response = await client.post("/upload", data=form, headers=origin)
        assert response.status == 403
        assert "This form was sent from another site." in await response.text()
        origin = {"Origin": f"http://{host}"}
        form = upload_form(csrf, "changes.csv", SAMPLE_BYTES)
        response = await client.post("/upload", data=form, headers=origin)
        assert response.status == 200


def test_the_audit_log_escapes_unicode_line_breaks(tmp_path: Path) -> None:
    log = AuditLog(tmp_path, clock=lambda: 1.0)
    name = 'ann\u2028{"event":"sign-in","user":"root"}\u2029\x85'
    log.record("sign-in-failed", name, "127.0.0.1")
    text = log.path.read_text(encoding="utf-8")
    assert len(text.splitlines()) == 1
    assert "\u2028" not in text
    assert "\\u2028" in text
    (entry,) = log.entries()
    assert entry["user"] == name
