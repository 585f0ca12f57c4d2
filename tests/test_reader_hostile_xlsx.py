"""XLSX/XLS cells the hostile review found sent as something the sheet did not show.

Every test runs with both XLSX readers (calamine + xlsxscan, and the streaming reader).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from rescheduler.errors import InputFileError
from rescheduler.models import UpdateRequest
from rescheduler.read.columns import resolve_columns
from rescheduler.read.reader import open_table
from rescheduler.read.validate import ValidationRules, validate_row
from tests.xlsxfiles import raw_xlsx

ID = "174729926098016859445364892091"
RULES = ValidationRules("standard", ZoneInfo("UTC"), 0, 1, 36_500)  # now = 1970


@pytest.fixture(autouse=True, params=["loaded", "streamed"])
def reader_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "streamed":
        monkeypatch.setattr("rescheduler.read.xlsx.LOAD_MAX_XML_BYTES", -1)
    return str(request.param)


def checked(path: Path) -> list[UpdateRequest | list[tuple[str, str]]]:
    """Each row as validated: the request, or its problems as (code, message)."""
    with open_table(path) as table:
        columns = resolve_columns(table.headers, {}, str(path))
        out: list[UpdateRequest | list[tuple[str, str]]] = []
        for row in table.rows():
            result = validate_row(row, columns, RULES)
            out.append(
                result
                if isinstance(result, UpdateRequest)
                else [(p.code, p.message) for p in result]
            )
        return out


def inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


HEAD = '<row r="1">' + inline("A1", "appointId") + inline("B1", "userAccount")
HEAD += inline("C1", "appointTime") + "</row>"


def test_an_iso_date_cell_without_a_time_is_a_date_not_midnight(tmp_path: Path) -> None:
    # <c t="d"><v>2027-01-15</v></c> was sent as 2027-01-15 00:00
    rows = HEAD + "".join(
        f'<row r="{n}">{inline(f"A{n}", ID[:-1] + str(n))}{inline(f"B{n}", "agent")}'
        f'<c r="C{n}" t="d"><v>{value}</v></c></row>'
        for n, value in ((2, "2027-01-15"), (3, "2027-01-15T09:30:00"))
    )
    path = raw_xlsx(tmp_path / "d.xlsx", rows)
    first, second = checked(path)
    assert isinstance(first, list)
    assert [code for code, _m in first] == ["appointTime.no_time_of_day"]
    assert isinstance(second, UpdateRequest)
    assert second.appoint_time_ms == 1_800_005_400_000  # 2027-01-15 09:30 UTC


def styled_book(path: Path, rows: list[tuple[list[object], dict[int, str]]]) -> Path:
    """A workbook (openpyxl) whose cells get number formats: (values, {column: format})."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["appointId", "userAccount", "workNo", "appointTime", "remark", "vdnId"])
    for values, formats in rows:
        ws.append(values)
        for col, fmt in formats.items():
            ws.cell(ws.max_row, col).number_format = fmt
    wb.save(path)
    return path


T = "2030-01-15 09:30"


