"""reader.py, XLSX: cells read as what they show; what cannot be read faithfully is never sent."""

from __future__ import annotations

import re
import zipfile
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rescheduler.errors import InputFileError
from rescheduler.models import Row, UpdateRequest
from rescheduler.read.columns import resolve_columns
from rescheduler.read.reader import MAX_CELL_CHARS, open_table
from rescheduler.read.validate import ValidationRules, validate_row
from tests.xlsxfiles import raw_xlsx, workbook

ID = "174729926098016859445364892091"
NO_VALUE = "formula without a saved value: open the file in Excel and save it"
RULES = ValidationRules("op-independent", ZoneInfo("UTC"), 0, 1, 36_500)  # now = 1970


@pytest.fixture(autouse=True, params=["loaded", "streamed"])
def reader_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test runs twice: small sheets loaded by calamine (+ xlsxscan), and streamed."""
    if request.param == "streamed":
        monkeypatch.setattr("rescheduler.read.xlsx.LOAD_MAX_XML_BYTES", -1)
    return str(request.param)


def rows_of(path: Path, **kw: str) -> list[Row]:
    with open_table(path, **kw) as table:
        return list(table.rows())


def problems(path: Path) -> list[list[str] | None]:
    """Each row's validation problems (None when the row is valid)."""
    with open_table(path) as table:
        columns = resolve_columns(table.headers, {}, str(path))
        checked = [validate_row(row, columns, RULES) for row in table.rows()]
    return [None if isinstance(c, UpdateRequest) else [str(p) for p in c] for c in checked]


def test_text_id_survives_and_cells_become_text(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "a.xlsx",
        {
            "Sheet1": [
                ["appointId", "workNo", "appointTime", "remark", "vdnId"],
                [ID, 125, datetime(2030, 1, 2, 10, 30), "改约", 7.0],
                ["0042", "125", datetime(2030, 1, 3, 0, 0, 0, 250000), True, None],
            ]
        },
    )
    with open_table(path) as table:
        assert (table.encoding, table.delimiter, table.sheet) == (None, None, "Sheet1")
        assert table.headers == ("appointId", "workNo", "appointTime", "remark", "vdnId")
        assert list(table.rows()) == [
            Row(2, (ID, "125", "2030-01-02 10:30:00", "改约", "7")),
            Row(3, ("0042", "125", "2030-01-03 00:00:00.250", "TRUE", "")),
        ]


def test_numeric_id_becomes_scientific_text_and_is_invalid(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "a.xlsx",
        {"Sheet1": [["appointId", "workNo"], [float(ID), "125"], [123456789012345, "125"]]},
    )
    assert rows_of(path)[0].values[0] == "1.74729926098017E+29"
    assert problems(path) == [
        [
            "appointId: looks like a number Excel converted (1.74729926098017E+29): format the "
            "appointId column as Text and re-enter the IDs"
        ],
        None,  # below 1e15 the number is exact
    ]


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
        tmp_path / "a.xlsx", {"Notes": [["appointId"], ["1"]], "改约": [["appointId"], ["2"]]}
    )
    assert [r.values for r in rows_of(path)] == [("1",)]
    with open_table(path, sheet="改约") as table:
        assert table.sheet == "改约"
        assert table.other_sheets == (("Notes", "visible"),)
        assert [r.values for r in table.rows()] == [("2",)]
    with pytest.raises(InputFileError) as info:
        open_table(path, sheet="Sheet1")
    assert str(info.value) == f"{path}: no sheet named 'Sheet1'; the sheets are: 'Notes', '改约'"


