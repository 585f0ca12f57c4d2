"""The input template: headers per deployment, the example row, Text formats, no overwrite."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from rescheduler.errors import OutputError
from rescheduler.template import how_to_fill, template_table, write_template

ID = "174729926098016859445364892091"
REMARK = "Customer asked to be called back later"


@pytest.mark.parametrize(
    ("deployment", "expected"),
    [
        (
            "standard",
            "appointId,userAccount,workNo,appointTime,remark\r\n"
            f"{ID},agent001,,2027-01-15 09:30,Customer asked to be called back later\r\n",
        ),
        (
            "op-independent",
            "appointId,workNo,userAccount,appointTime,remark\r\n"
            f"{ID},125,,2027-01-15 09:30,Customer asked to be called back later\r\n",
        ),
    ],
)
def test_csv_template_exact_bytes(tmp_path: Path, deployment: str, expected: str) -> None:
    path = tmp_path / "t.csv"
    write_template(path, deployment)
    assert path.read_bytes() == b"\xef\xbb\xbf" + expected.encode()


def test_xlsx_template(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    write_template(path)
    book = load_workbook(path)
    assert book.sheetnames == ["reservations", "How to fill"]
    sheet: Any = book.active
    assert sheet.title == "reservations"
    header, example = ([c for c in row] for row in sheet.iter_rows())
    assert [c.value for c in header] == [
        "appointId",
        "userAccount",
        "workNo",
        "appointTime",
        "remark",
    ]
    assert all(c.font.b for c in header)
    assert [c.value for c in example] == [ID, "agent001", None, "2027-01-15 09:30", REMARK]
    assert (example[0].data_type, example[0].number_format) == ("s", "@")
    assert [example[i].number_format for i in (1, 2, 4)] == ["@", "@", "@"]
    for letter in "ABCE":  # new cells typed in these columns are text too
        assert sheet.column_dimensions[letter].number_format == "@"
    assert sheet.freeze_panes == "A2"
    notes = [str(row[0]) for row in book["How to fill"].iter_rows(values_only=True)]
    assert notes == list(how_to_fill("standard"))
    assert any("userAccount: the agent's business account; required" in n for n in notes)
    assert [p.name for p in tmp_path.iterdir()] == ["t.xlsx"]  # no temp file left


def test_xlsx_template_op_independent(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    write_template(path, "op-independent")
    sheet: Any = load_workbook(path).active
    assert [c.value for c in sheet[1]][:3] == ["appointId", "workNo", "userAccount"]
    assert sheet["B2"].value == "125"
    assert sheet["B2"].data_type == "s"


@pytest.mark.parametrize("name", ["t.csv", "t.xlsx"])
def test_refuses_to_overwrite(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text("mine")
    with pytest.raises(OutputError, match="already exists"):
        write_template(path)
    assert path.read_text() == "mine"
    write_template(path, overwrite=True)
    assert path.read_bytes() != b"mine"


@pytest.mark.parametrize("name", ["t.csv", "t.xlsx"])
def test_unwritable_path(tmp_path: Path, name: str) -> None:
    with pytest.raises(OutputError, match="cannot write"):
        write_template(tmp_path / "missing" / name)


def test_unknown_deployment() -> None:
    with pytest.raises(ValueError, match="deployment must be one of standard, op-independent"):
        template_table("cloud")