def test_numbers_shown_otherwise_are_not_sent_as_their_digits(tmp_path: Path) -> None:
    # workNo 1001 shown 001001 went out as '1001', appointId 123456 shown 000123456 as
    # '123456', userAccount 1380013800 shown 01380013800 as '1380013800'
    path = styled_book(
        tmp_path / "n.xlsx",
        [
            ([ID, "agent", 1001, T, None, None], {3: "000000"}),
            ([123456, "agent", None, T, None, None], {1: "000000000"}),
            ([ID, 1380013800, None, T, None, None], {2: "00000000000"}),
            ([ID, "agent", 12345678901234567, T, None, None], {}),  # >= 1e15
            ([ID, "agent", None, T, 0.5, None], {5: "0%"}),  # remark shown 50%
            ([ID, "agent", 1001, T, None, None], {3: "0"}),  # shows 1001: fine
            ([ID, "agent", 1001.0, T, None, None], {}),  # General: fine
            ([ID, "agent", None, 46402.375, None, 7], {4: "0.000", 6: "000"}),  # read as numbers
        ],
    )
    results = checked(path)
    codes = [[c for c, _m in r] if isinstance(r, list) else None for r in results]
    assert codes == [
        ["workNo.number_format"],
        ["appointId.number_format"],
        ["userAccount.number_format"],
        ["workNo.excel_number"],
        ["remark.number_format"],
        None,
        None,
        None,
    ]
    first = results[0]
    assert isinstance(first, list)
    assert first[0][1].startswith("the cell is a number that its number format shows otherwise")
    fine = results[5]
    assert isinstance(fine, UpdateRequest)
    assert fine.work_no == "1001"
    last = results[7]
    assert isinstance(last, UpdateRequest)
    assert last.vdn_id == 7


def test_a_value_hidden_by_its_format_is_not_sent(tmp_path: Path) -> None:
    # ;;; shows nothing: the remark 'secret old remark' and the time went out
    from datetime import datetime

    path = styled_book(
        tmp_path / "h.xlsx",
        [
            ([ID, "agent", None, T, "secret old remark", None], {5: ";;;"}),
            ([ID, "agent", None, datetime(2030, 1, 15, 9, 30), None, None], {4: ";;;"}),
            ([ID, "agent", None, T, "shown", None], {6: ";;;"}),  # an empty cell: nothing hidden
        ],
    )
    results = checked(path)
    assert [[c for c, _m in r] if isinstance(r, list) else None for r in results] == [
        ["remark.hidden_value"],
        ["appointTime.hidden_value"],
        None,
    ]


