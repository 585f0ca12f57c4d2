"""Sending from the page: start, live status, stop, resume, restart, results and history."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import anyio
import pytest
from openpyxl import load_workbook

from rescheduler.simulator.server import running_simulator
from rescheduler.web.notes import show
from rescheduler.web.store import RunState, Store
from tests.e2e import AK, SK, sim
from tests.webtools import (
    Client,
    add_user,
    cheap_passwords,  # noqa: F401  (autouse fixture)
    page_text,
    sample_store,
    sign_in,
    site,
    start,
    status,
    upload,
    wait_for,
    web_client,
    web_config,
)

pytestmark = pytest.mark.anyio
# The automatic reservation (line 15) is invalid, not sent: the snapshot before the run lists it.
SAMPLE_OUTCOME = {"succeeded": 12, "failed": 2, "invalid": 5, "skipped": 1, "not_sent": 0}


def _ended(data: dict[str, object]) -> bool:
    return not data["active"]


async def _csv(client: Client, url: str) -> list[dict[str, str]]:
    response = await client.get(url)
    assert response.status == 200, url
    return list(csv.DictReader(io.StringIO((await response.read()).decode("utf-8-sig"))))


async def test_a_run_from_start_to_downloaded_results(tmp_path: Path) -> None:
    async with site(tmp_path) as (client, simulator, _config):
        csrf = await sign_in(client)
        run_path = await upload(client, csrf)
        await start(client, run_path, csrf)
        final = await wait_for(client, run_path, _ended)
        assert final["state"] == "finished"
        assert final["counts"] == SAMPLE_OUTCOME
        assert final["done"] == final["total"] == 20
        assert simulator.store.total_updates == 12
        page = await (await client.get(run_path)).text()
        assert "Download results (.csv)" in page
        text = page_text(page)
        assert "12 of 20 rows rescheduled" in text
        assert "7 rows still need you" in text  # 2 failed, 5 invalid
        reasons = text.split("Why rows were not rescheduled", 1)[1]
        assert "server.04000004 × 1 — 04000004 the reservation does not exist" in reasons
        # "too long" names the field (servercodes.py)
        assert "server.02000003 × 1 — 02000003 too long; the request had remark (250 c" in reasons
        assert final["job"]["to_fix"] == 7
        assert final["job"]["duplicates"] == 1
        results = await _csv(client, run_path + "/files/results")
        assert [int(r["line"]) for r in results] == list(range(2, 22))
        by_line = {int(r["line"]): r for r in results}
        assert by_line[2]["status"] == "succeeded"
        assert by_line[2]["resultCode"] == "0200000"
        assert by_line[14]["status"] == "failed"
        assert by_line[14]["resultCode"] == "04000004"
        assert by_line[17]["status"] == "invalid"
        assert by_line[15]["error_code"] == "automatic"
        assert by_line[2]["before_userAccount"] == "agent.old"  # beside the outcome
        errors = await _csv(client, run_path + "/files/errors")
        assert sorted(int(r["line"]) for r in errors) == [14, 15, 16, 17, 18, 19, 21]
        assert all(r["error"] for r in errors)
        assert "Download undo file (.csv)" in page
        undo = await _csv(client, run_path + "/files/undo")
        assert [int(r["undoes_line"]) for r in undo] == list(range(2, 14))
        assert {r["userAccount"] for r in undo} == {"agent.old"}
        response = await client.get(run_path + "/files/undo")
        assert response.headers["Content-Disposition"].startswith(
            'attachment; filename="changes.undo.csv"'
        )
        history = await (await client.get("/runs")).text()
        assert "changes.csv" in history
        assert ">ann<" in history
        assert ">12<" in history
        # Everything a page or the status says is free of the credentials.
        for body in (page, history, str(final)):
            assert SK not in body
            assert AK not in body


async def test_excel_results(tmp_path: Path) -> None:
    async with site(tmp_path) as (client, _sim, _config):
        csrf = await sign_in(client)
        run_path = await upload(client, csrf)
        await start(client, run_path, csrf, fmt="xlsx")
        assert (await wait_for(client, run_path, _ended))["state"] == "finished"
        response = await client.get(run_path + "/files/results")
        assert response.headers["Content-Disposition"].startswith(
            'attachment; filename="changes.results.xlsx"'
        )
        book = load_workbook(io.BytesIO(await response.read()), read_only=True)
        rows = list(book.worksheets[0].iter_rows(values_only=True))
        assert len(rows) == 21
        header = rows[0]
        assert rows[1][header.index("status")] == "succeeded"
        assert (await client.get(run_path + "/files/errors")).status == 200


async def test_stop_leaves_rows_not_sent_and_resume_finishes_them(tmp_path: Path) -> None:
    knobs = {"latency_ms": 100}
    async with site(tmp_path, sim_knobs=knobs, concurrency=1) as (client, simulator, _cfg):
        csrf = await sign_in(client)
        run_path = await upload(client, csrf)
        await start(client, run_path, csrf)
        await wait_for(client, run_path, lambda s: s.get("counts", {}).get("succeeded", 0) >= 2)
        response = await client.post(run_path + "/stop", data={"csrf": csrf})
        assert response.status == 200
        stopped = await wait_for(client, run_path, _ended)
        assert stopped["state"] == "stopped"
        not_sent = stopped["counts"]["not_sent"]
        assert not_sent > 0
        # Honest numbers: the rows not sent are not "done"; the bar is not full.
        job = stopped["job"]
        assert job["not_sent"] == not_sent
        assert job["handled"] == 20 - not_sent < job["total"] == 20
        assert not job["complete"]
        page = await (await client.get(run_path)).text()
        text = page_text(page)
        assert "Stopped by ann. The rows not sent yet can be sent with Resume." in text
        assert f"Resume: send the {not_sent} rows not sent yet" in text
        assert f'<progress id="bar" max="20" value="{20 - not_sent}"' in page
        results = await _csv(client, run_path + "/files/results")
        assert len(results) == 20
        assert sum(r["status"] == "not_sent" for r in results) == stopped["counts"]["not_sent"]
        sent_before = simulator.store.total_updates
        await start(client, run_path, csrf)
        final = await wait_for(client, run_path, _ended)
        assert final["state"] == "finished"
        assert final["counts"]["not_sent"] == 0
        assert final["counts"]["succeeded"] + sent_before == 12
        results = await _csv(client, run_path + "/files/results")
        earlier = [r for r in results if r["error_code"] == "already_succeeded"]
        assert len(earlier) == sent_before
        # The run and its resume read as one job.
        assert final["job"]["rescheduled"] == 12
        assert final["job"]["earlier"] == sent_before
        assert final["job"]["complete"]
        text = page_text(await (await client.get(run_path)).text())
        assert f"12 of 20 rows rescheduled ({sent_before} in the first attempt)" in text


async def test_one_run_sends_at_a_time(tmp_path: Path) -> None:
    async with site(tmp_path, sim_knobs={"latency_ms": 100}, concurrency=1) as (client, _s, _c):
        csrf = await sign_in(client)
        first = await upload(client, csrf)
        second = await upload(client, csrf)
        await start(client, first, csrf)
        response = await client.post(second + "/start", data={"csrf": csrf})
        assert "?notice=busy" in str(response.url)
        page = await response.text()
        assert "Another run is sending right now" in page
        assert f'<a href="{first}" id="busy-link">See the run that is sending</a>' in page
        assert (await status(client, second))["state"] == "ready"
        await client.post(first + "/stop", data={"csrf": csrf})
        await wait_for(client, first, _ended)


async def test_after_a_restart_a_cut_off_run_is_interrupted_and_resumable(tmp_path: Path) -> None:
    async with running_simulator(sim(latency_ms=100), sample_store()) as simulator:
        config = web_config(tmp_path, simulator.base_url, concurrency=1)
        add_user(config)
        assert config.web.data_dir is not None
        async with web_client(config) as client:
            csrf = await sign_in(client)
            run_path = await upload(client, csrf)
            await start(client, run_path, csrf)
            await wait_for(client, run_path, lambda s: s.get("counts", {}).get("succeeded", 0))
        # The server shut down cleanly: the run stopped, its report is complete.
        run_id = run_path.rsplit("/", 1)[1]
        store = Store(config.web.data_dir)
        record = store.get_run(run_id)
        assert record is not None
        assert record.state == RunState.STOPPED
        assert show(record.message).text.startswith("The page's server was shut down")
        assert show(record.message).detail == "the web server was shut down"
        # A crash leaves it "running" in the database; the next start calls it interrupted.
        store.update_run(run_id, state=RunState.RUNNING)
        store.close()
        async with web_client(config) as client:
            csrf = await sign_in(client)
            data = await status(client, run_path)
            assert data["state"] == "interrupted"
            page = page_text(await (await client.get(run_path)).text())
            assert "rows not sent yet" in page
            assert "Resume: send the" in page
            await start(client, run_path, csrf)
            final = await wait_for(client, run_path, _ended)
            assert final["state"] == "finished"
            assert final["counts"]["not_sent"] == 0
        assert simulator.store.total_updates == 12


async def test_rejected_credentials_stop_the_run_without_showing_the_key(tmp_path: Path) -> None:
    async with site(tmp_path, access_key="not-the-right-ak") as (client, _sim, _config):
        csrf = await sign_in(client)
        run_path = await upload(client, csrf)
        await start(client, run_path, csrf)
        final = await wait_for(client, run_path, _ended)
        assert final["state"] == "stopped"
        assert "not-the-right-ak" not in str(final)
        assert final["message"].startswith("The iSales server refused this page's credentials")
        assert "Ask your administrator" in final["message"]
        assert "rejected access key '***'" in final["detail"]  # folded away on the page
        page = await (await client.get(run_path)).text()
        assert "<summary>Details for your administrator</summary>" in page
        assert "not-the-right-ak" not in page
        assert SK not in page


async def test_missing_credentials_fail_before_sending(tmp_path: Path) -> None:
    async with site(tmp_path, access_key="") as (client, _sim, _config):
        csrf = await sign_in(client)
        run_path = await upload(client, csrf)
        await start(client, run_path, csrf)
        final = await wait_for(client, run_path, _ended)
        assert final["state"] == "failed"
        assert final["message"] == (
            "The run could not start because of the page's settings. Ask your administrator."
        )
        assert final["detail"].startswith("auth.access_key is not set")


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
async def test_no_file_of_a_rejected_run_names_the_access_key(tmp_path: Path, fmt: str) -> None:
    """Issue 10, finding 5: the rows not sent after a 401 used to read "the server rejected
    access key '<the key>'" in the results and rows-to-fix files."""
    key = "not-the-right-ak"
    async with site(tmp_path, access_key=key) as (client, _sim, config):
        csrf = await sign_in(client)
        run_path = await upload(client, csrf)
        await start(client, run_path, csrf, fmt=fmt)
        final = await wait_for(client, run_path, _ended)
        assert final["state"] == "stopped"
        texts = []
        for kind in ("results", "errors", "validation", "validation-errors", "input"):
            response = await client.get(f"{run_path}/files/{kind}")
            assert response.status == 200, kind
            data = await response.read()
            if data.startswith(b"PK"):
                book = load_workbook(io.BytesIO(data), read_only=True)
                cells = book.worksheets[0].iter_rows(values_only=True)
                texts.append(" ".join(str(c) for row in cells for c in row))
            else:
                texts.append(data.decode("utf-8-sig"))
        everything = "\n".join(texts)
        assert "rejected access key '***'" in everything  # the reason is still given
        assert key not in everything
        assert SK not in everything
        assert config.auth.access_key == key


