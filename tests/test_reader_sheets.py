"""reader.py, .xls/.xlsb/.ods (python-calamine): the same contract, and what each format can tell.

The fixtures in tests/fixtures/sheets/ were written by LibreOffice (make.py there) or come from
python-calamine's test data (.xlsb, password-protected .xls/.xlsx); CI needs neither program.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rescheduler.errors import InputFileError
from rescheduler.models import Row
from rescheduler.read.reader import open_table
from tests.e2e import invoke
from tests.xlsxfiles import workbook

FIXTURES = Path(__file__).parent / "fixtures" / "sheets"
ID = "174729926098016859445364892091"
MIDNIGHT = (
    "the cell holds the date 2030-01-03 with no time of day, or at 00:00, and this kind of file "
    "does not say which; type the time as text (e.g. 2030-01-03 10:00) or save the file as .xlsx"
)


def test_xls_reads_like_xlsx_with_merged_cells_and_hidden_sheets() -> None:
    with open_table(FIXTURES / "formats.xls") as table:
        assert table.sheet == "Changes"
        assert table.other_sheets == (("Old", "hidden"),)
        assert table.headers == ("appointId", "userAccount", "appointTime", "remark")
        assert list(table.rows()) == [
            Row(2, (ID, "agent01", "2030-01-02 10:30:00", "改约")),
            Row(4, ("2", "agent02", "2030-01-03 00:00:00", "merged")),  # the format shows 00:00
            Row(5, ("3", "agent02", "2030-01-04 09:15:00", "x")),  # B4:B5 merged: filled down
        ]
        assert table.blank_rows == 1
        assert table.estimate_rows() == 4
    with open_table(FIXTURES / "formats.xls", sheet="Old") as table:
        assert [r.values for r in table.rows()] == [("999",)]


def test_xls_cells_that_are_not_what_they_look_like() -> None:
    def why(text: str) -> tuple[tuple[int, str], ...]:
        return ((2, text),)

    assert [(r.line, r.values[2], r.unreadable) for r in _rows(FIXTURES / "cells.xls")] == [
        (2, "2030-01-15", ()),  # shows a date only: validation refuses it
        (3, "2030-01-15 00:00:00", ()),  # shows 00:00: a time
        (4, "", why("the cell holds a time of day without a date (09:30); write the date and "
                    "the time, e.g. 2030-01-15 09:30")),
        (5, "", why("the cell holds a duration (26:00:00), not a date and time")),
        (6, "", why("the cell shows #N/A: correct the formula or type the value")),
        (7, "", why("the cell shows #DIV/0!: correct the formula or type the value")),
        (8, "2030-01-15 10:00:00", ()),  # a formula: its saved value
    ]  # fmt: skip


def _rows(path: Path) -> list[Row]:
    with open_table(path) as table:
        return list(table.rows())


def test_ods_plain_sheet() -> None:
    with open_table(FIXTURES / "plain.ods") as table:
        assert (table.sheet, table.other_sheets) == ("Changes", (("Old", "hidden"),))
        assert [(r.line, r.values) for r in table.rows()] == [
            (2, (ID, "agent01", "2030-01-02 10:30:00", "改约")),
            (4, ("2", "agent02", "", "merged")),
            (5, ("3", "", "2030-01-04 09:15:00", "x")),
        ]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("errors.ods", "the sheet 'Changes' has cells showing an error (#N/A, #VALUE!...); in an "
                       ".ods file rescheduler cannot tell which rows: correct them or save the "
                       "file as .xlsx"),
        ("merged.ods", "the sheet 'Changes' has merged cells; in an .ods file rescheduler cannot "
                       "tell which rows they cover: unmerge them or save the file as .xlsx"),
    ],
)  # fmt: skip
def test_ods_sheets_it_cannot_check_are_refused(name: str, message: str) -> None:
    with pytest.raises(InputFileError) as info:
        open_table(FIXTURES / name)
    assert str(info.value) == f"{FIXTURES / name}: {message}"


def test_xlsb_skips_hidden_very_hidden_and_chart_sheets() -> None:
    with open_table(FIXTURES / "any_sheets.xlsb") as table:
        assert table.sheet == "Visible"
        assert table.other_sheets == (
            ("Hidden", "hidden"), ("VeryHidden", "very hidden"), ("Chart", "visible"),
        )  # fmt: skip
        assert [r.values for r in table.rows()][:2] == [("3", "4"), ("5", "6")]
    with pytest.raises(InputFileError, match="sheet 'Chart' is a chart, not a sheet of cells"):
        open_table(FIXTURES / "any_sheets.xlsb", sheet="Chart")


def test_wrong_names_and_broken_files(tmp_path: Path) -> None:
    xlsx_as_xls = tmp_path / "a.xls"
    workbook(tmp_path / "a.xlsx", {"S": [["appointId"], ["1"]]}).rename(xlsx_as_xls)
    with pytest.raises(InputFileError) as info:
        open_table(xlsx_as_xls)
    assert str(info.value) == (
        f"{xlsx_as_xls}: this is an Excel workbook (.xlsx) with an .xls name; rename it to .xlsx"
    )
    text = tmp_path / "b.ods"
    text.write_text("appointId\n1\n", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"this is not a \.ods workbook \(it looks like a"):
        open_table(text)
    cut = tmp_path / "c.xls"
    cut.write_bytes((FIXTURES / "formats.xls").read_bytes()[:3000])
    with pytest.raises(InputFileError, match=r"the file is damaged or incomplete"):
        open_table(cut)
    with pytest.raises(InputFileError, match="the workbook is protected with a password; remove"):
        open_table(FIXTURES / "password.xls")
    cut_ods = tmp_path / "c.ods"
    cut_ods.write_bytes((FIXTURES / "plain.ods").read_bytes()[:3000])
    with pytest.raises(InputFileError, match=r"the file is damaged or incomplete"):
        open_table(cut_ods)


def test_summary_names_the_sheet_read_and_the_sheets_skipped(tmp_path: Path) -> None:
    path = tmp_path / "in.ods"
    shutil.copy(FIXTURES / "plain.ods", path)
    result = invoke("validate", str(path), "--timezone", "UTC", secret=None)
    assert result.exit_code == 1, result.output  # the midnight row is invalid
    assert "sheet 'Changes'" in result.output
    assert "sheets not read: 'Old' (hidden)" in result.output
    broken = tmp_path / "broken.xlsx"
    broken.write_text("appointId\n1\n", encoding="utf-8")
    result = invoke("validate", str(broken), secret=None)
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1].endswith("rename it to .csv")


@pytest.mark.parametrize(("fixture", "real"), [("plain.ods", ".ods"), ("any_sheets.xlsb", ".xlsb")])
def test_other_workbooks_named_xlsx_are_named_for_what_they_are(
    tmp_path: Path, fixture: str, real: str
) -> None:
    path = tmp_path / "in.xlsx"
    shutil.copy(FIXTURES / fixture, path)
    with pytest.raises(InputFileError) as info:
        open_table(path)
    assert str(info.value) == (
        f"{path}: this is a {real} workbook with a .xlsx name; rename it to {real}"
    )


# --- the hostile review: hidden rows and columns, numbers shown otherwise, ;;; ------------


def test_xls_hidden_rows_and_columns_are_known() -> None:
    rows = _rows(FIXTURES / "hidden.xls")
    assert [r.hidden for r in rows] == [False, True, False, True]
    assert all([(i, getattr(w, "code", "")) for i, w in r.unreadable] == [(3, "hidden_column")]
               for r in rows)  # fmt: skip


def test_xls_number_formats_that_change_what_is_shown() -> None:
    rows = _rows(FIXTURES / "shaped.xls")
    marks = [[(i, getattr(w, "code", "")) for i, w in r.unreadable] for r in rows]
    assert marks == [[(1, "number_format")], [], [(3, "number_format")], [(3, "hidden_value")]]
    assert rows[1].values[1] == "1001"  # General shows its digits


def test_an_ods_with_hidden_rows_or_columns_is_refused() -> None:
    with pytest.raises(InputFileError) as info:
        open_table(FIXTURES / "hidden.ods")
    assert str(info.value).endswith(
        "the sheet 'Changes' has hidden rows or columns (hidden, or filtered out); in an .ods "
        "file rescheduler cannot tell which: unhide them (or delete them) or save the file as "
        ".xlsx"
    )


def test_an_ods_date_cell_shown_without_its_time_is_refused() -> None:
    # calamine gives 2030-01-15 09:30 for a cell that shows only 2030-01-15: it was sent
    with pytest.raises(InputFileError) as info:
        open_table(FIXTURES / "dateonly.ods")
    assert str(info.value).endswith(
        "the sheet 'Changes' has date cells whose format shows no time of day (one shows "
        "'2030-01-15' and holds 2030-01-15T09:30:00); in an .ods file rescheduler cannot tell "
        "which rows: format them to show the time, or save the file as .xlsx"
    )


@pytest.mark.parametrize(
    "change",
    [
        (b"<text:p>agent01</text:p>", b"<text:p>a<b</text:p>"),
        (b"<text:p>agent01</text:p>", b"<text:p>agent01"),
    ],
    ids=["lt-in-text", "unbalanced"],
)
def test_an_ods_that_is_not_well_formed_xml_is_refused(
    tmp_path: Path, change: tuple[bytes, bytes]
) -> None:
    # calamine reads past broken markup (and guesses); LibreOffice never writes it
    import zipfile

    broken = tmp_path / "broken.ods"
    with (
        zipfile.ZipFile(FIXTURES / "plain.ods") as zin,
        zipfile.ZipFile(broken, "w", zipfile.ZIP_DEFLATED) as zout,
    ):
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "content.xml":
                data = data.replace(*change)
            zout.writestr(info, data)
    with pytest.raises(InputFileError, match="the sheet holds XML that no spreadsheet program"):
        _rows(broken)