def filtered_book(path: Path) -> Path:
    """The hostile review's sheet: an AutoFilter shows only agent.li; remark column hidden."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["appointId", "userAccount", "appointTime", "remark", "case"])
    for i in range(6):
        agent = "agent.li" if i % 2 == 0 else "agent.OLD"
        ws.append([f"{ID[:-1]}{i}", agent, T, f"hidden-col remark {i}", f"row{i}"])
    ws.auto_filter.ref = "A1:E7"
    for line in (3, 5, 7):
        ws.row_dimensions[line].hidden = True
    ws.column_dimensions["D"].hidden = True
    wb.save(path)
    return path


def test_hidden_rows_and_columns_are_told_not_sent_silently(tmp_path: Path) -> None:
    # all six rows went out, agent.OLD and the hidden remarks included
    with open_table(filtered_book(tmp_path / "f.xlsx")) as table:
        rows = list(table.rows())
    assert [r.hidden for r in rows] == [False, True, False, True, False, True]
    assert all([i for i, _why in r.unreadable] == [3] for r in rows)  # the remark column
    why = rows[0].unreadable[0][1]
    assert getattr(why, "code", "") == "hidden_column"
    assert why.startswith("column D is hidden in the sheet")
    first = checked(tmp_path / "f.xlsx")[0]
    assert isinstance(first, list)
    assert [c for c, _m in first] == ["remark.hidden_column"]


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        ("refuse", ["invalid", "invalid", "invalid", "invalid", "invalid", "invalid"]),
        ("skip", ["invalid", "skipped", "invalid", "skipped", "invalid", "skipped"]),
        ("send", ["invalid"] * 6),
    ],
)
def test_hidden_rows_follow_input_hidden_rows(
    tmp_path: Path, policy: str, expected: list[str]
) -> None:
    from rescheduler.config import Config, InputConfig
    from rescheduler.read.dedupe import DuplicateScan
    from rescheduler.rows import Decided, RowPlanner, pass_one, pass_two
    from rescheduler.send.pool import Done

    config = Config(input=InputConfig(timezone="UTC", hidden_rows=policy, max_days_ahead=36500))
    path = filtered_book(tmp_path / "f.xlsx")  # every row's remark is in a hidden column
    with open_table(path) as table, DuplicateScan() as scan:
        plan = RowPlanner.for_table(config, table, ZoneInfo("UTC"), 0)
        pass_one(table, plan, scan, "reject")
        done = [d for d in pass_two(table, plan, Decided(scan.decided()), None, True)]
    assert all(isinstance(d, Done) for d in done)
    results = [d.result for d in done if isinstance(d, Done)]
    assert [r.status.value for r in results] == expected
    codes = [r.error_code for r in results]
    if policy == "refuse":
        assert codes[1] == "hidden_row;remark.hidden_column"
        assert results[1].error.startswith("hidden row: the row is hidden in the sheet")
    if policy == "skip":
        assert codes[1] == "hidden_row"


def test_a_value_whose_format_shows_a_word_instead_is_not_sent(tmp_path: Path) -> None:
    from datetime import datetime

    path = styled_book(
        tmp_path / "w.xlsx",
        [([ID, "agent", None, datetime(2030, 1, 15, 9, 30), None, None], {4: '"moved"'})],
    )
    [result] = checked(path)
    assert isinstance(result, list)
    assert [c for c, _m in result] == ["appointTime.hidden_value"]


@pytest.mark.parametrize("order", ["3,2", "2,2"])
def test_rows_out_of_order_or_twice_refuse_the_file(tmp_path: Path, order: str) -> None:
    # a repeated row 2 lost one of the two rows: never reported, never sent
    rows = HEAD + "".join(
        f'<row r="{n}">{inline(f"A{n}", ID[:-1] + str(i))}{inline(f"B{n}", "agent")}</row>'
        for i, n in enumerate(order.split(","))
    )
    path = raw_xlsx(tmp_path / "o.xlsx", rows)
    with pytest.raises(InputFileError) as info:
        open_table(path)
    first, second = order.split(",")
    assert str(info.value).endswith(
        f"row {second} comes after row {first} in the sheet's data: the file was not saved by a "
        "spreadsheet program as it is, or is damaged. Open it in Excel and save it again"
    )


@pytest.mark.parametrize("cut_at", ['<row r="5"', "</sheetData>", "</worksheet>"])
def test_a_sheet_cut_short_inside_a_whole_archive_refuses_the_file(
    tmp_path: Path, cut_at: str
) -> None:
    # the zip was whole (its CRC right) but the sheet's XML stopped inside row 5: the streaming
    # reader read rows 2-4 and said nothing, rows 5-11 were never reported
    import zipfile

    rows = HEAD + "".join(
        f'<row r="{n}">{inline(f"A{n}", ID[:-2] + f"{n:02d}")}{inline(f"B{n}", "agent")}</row>'
        for n in range(2, 12)
    )
    whole = raw_xlsx(tmp_path / "whole.xlsx", rows)
    with open_table(whole) as table:
        assert len(list(table.rows())) == 10
    cut = tmp_path / "cut.xlsx"
    with zipfile.ZipFile(whole) as zin, zipfile.ZipFile(cut, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename.endswith("sheet1.xml"):
                data = data[: data.index(cut_at.encode()) + 4]
            zout.writestr(info, data)
    with pytest.raises(InputFileError, match="the sheet stops before its end: the file is incom"):
        read_all(cut)


NO_SPREADSHEET = "the sheet holds XML that no spreadsheet program writes"


def _row(n: int, agent: str = "agent") -> str:
    return f'<row r="{n}">{inline(f"A{n}", ID[:-2] + f"{n:02d}")}{inline(f"B{n}", agent)}</row>'


@pytest.mark.parametrize(
    "broken",
    [
        _row(3, "a<b"),  # calamine ran the cell into row 4's first cell: "a1747...04"
        _row(3).replace("</is>", "</xx>", 1),  # calamine: appointId "1747...03agent"
        _row(3).replace("</c>", "", 1),  # a cell left open: read as empty
        _row(3).replace("</row>", ""),
        _row(3, "a&bogus;b"),  # an entity no XML defines: kept as written
        "GARBAGE<<>>" + _row(3),
    ],
    ids=["lt-in-text", "mismatched-tag", "open-cell", "open-row", "bad-entity", "garbage"],
)
def test_a_sheet_that_is_not_well_formed_xml_refuses_the_file(tmp_path: Path, broken: str) -> None:
    # both readers read past broken markup, each guessing differently; Excel never writes it
    path = raw_xlsx(tmp_path / "b.xlsx", HEAD + _row(2) + broken + _row(4))
    with pytest.raises(InputFileError, match=NO_SPREADSHEET):
        read_all(path)


def read_all(path: Path) -> int:
    with open_table(path) as table:
        return len(list(table.rows()))


def test_a_dtd_refuses_the_file(tmp_path: Path) -> None:
    import zipfile

    whole = raw_xlsx(tmp_path / "w.xlsx", HEAD + _row(2))
    dtd = tmp_path / "d.xlsx"
    with zipfile.ZipFile(whole) as zin, zipfile.ZipFile(dtd, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename.endswith("sheet1.xml"):
                data = b'<!DOCTYPE x [<!ENTITY a "aaaa">]>' + data
            zout.writestr(info, data)
    with pytest.raises(InputFileError, match=r"no spreadsheet program writes \(a DTD"):
        open_table(dtd)


def test_shared_strings_that_are_not_well_formed_refuse_the_file(tmp_path: Path) -> None:
    shared = ["<t>appointId</t>", "<t>userAccount</t>", "<t>a<b</t>"]
    rows = (
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
        f'<row r="2">{inline("A2", ID)}<c r="B2" t="s"><v>2</v></c></row>'
    )
    path = raw_xlsx(tmp_path / "s.xlsx", rows, shared=shared)
    with pytest.raises(InputFileError, match="shared-strings table holds XML that no spreadsheet"):
        open_table(path)


def _rewrite_sheet(source: Path, target: Path, change: Callable[[bytes], bytes]) -> Path:
    import zipfile

    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            zout.writestr(info, change(data) if info.filename.endswith("sheet1.xml") else data)
    return target


def _end_at_chunk_edge(data: bytes) -> bytes:
    """Pad (inside the root) so ``</worksheet>`` ends exactly at 1 MiB, then a line end."""
    end = b"</worksheet>"
    body = data[: data.rindex(end)]
    return body + b" " * ((1 << 20) - len(body) - len(end)) + end + b"\n"


@pytest.mark.parametrize(
    "change",
    [_end_at_chunk_edge, lambda data: data + b"\n" * 300, lambda data: data + b"\r\n"],
    ids=["end-tag-at-a-chunk-edge-then-newline", "300-newlines-after", "crlf-after"],
)
def test_whitespace_after_the_sheet_is_not_taken_for_a_cut(
    tmp_path: Path, change: Callable[[bytes], bytes]
) -> None:
    # an end-of-XML check that looked at the last read's 256 bytes refused these valid files
    whole = raw_xlsx(tmp_path / "w.xlsx", HEAD + _row(2))
    assert read_all(_rewrite_sheet(whole, tmp_path / "t.xlsx", change)) == 1


@pytest.mark.parametrize(
    "aside",
    ['<!-- <row r="3"><c r="A3" t="inlineStr"><is><t>9</t></is></c></row> -->', "<?pi x?>"],
    ids=["comment-holding-a-row", "processing-instruction"],
)
def test_comments_and_processing_instructions_refuse_the_file(tmp_path: Path, aside: str) -> None:
    # calamine skipped the comment; the streaming reader read the row inside it (and would send it)
    path = raw_xlsx(tmp_path / "c.xlsx", HEAD + _row(2) + aside + _row(4))
    with pytest.raises(InputFileError, match="comment or processing instruction"):
        read_all(path)