def test_hidden_sheets_are_read_only_when_named(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    first = wb.active
    assert first is not None
    first.title, first.sheet_state = "Old", "hidden"
    first.append(["appointId"])
    first.append(["1"])
    secret = wb.create_sheet("Macros")
    secret.sheet_state = "veryHidden"
    wb.create_sheet("Changes").append(["appointId"])
    wb["Changes"].append(["2"])
    path = tmp_path / "a.xlsx"
    wb.save(path)
    with open_table(path) as table:
        assert table.sheet == "Changes"  # the first *visible* sheet
        assert table.other_sheets == (("Old", "hidden"), ("Macros", "very hidden"))
        assert [r.values for r in table.rows()] == [("2",)]
    assert [r.values for r in rows_of(path, sheet="Old")] == [("1",)]
    hidden = tmp_path / "hidden.xlsx"  # openpyxl will not save it: Excel can (VBA, other tools)
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(hidden, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/workbook.xml":
                data = re.sub(rb'(name="Changes"[^>]*state=")visible"', rb'\1hidden"', data)
            dst.writestr(item, data)
    path = hidden
    with pytest.raises(InputFileError) as info:
        open_table(path)
    assert str(info.value) == (
        f"{path}: the workbook has no visible sheet (hidden: 'Old', 'Macros', 'Changes'); "
        "hidden sheets are read only when named: give --sheet NAME"
    )
    with pytest.raises(InputFileError, match=r"'Old' \(hidden\), 'Macros' \(very hidden\)"):
        open_table(path, sheet="Nope")


def test_line_numbers_count_blank_and_absent_rows(tmp_path: Path) -> None:
    path = raw_xlsx(
        tmp_path / "a.xlsx",
        '<row r="2"><c r="A2" t="inlineStr"><is><t>appointId</t></is></c></row>'
        '<row r="3"><c r="A3"><v>1</v></c></row>'
        '<row r="4"><c r="A4" t="inlineStr"><is><t xml:space="preserve">   </t></is></c></row>'
        '<row r="6"><c r="A6"><v>2</v></c></row>'
        '<row r="7" spans="1:1"/>'
        '<row r="9"><c r="A9"><v>3</v></c></row>'
        '<row r="20"><c r="A20" s="0"/></row>',
    )
    with open_table(path) as table:
        assert table.header_line == 2
        assert [(r.line, r.values) for r in table.rows()] == [(3, ("1",)), (6, ("2",)), (9, ("3",))]
        assert table.blank_rows == 4  # 4, 5, 7, 8; the trailing empty row 20 is not counted


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


def test_formula_without_a_saved_value_makes_the_row_invalid(tmp_path: Path) -> None:
    # openpyxl, like other libraries, saves formulas without their values
    path = workbook(
        tmp_path / "a.xlsx",
        {"S": [["appointId", "workNo", "appointTime", "notes"],
               ["1", "125", "=DATE(2030,1,2)+TIME(10,0,0)", None],
               ["2", "125", "2030-01-02 10:00", "=A3&\"!\""]]},
    )  # fmt: skip
    assert rows_of(path) == [
        Row(2, ("1", "125", "", ""), ((2, NO_VALUE),)),
        Row(3, ("2", "125", "2030-01-02 10:00", ""), ((3, NO_VALUE),)),
    ]
    # a sent column makes the row invalid; "notes" is only copied to the report
    assert problems(path) == [[f"appointTime: {NO_VALUE}"], None]


@pytest.mark.parametrize(
    ("cell", "calc", "text", "why"),
    [
        ('<c r="B2"><f>1+1</f><v>2</v></c>', "", "2", None),  # saved by a spreadsheet
        ('<c r="B2" t="str"><f>A2&amp;"x"</f><v>1x</v></c>', "", "1x", None),
        ('<c r="B2" t="str"><f>IF(1,"","")</f><v></v></c>', "", "", None),  # saved: empty text
        ('<c r="B2"><f t="shared" si="0"/><v>7</v></c>', "", "7", None),
        ('<c r="B2"><f>1+1</f></c>', "", "", NO_VALUE),
        ('<c r="B2"><f>1+1</f><v/></c>', "", "", NO_VALUE),
        ('<c r="B2"><f>1+1</f><v></v></c>', "", "", NO_VALUE),
        # the workbook asks to be recalculated: its saved values were never computed
        ('<c r="B2"><f>1+1</f><v>0</v></c>', '<calcPr fullCalcOnLoad="1"/>', "", NO_VALUE),
    ],
)
def test_formula_cells(tmp_path: Path, cell: str, calc: str, text: str, why: str | None) -> None:
    path = raw_xlsx(
        tmp_path / "a.xlsx",
        '<row r="1"><c r="A1" t="inlineStr"><is><t>appointId</t></is></c>'
        '<c r="B1" t="inlineStr"><is><t>workNo</t></is></c></row>'
        f'<row r="2"><c r="A2"><v>1</v></c>{cell}</row>',
        workbook_extra=calc,
    )
    assert rows_of(path) == [Row(2, ("1", text), ((1, why),) if why else ())]


@pytest.mark.parametrize("error", ["#N/A", "#VALUE!", "#REF!", "#DIV/0!", "#NAME?", "#NUM!"])
def test_error_cells_are_unreadable(tmp_path: Path, error: str) -> None:
    path = raw_xlsx(
        tmp_path / "a.xlsx",
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
        f'<row r="2"><c r="A2"><v>1</v></c><c r="B2" t="e"><v>{error}</v></c></row>'
        f'<row r="3"><c r="A3"><v>2</v></c><c r="B3" t="e"><f>VLOOKUP(A3,X:Y,2,0)</f>'
        f"<v>{error}</v></c></row>",
        shared=["<t>appointId</t>", "<t>workNo</t>"],
    )
    why = f"the cell shows {error}: correct the formula or type the value"
    assert rows_of(path) == [Row(2, ("1", ""), ((1, why),)), Row(3, ("2", ""), ((1, why),))]
    assert problems(path) == [[f"workNo: {why}"], [f"workNo: {why}"]]


def test_merged_cells_fill_down_and_covered_columns_are_unreadable(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    for row in (
        ["appointId", "workNo", "remark", "vdnId"],
        ["1", "125", "call back", None],
        ["2", None, "x", None],
        ["3", None, "y", None],
        ["4", "126", "z", None],
    ):
        ws.append(row)
    ws.merge_cells("B2:B4")  # one agent for three reservations: Excel shows 125 on each row
    ws.merge_cells("C5:D5")  # the remark spreads over the vdnId column, which shows nothing
    path = tmp_path / "a.xlsx"
    wb.save(path)
    covered = (
        "cell D5 is covered by the merged cell C5:D5: it shows no value of its own; unmerge the "
        "cells and fill in each one"
    )
    assert rows_of(path) == [
        Row(2, ("1", "125", "call back", "")),
        Row(3, ("2", "125", "x", "")),
        Row(4, ("3", "125", "y", "")),
        Row(5, ("4", "126", "z", ""), ((3, covered),)),
    ]
    assert problems(path) == [None, None, None, [f"vdnId: {covered}"]]


def test_date_only_cells_are_refused_and_times_of_day_kept(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["appointId", "workNo", "appointTime"])
    cases: list[tuple[object, str]] = [
        (datetime(2030, 1, 15), "yyyy-mm-dd"),  # shows a date only
        (datetime(2030, 1, 15, 10, 0), "yyyy-mm-dd"),  # has a time nobody sees
        (date(2030, 1, 15), "yyyy/m/d"),
        (datetime(2030, 1, 15), "yyyy-mm-dd hh:mm"),  # shows 00:00: a time
        (datetime(2030, 1, 15, 10, 0), 'yyyy"年"m"月"d"日" h:mm'),
        (time(9, 30), "h:mm"),  # a time of day without a date
        (timedelta(hours=26), "[h]:mm:ss"),  # a duration
    ]
    for i, (value, fmt) in enumerate(cases, 1):
        ws.append([str(i), "125", value])
        ws.cell(row=i + 1, column=3).number_format = fmt
    path = tmp_path / "a.xlsx"
    wb.save(path)
    assert [r.values[2] for r in rows_of(path)] == [
        "2030-01-15", "2030-01-15", "2030-01-15", "2030-01-15 00:00:00", "2030-01-15 10:00:00",
        "", "",
    ]  # fmt: skip
    found = problems(path)
    assert found[:3] == [["appointTime: '2030-01-15' has no time of day; add one, e.g. "
                          "2030-01-15 10:00"]] * 3  # fmt: skip
    assert found[3:5] == [None, None]
    assert found[5] == [
        "appointTime: the cell holds a time of day without a date (09:30); write the date and the "
        "time, e.g. 2030-01-15 09:30"
    ]
    assert found[6] == ["appointTime: the cell holds a duration (26:00:00), not a date and time"]


def test_builtin_formats_and_the_1904_date_system(tmp_path: Path) -> None:
    rows = (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>appointTime</t></is></c></row>'
        '<row r="2"><c r="A2" s="1"><v>47498</v></c></row>'  # 14: m/d/yyyy, a date only
        '<row r="3"><c r="A3" s="2"><v>47498.4375</v></c></row>'  # 22: m/d/yyyy h:mm
        '<row r="4"><c r="A4" s="3"><v>47498</v></c></row>'  # custom yyyy-mm-dd hh:mm
        '<row r="5"><c r="A5"><v>47498</v></c></row>'  # General: a number
        '<row r="6"><c r="A6" t="d" s="2"><v>2030-01-15T10:30:00</v></c></row>'
    )
    path = raw_xlsx(
        tmp_path / "a.xlsx", rows, formats={164: "yyyy-mm-dd hh:mm"}, xfs=[0, 14, 22, 164]
    )
    assert [r.values[0] for r in rows_of(path)] == [
        "2030-01-15", "2030-01-15 10:30:00", "2030-01-15 00:00:00", "47498", "2030-01-15 10:30:00",
    ]  # fmt: skip
    mac = raw_xlsx(
        tmp_path / "mac.xlsx", rows, formats={164: "yyyy-mm-dd hh:mm"}, xfs=[0, 14, 22, 164],
        workbook_extra='<workbookPr date1904="1"/>',
    )  # fmt: skip
    assert rows_of(mac)[2].values[0] == "2034-01-16 00:00:00"  # 1,462 days later


def test_strings_are_read_exactly_as_written(tmp_path: Path) -> None:
    shared = [
        "<t>appointId</t>",
        "<t>remark</t>",
        f"<t>{ID}</t>",
        '<t xml:space="preserve">  two  spaces </t>',
        # rich text runs joined, the phonetic guide left out
        '<r><rPr><b/></rPr><t>改</t></r><r><t>约</t></r><rPh sb="0" eb="1"><t>カイ</t></rPh>',
        "<t>a &amp; b &lt;c&gt; &#x4E2D;&#25991; line_x000D_\r\nbreak _x005F_x0041_</t>",
        "<t/>",
    ]
    rows = (
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
        '<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2" t="s"><v>3</v></c></row>'
        f'<row r="3"><c r="A3" t="inlineStr"><is><t>{ID}</t></is></c>'
        '<c r="B3" t="s"><v>4</v></c></row>'
        '<row r="4"><c r="A4"><v>5</v></c><c r="B4" t="s"><v>5</v></c></row>'
        '<row r="5"><c r="A5"><v>6</v></c><c r="B5" t="s"><v>6</v></c></row>'
    )
    path = raw_xlsx(tmp_path / "a.xlsx", rows, shared=shared)
    assert [r.values for r in rows_of(path)] == [
        (ID, "  two  spaces "),
        (ID, "改约"),
        ("5", "a & b <c> 中文 line\r\nbreak _x0041_"),
        ("6", ""),
    ]


def test_a_surrogate_escape_is_kept_as_written(tmp_path: Path) -> None:
    """``_xD800_`` (half of a UTF-16 pair) is no character: both readers keep the escape as
    written (calamine does), so no lone surrogate reaches a request body (orjson refused it:
    validate and run stopped with an internal error on a streamed sheet)."""
    shared = ["<t>appointId</t>", "<t>remark</t>", "<t>a_x0041_b_xD83D__xDE00_c_xD800_d</t>"]
    rows = (
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
        f'<row r="2"><c r="A2" t="inlineStr"><is><t>{ID}</t></is></c>'
        '<c r="B2" t="s"><v>2</v></c></row>'
    )
    path = raw_xlsx(tmp_path / "a.xlsx", rows, shared=shared)
    assert [r.values for r in rows_of(path)] == [(ID, "aAb_xD83D__xDE00_c_xD800_d")]


def test_a_reference_to_no_character_refuses_the_file(tmp_path: Path) -> None:
    """``&#xD800;`` is no XML character: the part is not well-formed XML, which no spreadsheet
    writes (calamine refused it; the streaming reader kept the reference as written, a guess),
    so the file is refused, whichever reader would have read it."""
    shared = ["<t>appointId</t>", "<t>remark</t>", "<t>a&#xD800;b&#55296;c&#x41;</t>"]
    rows = (
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
        f'<row r="2"><c r="A2" t="inlineStr"><is><t>{ID}</t></is></c>'
        '<c r="B2" t="s"><v>2</v></c></row>'
    )
    path = raw_xlsx(tmp_path / "a.xlsx", rows, shared=shared)
    with pytest.raises(InputFileError, match="shared-strings table holds XML that no spreadsheet"):
        rows_of(path)


def test_other_writers_xml_prefixes_attribute_order_and_missing_references(
    tmp_path: Path,
) -> None:
    rows = (
        "<x:row><x:c t='inlineStr'><x:is><x:t>appointId</x:t></x:is></x:c>"
        '<x:c t="inlineStr"><x:is><x:t>workNo</x:t></x:is></x:c></x:row>'
        '<x:row r="3"><x:c t="n" r="A3" cm="1"><x:v>7</x:v></x:c>'
        '<x:c r="B3" t="e"><x:f>NA()</x:f><x:v>#N/A</x:v></x:c></x:row>'
        "<x:row><x:c><x:v>8</x:v></x:c><x:c><x:f>1+1</x:f></x:c></x:row>"
    )
    path = raw_xlsx(tmp_path / "a.xlsx", rows, prefix="x")
    assert rows_of(path) == [
        Row(3, ("7", ""), ((1, "the cell shows #N/A: correct the formula or type the value"),)),
        Row(4, ("8", ""), ((1, NO_VALUE),)),
    ]


def test_a_cell_longer_than_the_limit_refuses_the_file(tmp_path: Path) -> None:
    ok = workbook(
        tmp_path / "ok.xlsx", {"S": [["appointId", "remark"], ["1", "x" * MAX_CELL_CHARS]]}
    )
    assert len(rows_of(ok)[0].values[1]) == MAX_CELL_CHARS
    long = "y" * (MAX_CELL_CHARS + 1)  # openpyxl cuts such a cell short; other writers do not
    header = (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>appointId</t></is></c>'
        '<c r="B1" t="inlineStr"><is><t>remark</t></is></c></row><row r="2"><c r="A2"><v>1</v></c>'
    )
    for name, cell, shared in (
        ("inline.xlsx", f'<c r="B2" t="inlineStr"><is><t>{long}</t></is></c>', None),
        ("shared.xlsx", '<c r="B2" t="s"><v>0</v></c>', [f"<t>{long}</t>"]),
        ("formula.xlsx", f'<c r="B2" t="str"><f>REPT("y",32768)</f><v>{long}</v></c>', None),
    ):
        path = raw_xlsx(tmp_path / name, f"{header}{cell}</row>", shared=shared)
        with open_table(path) as table, pytest.raises(InputFileError) as info:
            list(table.rows())
        assert str(info.value) == (
            f"{path}, line 2: cell B2 holds 32,768 characters; a cell may hold at most 32,767"
        )


def test_broken_files_say_what_to_do(tmp_path: Path) -> None:
    good = workbook(tmp_path / "good.xlsx", {"S": [["appointId"], *[[str(i)] for i in range(500)]]})
    data = good.read_bytes()
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputFileError, match=r"cut\.xlsx: the file is damaged or incomplete"):
        open_table(cut)
    csv = tmp_path / "csv.xlsx"
    csv.write_text("appointId,workNo\n1,125\n", encoding="utf-8")
    with pytest.raises(InputFileError) as info:
        open_table(csv)
    assert str(info.value) == (
        f"{csv}: this is not a .xlsx workbook (it looks like a text or CSV file); if it is a "
        "CSV file, rename it to .csv"
    )
    xls = tmp_path / "old.xlsx"
    xls.write_bytes((Path(__file__).parent / "fixtures/sheets/formats.xls").read_bytes())
    with pytest.raises(InputFileError) as info:
        open_table(xls)
    assert str(info.value) == (
        f"{xls}: this is an Excel 97-2003 workbook (.xls) with a .xlsx name; rename it to .xls"
    )
    locked = Path(__file__).parent / "fixtures/sheets/password.xlsx"
    with pytest.raises(InputFileError, match="the workbook is protected with a password; remove"):
        open_table(locked)
    empty = workbook(tmp_path / "empty.xlsx", {"S": []})
    with pytest.raises(InputFileError, match="the file is empty: no header row"):
        open_table(empty)
    xlsm = workbook(tmp_path / "a.xlsm", {"S": [["appointId"], ["1"]]})
    assert [r.values for r in rows_of(xlsm)] == [("1",)]


def test_damage_inside_the_sheet_is_reported_while_reading(tmp_path: Path) -> None:
    good = workbook(
        tmp_path / "good.xlsx", {"S": [["appointId"], *[[str(i)] for i in range(3000)]]}
    )
    broken = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(broken, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item.filename))
    data = bytearray(broken.read_bytes())
    with zipfile.ZipFile(broken) as z:
        info = z.getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename) + info.compress_size // 2
    data[start : start + 64] = bytes(64)  # garbage in the middle of the compressed sheet
    broken.write_bytes(bytes(data))
    with pytest.raises(InputFileError, match="the file is damaged or incomplete"):  # noqa: SIM117
        with open_table(broken) as table:  # at open (the merge scan) or while reading rows
            list(table.rows())


