"""A column added to a finished results file (CSV and XLSX), cells kept exactly."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest

from rescheduler.models import RowResult, Status
from rescheduler.write.amend import amend
from rescheduler.write.report import ReportWriter


def report(path: Path) -> ReportWriter:
    writer = ReportWriter(path, ("appointId", "remark"), extra=("before_remark",))
    writer.write(RowResult(2, Status.SUCCEEDED, ("901", "=SUM(A1)"), attempts=1,
                           extra=("old\x01",)))  # fmt: skip
    writer.write(RowResult(3, Status.SUCCEEDED, ("902", "ok"), attempts=1, extra=("",)))
    writer.write(RowResult(4, Status.FAILED, ("903", ""), attempts=2, error="boom"))
    writer.finish()
    return writer


def changes(line: int) -> dict[str, str] | None:
    if line == 2:
        return {"verified": "yes"}
    if line == 3:
        return {"verified": "no", "error": "-shows x", "error_code": "not_verified"}
    return None


def test_csv_gets_the_column_and_keeps_every_cell(tmp_path: Path) -> None:
    writer = report(tmp_path / "r.csv")
    amend(writer, "verified", changes)
    writer.publish()
    with (tmp_path / "r.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][-2:] == ["before_remark", "verified"]
    assert rows[1][1] == "'=SUM(A1)"  # neutralised once, not twice
    assert rows[1][-1] == "yes"
    error_at = rows[0].index("error")
    assert (rows[2][error_at], rows[2][-1]) == ("'-shows x", "no")  # new text made safe too
    assert rows[2][rows[0].index("error_code")] == "not_verified"
    assert rows[3][-1] == ""
    assert rows[3][error_at] == "boom"


@pytest.mark.parametrize("clash", [False, True])
def test_xlsx_gets_the_column_and_every_cell_stays_as_it_was(tmp_path: Path, clash: bool) -> None:
    headers = ("appointId", "verified") if clash else ("appointId", "remark")

    def write(path: Path) -> ReportWriter:
        writer = ReportWriter(path, headers, extra=("before_remark",))
        writer.write(RowResult(2, Status.SUCCEEDED, ("901", "=x"), attempts=1,
                               extra=("a\x01b",)))  # fmt: skip
        writer.write(RowResult(3, Status.FAILED, ("902", "_x0041_"), attempts=1))
        writer.finish()
        return writer

    plain, amended = write(tmp_path / "plain.xlsx"), write(tmp_path / "r.xlsx")
    plain.publish()
    amend(amended, "verified", changes)
    amended.publish()

    def cells(path: Path) -> list[list[object]]:
        sheet = openpyxl.load_workbook(path).worksheets[0]
        return [[c.value for c in r] for r in sheet.iter_rows()]

    before, after = cells(tmp_path / "plain.xlsx"), cells(tmp_path / "r.xlsx")
    added = "verified (rescheduler)" if clash else "verified"
    assert after[0] == [*before[0], added]
    error, code = after[0].index("error"), after[0].index("error_code")
    expected = [row[:] for row in before[1:]]
    expected[1][error], expected[1][code] = "-shows x", "not_verified"
    assert [row[:-1] for row in after[1:]] == expected  # numbers, escapes, text: the same
    assert [row[-1] for row in after[1:]] == ["yes", "no"]
    assert after[1][after[0].index("line")] == 2
