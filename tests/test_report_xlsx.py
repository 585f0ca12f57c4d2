"""The XLSX results and errors-only files, read back with openpyxl."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from rescheduler.errors import OutputError
from rescheduler.models import RowResult, Status
from rescheduler.write.report import REPORT_COLUMNS, open_errors_file, open_report
from rescheduler.write.safecell import xlsx_text

ID = "174729926098016859445364892091"
HEADERS = ("appointId", "remark")
TRICKY = ["=1+1", '=HYPERLINK("http://x")', "+86 138", "-5", "@x", "#N/A", "#REF!", "0012", ID]


def cells(path: Path) -> list[list[Any]]:
    sheet: Any = load_workbook(path).active
    return [list(row) for row in sheet.iter_rows()]


def test_text_cells_are_strings_and_exact(tmp_path: Path) -> None:
    path = tmp_path / "r.xlsx"
    with open_report(path, ("=HEADER", "remark")) as out:
        for line, text in enumerate(TRICKY, 2):
            out.write(RowResult(line, Status.FAILED, (text, "客户要求改约"), error=text))
    rows = cells(path)
    assert [c.value for c in rows[0]] == ["=HEADER", "remark", *REPORT_COLUMNS]
    assert all(c.data_type == "s" for c in rows[0])
    for text, row in zip(TRICKY, rows[1:], strict=True):
        for cell in (row[0], row[10]):
            assert (cell.value, cell.data_type) == (text, "s")
        assert (row[1].value, row[1].data_type) == ("客户要求改约", "s")


def test_numbers_empties_and_formats(tmp_path: Path) -> None:
    path = tmp_path / "r.xlsx"
    result = RowResult(
        7, Status.SUCCEEDED, (ID, ""), 200, "0200000", "update success", "0200000", "ok", 2
    )
    with open_report(path, HEADERS) as out:
        out.write(result)
        out.write(RowResult(8, Status.INVALID, ("x", "y"), error="appointId: bad"))
        out.flush()  # a no-op for XLSX
    header, first, second = cells(path)
    assert [c.value for c in first] == [
        ID, None, 7, "succeeded", 200, "0200000", "update success", "0200000", "ok", 2, None, None,
        None,
    ]  # fmt: skip
    assert [c.data_type for c in first if isinstance(c.value, int)] == ["n", "n", "n"]
    assert [second[i].value for i in (2, 4, 9)] == [8, None, 0]
    assert first[0].number_format == "@"  # input cells formatted as Text
    assert first[3].number_format == "General"
    assert all(c.font.b for c in header)


def test_sheet_layout(tmp_path: Path) -> None:
    path = tmp_path / "r.xlsx"
    open_report(path, HEADERS).close()
    book = load_workbook(path)
    sheet: Any = book.active
    assert book.sheetnames == ["results"]
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["A"].width == 34  # appointId
    assert sheet.column_dimensions["K"].width == 60  # error
    assert sheet.column_dimensions["A"].number_format == "@"


def test_control_characters_use_the_ooxml_escape(tmp_path: Path) -> None:
    path = tmp_path / "r.xlsx"
    with open_report(path, HEADERS) as out:
        out.write(RowResult(2, Status.FAILED, ("a\x01b", "tab\tand\nnewline"), error="_x0041_"))
    row = cells(path)[1]
    # openpyxl does not decode _xHHHH_ on reading; Excel does (to "a\x01b" and "_x0041_").
    assert [row[0].value, row[1].value, row[10].value] == [
        "a_x0001_b",
        "tab\tand\nnewline",
        "_x005F_x0041_",
    ]


def test_xlsx_text() -> None:
    assert xlsx_text("plain 客户") == "plain 客户"
    assert xlsx_text("\x00\x1f\ufffe") == "_x0000__x001F__xFFFE_"
    assert xlsx_text("a\ud800b") == "a\ufffdb"
    assert len(xlsx_text("x" * 40_000)) == 32_767


def test_written_atomically(tmp_path: Path) -> None:
    path = tmp_path / "r.xlsx"
    out = open_report(path, HEADERS)
    out.write(RowResult(2, Status.SKIPPED, (ID, "")))
    assert not path.exists()  # nothing under the final name until close
    out.close()
    assert [p.name for p in tmp_path.iterdir()] == ["r.xlsx"]  # no temp file left


def test_replace_failure_keeps_the_saved_copy(tmp_path: Path) -> None:
    path = tmp_path / "r.xlsx"
    out = open_report(path, HEADERS)
    path.mkdir()  # something (say Excel) now holds the final name
    with pytest.raises(OutputError, match=r"cannot replace .*r\.xlsx.*saved as") as info:
        out.close()
    saved = Path(str(info.value).rsplit("saved as ", 1)[1])
    assert saved == tmp_path / "r.xlsx.partial"
    renamed = saved.rename(tmp_path / "saved.xlsx")  # what the message asks a user to do
    assert [c.value for c in cells(renamed)[0]][:2] == list(HEADERS)


def test_errors_file_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "changes.errors.xlsx"
    with open_errors_file(path, HEADERS) as out:
        out.write(RowResult(2, Status.SUCCEEDED, (ID, "")))
        out.write(
            RowResult(3, Status.INVALID, (ID, "=x"), error="appointTime: missing", error_code="a.b")
        )
    book = load_workbook(path)
    assert book.sheetnames == ["errors"]
    rows = [[c.value for c in row] for row in book["errors"].iter_rows()]
    assert rows == [
        ["appointId", "remark", "line", "error", "error_code"],
        [ID, "=x", 3, "appointTime: missing", "a.b"],
    ]
    assert book["errors"]["B2"].data_type == "s"


def test_markup_shaped_text_stays_text_in_every_reader(tmp_path: Path) -> None:
    """The streamed sheet escapes what XML would read as markup (a streaming writer that took
    ``<r>...</r>`` for rich text would show another remark than the one sent)."""
    from rescheduler.read.reader import open_table

    texts = ["<r><t>moved</t></r>", "a & b < c > d", '"quoted" \'single\'', "]]>", " edge "]
    path = tmp_path / "r.xlsx"
    with open_report(path, HEADERS) as out:
        for line, text in enumerate(texts, 2):
            out.write(RowResult(line, Status.FAILED, (ID, text)))
    assert [row[1].value for row in cells(path)[1:]] == texts  # openpyxl
    with open_table(path) as table:  # rescheduler's reader (python-calamine below its limit)
        assert [row.values[1] for row in table.rows()] == texts