async def test_a_run_from_the_page_alerts_and_leaves_a_record_without_the_access_key(
    tmp_path: Path,
) -> None:
    from tests.hookserver import Receiver, running_receiver
    from tests.recordcheck import valid_record

    async with running_receiver(Receiver(answers=[(204, b"")])) as receiver:
        notify = f'[notify]\nformat = "json"\nurl = "{receiver.base_url}/hook"\non = "always"\n'
        async with site(tmp_path, web=notify) as (client, _simulator, config):
            csrf = await sign_in(client)
            run_path = await upload(client, csrf)
            await start(client, run_path, csrf)
            assert (await wait_for(client, run_path, _ended))["state"] == "finished"
            assert receiver.arrived is not None
            with anyio.fail_after(10):
                await receiver.arrived.wait()
            page = await (await client.get(run_path)).text()
    assert config.web.data_dir is not None
    run_dir = config.web.data_dir / "runs" / run_path.rsplit("/", 1)[1]
    (record_file,) = run_dir.glob("*.run.json")
    record = valid_record(record_file)
    assert record["rows"] == {"total": 20, **SAMPLE_OUTCOME}
    assert record["config"]["auth"]["access_key"] == "***"
    assert record["notification"]["status"] == "delivered"
    alert = valid_record(receiver.received[0].body)  # the json format: the record itself
    assert alert["notification"]["status"] == "pending"
    for text in (record_file.read_text(encoding="utf-8"), receiver.received[0].raw.decode()):
        assert AK not in text
        assert SK not in text
    assert ".run.json" not in page  # the record stays on the server
