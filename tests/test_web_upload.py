"""Uploading and checking: size limit, file types, malformed files, the preview."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.e2e import SK
from tests.webtools import (
    SAMPLE_BYTES,
    cheap_passwords,  # noqa: F401  (autouse fixture)
    page_text,
    sign_in,
    site,
    table_rows,
    upload,
    upload_form,
)

pytestmark = pytest.mark.anyio


def _runs_dir(tmp_path: Path) -> Path:
    return tmp_path / "web" / "runs"


async def test_preview_of_the_sample_sends_nothing(tmp_path: Path) -> None:
    async with site(tmp_path) as (client, simulator, _config):
        csrf = await sign_in(client)
        run_path = await upload(client, csrf)
        page = await (await client.get(run_path)).text()
        assert "checked, not sent" in page
        assert '<dd id="encoding">utf-8</dd>' in page
        assert '<dd id="delimiter">comma</dd>' in page
        assert '<dd id="timezone">Asia/Shanghai</dd>' in page
        assert '<dd id="rows">20</dd>' in page
        assert '<dd id="to-send">15</dd>' in page
        assert '<dd id="invalid-count">4</dd>' in page
        # every invalid row: line, column, reason
        invalid = {(r[0], r[1]): r[2] for r in table_rows(page, "invalid-rows")[1:]}
        assert invalid["17", "appointTime"].startswith("'2024-03-01 09:00' is in the past")
        assert invalid["18", "userAccount"].startswith("is required")
        assert invalid["19", "appointId"].startswith("looks like a number Excel converted")
        assert ("21", "appointTime") in invalid
        assert "duplicate of line 3" in page
        # the preview table: line, appointId, agent, the new time in the zone (UTC on hover),
        # remark, each with what the server has now; the exact request behind "show the request"
        sample = table_rows(page, "sample")
        assert sample[0][:5] == ["Line", "appointId", "Agent (userAccount)", "New time", "Remark"]
        first = sample[1]
        assert first[:5] == [
            "2",
            "174729926098016859445364890001",
            "agent.old → agent.li",
            "2030-01-01 08:00:00 → 2030-01-15 09:30 CST",
            "— → 客户要求改到上午回访",
        ]
        assert '<time title="2030-01-15 01:30:00 UTC">2030-01-15 09:30 CST</time>' in page
        assert "<summary>show the request</summary>" in page
        assert (
            f"POST {simulator.base_url}/rest/isales/v1/openapi/campaigns/1/appoint/update" in page
        )
        assert "&#34;appointId&#34;: &#34;174729926098016859445364890001&#34;" in page
        assert "&#34;appointTime&#34;: 1894671000000" in page  # epoch ms: in the request only
        assert "Start sending 15 rows" in page
        assert SK not in page
        assert "test-ak" not in page
        # the validation report, downloadable without sending anything: Excel for people,
        # CSV for scripts
        response = await client.get(run_path + "/files/validation")
        assert response.status == 200
        assert response.headers["Content-Disposition"].startswith(
            'attachment; filename="changes.validation.xlsx"'
        )
        book = load_workbook(io.BytesIO(await response.read()), read_only=True)
        cells = list(book.worksheets[0].iter_rows(values_only=True))
        assert len(cells) == 21
        assert cells[1][0] == "174729926098016859445364890001"  # text, all 30 digits
        response = await client.get(run_path + "/files/validation?format=csv")
        assert response.headers["Content-Disposition"].startswith(
            'attachment; filename="changes.validation.csv"'
        )
        rows = list(csv.DictReader(io.StringIO((await response.read()).decode("utf-8-sig"))))
        assert len(rows) == 20
        assert {r["status"] for r in rows} == {"skipped", "invalid"}
        to_fix = await client.get(run_path + "/files/validation-errors")
        assert to_fix.status == 200
        assert simulator.store.total_updates == 0
        assert (await client.get(run_path + "/files/results")).status == 404


async def test_an_oversized_upload_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    async with site(tmp_path, web="max_upload_mb = 0.001") as (client, _sim, _config):
        csrf = await sign_in(client)
        header = b"appointId,userAccount\n"
        # Over the limit by Content-Length: refused before reading the body.
        big = header + b"1,agent\n" * 100_000
        response = await client.post("/upload", data=upload_form(csrf, "big.csv", big))
        assert response.status == 413
        assert "The file is too large (0.8 MB): the limit is 0.001 MB" in await response.text()
        # Within Content-Length's slack but over the limit: refused while streaming.
        medium = header + b"1,agent\n" * 500
        response = await client.post("/upload", data=upload_form(csrf, "medium.csv", medium))
        assert response.status == 413
        assert "The file is too large" in await response.text()
        assert list(_runs_dir(tmp_path).iterdir()) == []
        assert "No uploads yet" in await (await client.get("/runs")).text()


async def test_files_of_another_type_are_refused(tmp_path: Path) -> None:
    async with site(tmp_path) as (client, _sim, _config):
        csrf = await sign_in(client)
        form = upload_form(csrf, "report.pdf", b"%PDF-1.4", "application/pdf")
        response = await client.post("/upload", data=form)
        assert response.status == 415
        text = page_text(await response.text())
        assert "report.pdf is not a file this page can read" in text
        assert "Save As as an Excel Workbook (.xlsx) or as CSV UTF-8 (.csv)" in text
        response = await client.post("/upload", data=upload_form(csrf, "empty.csv", b""))
        assert response.status == 400
        assert list(_runs_dir(tmp_path).iterdir()) == []


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("broken.xlsx", b"PK\x03\x04 this is not a workbook", "broken.xlsx"),
        ("columns.csv", b"id,agent\n1,a\n", "appointId"),
        ("utf16.csv", "appointId\n1\n".encode("utf-16-le"), "utf16.csv"),
    ],
)
async def test_a_malformed_file_is_reported_not_crashed(
    tmp_path: Path, name: str, data: bytes, expected: str
) -> None:
    async with site(tmp_path) as (client, _sim, _config):
        csrf = await sign_in(client)
        run_path = await upload(client, csrf, data, name=name)
        page = await (await client.get(run_path)).text()
        assert "cannot be used" in page
        assert expected in page
        assert str(tmp_path) not in page  # no server paths
        assert "Start sending" not in page
        status = (await client.get(run_path + "/status")).status
        assert status == 200
        assert (await client.get("/upload")).status == 200


async def test_the_uploaded_name_is_sanitised(tmp_path: Path) -> None:
    async with site(tmp_path) as (client, _sim, _config):
        csrf = await sign_in(client)
        run_path = await upload(client, csrf, SAMPLE_BYTES, name='..\\../x/<b>"换约"<i>.CSV')
        run_dir = _runs_dir(tmp_path) / run_path.rsplit("/", 1)[1]
        assert sorted(p.name for p in run_dir.iterdir() if p.name.startswith("input")) == [
            "input.csv"
        ]
        page = await (await client.get(run_path)).text()
        assert "<b>" not in page
        assert "_b__换约__i_.CSV" in page
        response = await client.get(run_path + "/files/input")
        assert (
            "filename*=UTF-8''_b__%E6%8D%A2%E7%BA%A6__i_.CSV"
            in response.headers["Content-Disposition"]
        )
        assert await response.read() == SAMPLE_BYTES


def _workbook(rows: list[list[str]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "changes"
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def test_an_excel_upload_shows_its_sheet_and_offers_excel_results(tmp_path: Path) -> None:
    data = _workbook(
        [
            ["appointId", "userAccount", "appointTime"],
            ["174729926098016859445364890001", "agent.li", "2030-01-15 09:30"],
            ["174729926098016859445364890002", "", "2030-01-15 10:00"],
        ]
    )
    async with site(tmp_path) as (client, _sim, _config):
        csrf = await sign_in(client)
        run_path = await upload(client, csrf, data, name="changes.xlsx")
        page = await (await client.get(run_path)).text()
        assert "<dt>Sheet</dt><dd>changes</dd>" in page
        assert '<input type="radio" name="format" value="xlsx" checked>' in page
        assert '<dd id="to-send">1</dd>' in page
        assert table_rows(page, "invalid-rows")[1][:2] == ["3", "userAccount"]


@pytest.mark.parametrize("name", ["formats.xls", "plain.ods"])
async def test_older_and_other_workbooks_are_checked(tmp_path: Path, name: str) -> None:
    data = (Path(__file__).parent / "fixtures" / "sheets" / name).read_bytes()
    async with site(tmp_path) as (client, _sim, _config):
        csrf = await sign_in(client)
        run_path = await upload(client, csrf, data, name=name)
        page = await (await client.get(run_path)).text()
        assert "cannot be used" not in page
        assert "<dt>Sheet</dt><dd>Changes</dd>" in page  # the visible sheet, not hidden "Old"
        assert '<input type="radio" name="format" value="xlsx" checked>' in page


async def test_a_long_list_of_invalid_rows_is_cut_with_a_pointer_to_the_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rescheduler.web import preview

    monkeypatch.setattr(preview, "MAX_LISTED", 2)
    data = b"appointId,userAccount\n" + b"x,agent\n" * 5
    async with site(tmp_path) as (client, _sim, _config):
        csrf = await sign_in(client)
        run_path = await upload(client, csrf, data)
        page = await (await client.get(run_path)).text()
        assert '<dd id="invalid-count">5</dd>' in page
        assert len(table_rows(page, "invalid-rows")) == 1 + 2
        assert "… and 3 more: the check report lists them all." in page
