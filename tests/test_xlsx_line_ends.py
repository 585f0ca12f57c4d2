"""A carriage return survives the .xlsx results and errors files (hostile-cli p29).

XML reads CR LF and a lone CR back as LF, so a remark ``a\\r\\nb`` written raw into a
workbook came back ``a\\nb``: the errors file fed back in sent another remark than the first
run. The writer escapes CR as ``_x000D_`` (as Excel does) and both readers (loaded by
calamine, streamed) decode it; the errors file run again sends exactly what the first run
sent.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aiohttp import web

from rescheduler.models import RowResult, Status
from rescheduler.read.reader import open_table
from rescheduler.write.report import ErrorsWriter
from tests.e2e import FUTURE, HEADERS, invoke, write_config, write_csv
from tests.fakeserver import SUCCESS, fake_server

TEXTS = ["a\r\nb", "\r", "x\ry", "\r\n\r\n", "a\nb", "tab\there", "_x000D_ as typed"]


@pytest.mark.parametrize("streamed", [False, True])
def test_every_line_end_reads_back_as_written(
    tmp_path: Path, streamed: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if streamed:
        monkeypatch.setattr("rescheduler.read.xlsx.LOAD_MAX_XML_BYTES", -1)
    writer = ErrorsWriter(tmp_path / "e.xlsx", ("appointId", "remark"))
    for n, text in enumerate(TEXTS):
        writer.write(RowResult(n + 2, Status.FAILED, (f"{1000 + n}", text), error="x"))
    writer.close()
    with open_table(tmp_path / "e.xlsx") as table:
        assert [row.values[1] for row in table.rows()] == TEXTS


def test_an_errors_workbook_run_again_sends_the_same_remarks(tmp_path: Path) -> None:
    rows = [[f"9{n:029d}", "agent.li", "", FUTURE, text] for n, text in enumerate(TEXTS, 1)]
    write_csv(tmp_path / "in.csv", rows, headers=HEADERS)
    sent: list[dict[str, str]] = []
    answer = {"body": b'{"resultCode":"0200001","resultDesc":"refused"}'}

    async def handler(request: web.Request) -> web.StreamResponse:
        sent.append(json.loads(await request.read()))
        return web.Response(body=answer["body"], content_type="application/json")

    with fake_server(handler) as fake:
        config = write_config(tmp_path / "c.toml", fake.base_url, max_attempts=1)
        common = ["-c", str(config), "--no-snapshot", "--quiet"]
        first = invoke("run", str(tmp_path / "in.csv"), *common, "--out", str(tmp_path / "r1.xlsx"))
        assert first.exit_code == 1, first.output
        answer["body"] = SUCCESS
        before = len(sent)
        again = invoke(
            "run", str(tmp_path / "r1.errors.xlsx"), *common, "--out", str(tmp_path / "r2.xlsx")
        )
        assert again.exit_code == 0, again.output
    by_id = {body["appointId"]: body for body in sent[:before]}
    for body in sent[before:]:
        assert body == by_id[body["appointId"]]
    assert len(sent) == 2 * len(TEXTS)