def _excel_escape(text: str) -> str:
    """Text as Excel stores it in XML: ``_xHHHH_`` for control characters, XML escapes."""
    text = re.sub(r"_(?=x[0-9A-Fa-f]{4}_)", "_x005F_", text)
    text = re.sub(r"[\x00-\x08\x0b-\x1f\x7f\ufffe\uffff]", lambda m: f"_x{ord(m[0]):04X}_", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(alphabet=st.characters(exclude_categories=["Cs"]), min_size=1, max_size=30))
def test_any_text_cell_arrives_exactly_as_written(tmp_path: Path, text: str) -> None:
    cell = _excel_escape(text)
    path = raw_xlsx(
        tmp_path / "p.xlsx",
        '<row r="1"><c r="A1" t="inlineStr"><is><t>appointId</t></is></c>'
        '<c r="B1" t="inlineStr"><is><t>remark</t></is></c></row>'
        f'<row r="2"><c r="A2" t="s"><v>0</v></c><c r="B2" t="inlineStr"><is>'
        f'<t xml:space="preserve">{cell}</t></is></c></row>',
        shared=[f'<t xml:space="preserve">{cell}</t>'],
    )
    expected = text if text.strip() else None
    rows = rows_of(path)
    if expected is None:
        assert rows == []  # a row of blank cells is a blank row
    else:
        assert rows == [Row(2, (text, text))]


