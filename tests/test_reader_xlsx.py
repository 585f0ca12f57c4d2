"""reader.py, XLSX: text survives, numbers become text Excel-style, dates, sheets, dimensions."""

from __future__ import annotations

import re
import zipfile
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from rescheduler.errors import InputFileError
from rescheduler.models import Row, UpdateRequest
from rescheduler.read.columns import resolve_columns
from rescheduler.read.reader import open_table
from rescheduler.read.validate import ValidationRules, validate_row
from rescheduler.read.xlsx import xlsx_cell_text

ID = "174729926098016859445364892091"


def workbook(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)  # type: ignore[arg-type]
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


def test_text_id_survives_and_cells_become_text(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "a.xlsx",
        {
            "Sheet1": [
                ["appointId", "workNo", "appointTime", "remark", "vdnId"],
                [ID, 125, datetime(2030, 1, 2, 10, 30), "改约", 7.0],
                ["0042", "125", date(2030, 1, 3), True, None],
            ]
        },
    )
    with open_table(path) as table:
        assert table.encoding is None
        assert table.delimiter is None
        assert table.sheet == "Sheet1"
        assert table.headers == ("appointId", "workNo", "appointTime", "remark", "vdnId")
        assert list(table.rows()) == [
            Row(2, (ID, "125", "2030-01-02 10:30:00", "改约", "7")),
            Row(3, ("0042", "125", "2030-01-03 00:00:00", "TRUE", "")),
        ]


def test_numeric_id_becomes_scientific_text_and_is_invalid(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "a.xlsx",
        {
            "Sheet1": [
                ["appointId", "userAccount"],
                [float(ID), "agent01"],
                [123456789012345, "agent01"],
            ]
        },
    )
    with open_table(path) as table:
        rows = list(table.rows())
        columns = resolve_columns(table.headers, {}, str(path))
    assert rows[0].values[0] == "1.74729926098017E+29"
    rules = ValidationRules("standard", ZoneInfo("UTC"), 0, 1)
    assert [str(p) for p in validate_row(rows[0], columns, rules)] == [  # type: ignore[union-attr]
        "appointId: looks like a number Excel converted (1.74729926098017E+29): format the "
        "appointId column as Text and re-enter the IDs"
    ]
    assert isinstance(validate_row(rows[1], columns, rules), UpdateRequest)  # < 1e15: exact


def test_serial_number_cell_reads_as_time_in_zone(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "a.xlsx", {"S": [["appointId", "workNo", "appointTime"], ["1", "125", 54789.5]]}
    )
    with open_table(path) as table:
        row = next(table.rows())
        columns = resolve_columns(table.headers, {}, str(path))
    assert row.values[2] == "54789.5"
    rules = ValidationRules("op-independent", ZoneInfo("Asia/Shanghai"), 0, 1, 36_500)
    checked = validate_row(row, columns, rules)
    assert isinstance(checked, UpdateRequest)
    # serial 54789.5 = 2050-01-01 12:00 wall time in Shanghai = 04:00 UTC
    assert checked.appoint_time_ms == int(datetime(2050, 1, 1, 4).timestamp() * 1000)


def test_sheet_selection_and_unknown_sheet(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "a.xlsx",
        {
            "Notes": [["appointId"], ["1"]],
            "改约": [["appointId"], ["2"]],
        },
    )
    assert [r.values for r in open_table(path).rows()] == [("1",)]
    with open_table(path, sheet="改约") as table:
        assert table.sheet == "改约"
        assert [r.values for r in table.rows()] == [("2",)]
    with pytest.raises(InputFileError) as info:
        open_table(path, sheet="Sheet1")
    assert str(info.value) == f"{path}: no sheet named 'Sheet1'; the sheets are: 'Notes', '改约'"


def test_gaps_blank_rows_trailing_styled_rows_and_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "a.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws["A1"], ws["B1"] = "appointId", "remark"
    ws["A2"] = "1"
    ws["A3"] = "   "  # whitespace only: blank
    ws["A5"], ws["B5"] = "2", "x"  # row 4 absent from the XML
    for r in range(6, 40):
        ws.cell(row=r, column=1).number_format = "@"  # empty but present rows
    wb.save(path)
    with open_table(path) as table:
        assert [(r.line, r.values) for r in table.rows()] == [(2, ("1", "")), (5, ("2", "x"))]
        assert table.blank_rows == 2


def test_wrong_stored_dimension_does_not_lose_rows(tmp_path: Path) -> None:
    path = workbook(tmp_path / "a.xlsx", {"Sheet1": [["appointId"], ["1"], ["2"], ["3"]]})
    broken = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(broken, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                data = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:A2"', data)
            dst.writestr(item, data)
    with open_table(broken) as table:
        assert [r.values for r in table.rows()] == [("1",), ("2",), ("3",)]
        assert table.estimate_rows() == 1  # the estimate trusts the stored size; reading does not


def test_extra_cell_without_header_is_an_error(tmp_path: Path) -> None:
    path = workbook(tmp_path / "a.xlsx", {"S": [["appointId", "remark"], ["1", "a", None, "note"]]})
    with open_table(path) as table, pytest.raises(InputFileError) as info:
        list(table.rows())
    assert str(info.value) == (
        f"{path}, line 2: cell D2 holds 'note' but column D has no header (the header has 2 "
        "columns); name the column or clear it"
    )


def test_xlsm_and_broken_files(tmp_path: Path) -> None:
    path = workbook(tmp_path / "a.xlsm", {"S": [["appointId"], ["1"]]})
    assert [r.values for r in open_table(path).rows()] == [("1",)]
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a zip")
    with pytest.raises(InputFileError, match=r"not an \.xlsx workbook \(an old \.xls or a pass"):
        open_table(bad)
    empty = workbook(tmp_path / "empty.xlsx", {"S": []})
    with pytest.raises(InputFileError, match="the file is empty: no header row"):
        open_table(empty)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        ("  kept as is ", "  kept as is "),
        (ID, ID),
        (125, "125"),
        (10**30, "1" + "0" * 30),
        (125.0, "125"),
        (-3.0, "-3"),
        (999999999999999.0, "999999999999999"),
        (1e15, "1E+15"),
        (1.7472992609801686e29, "1.74729926098017E+29"),
        (-2.5e20, "-2.5E+20"),
        (46000.5, "46000.5"),
        (0.1, "0.1"),
        (True, "TRUE"),
        (False, "FALSE"),
        (datetime(2030, 1, 2, 3, 4, 5), "2030-01-02 03:04:05"),
        (datetime(2030, 1, 2, 3, 4, 5, 250000), "2030-01-02 03:04:05.250"),
        (date(2030, 1, 2), "2030-01-02 00:00:00"),
        (time(9, 30), "09:30:00"),
        (timedelta(hours=26), "1 day, 2:00:00"),
    ],
)
def test_xlsx_cell_text(value: object, text: str) -> None:
    assert xlsx_cell_text(value) == text