def test_cdata_sections_are_text(tmp_path: Path) -> None:
    path = raw_xlsx(
        tmp_path / "a.xlsx",
        '<row r="1"><c r="A1" t="inlineStr"><is><t>remark</t></is></c></row>'
        '<row r="2"><c r="A2" t="inlineStr"><is><t>a &amp; <![CDATA[1 < 2 &amp; ]]>c</t></is></c>'
        "</row>",
    )
    assert rows_of(path) == [Row(2, ("a & 1 < 2 &amp; c",))]


@pytest.mark.parametrize("inside", ["a</t>b", "<b>bold</b>", "<!-- x -->", "a\n</t>\nb"])
def test_markup_inside_a_cdata_section_refuses_the_file(tmp_path: Path, inside: str) -> None:
    # the streaming reader cut the cell at a "</t>" inside CDATA, then recursed without end
    # (an internal error); no spreadsheet writes CDATA, let alone markup inside one
    path = raw_xlsx(
        tmp_path / "a.xlsx",
        '<row r="1"><c r="A1" t="inlineStr"><is><t>remark</t></is></c></row>'
        f'<row r="2"><c r="A2" t="inlineStr"><is><t><![CDATA[{inside}]]></t></is></c></row>',
    )
    with pytest.raises(InputFileError, match="markup inside a CDATA section"):
        rows_of(path)


def test_both_readers_are_exercised(tmp_path: Path, reader_path: str) -> None:
    path = workbook(tmp_path / "a.xlsx", {"S": [["appointId"], ["1"]]})
    with open_table(path) as table:
        assert (table._loaded is not None) == (reader_path == "loaded")  # type: ignore[attr-defined]


def test_number_cells_read_as_excel_holds_them(tmp_path: Path) -> None:
    # a program may write every digit of a long number; Excel holds (and shows) 15 of them
    path = raw_xlsx(
        tmp_path / "a.xlsx",
        '<row r="1"><c r="A1" t="inlineStr"><is><t>appointId</t></is></c></row>'
        f'<row r="2"><c r="A2"><v>{ID}</v></c></row>'
        '<row r="3"><c r="A3"><v>123456789012345</v></c></row>'
        '<row r="4"><c r="A4"><v>1E+020</v></c></row>',  # as LibreOffice writes it
    )
    assert [r.values[0] for r in rows_of(path)] == [
        "1.74729926098017E+29",
        "123456789012345",
        "1E+20",
    ]


def test_markup_in_cdata_split_between_two_reads_is_still_seen() -> None:
    # expat hands CDATA text over in pieces; a "<" ending one read and "/t>" starting the next
    from rescheduler.read.wellformed import NotWellFormed, XmlCheck

    check = XmlCheck()
    check.feed(b"<a><t><![CDATA[ab<")
    with pytest.raises(NotWellFormed, match="markup inside a CDATA section"):
        check.feed(b"/t>cd]]></t></a>")
