"""A row's texts escaped all at once (``xlsxsink._escaped``) give the very bytes that escaping
each cell alone gives, whatever the texts hold; rows it cannot do go cell by cell."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from rescheduler.write import xlsxsink
from rescheduler.write.safecell import XLSX_MAX_CHARS
from rescheduler.write.xlsxsink import XlsxSink

# Characters that matter to the escaping, and some that do not.
TRICKY = st.sampled_from(
    ["\x00", "\x01", "\t", "\n", "\r", "\x1f", "&", "<", ">", '"', "'", "_", "x", "0", "F",
     "\ud800", "\udfff", "\ufffe", "\uffff", "改", "😀", "=", ";", " "]
)  # fmt: skip
TEXTS = st.lists(TRICKY, max_size=12).map("".join) | st.text(max_size=20)
CELLS = st.lists(TEXTS | st.none() | st.integers(-5, 10**12), min_size=1, max_size=8)


def sheet_xml(path: Path, rows: list[list[str | int | None]]) -> bytes:
    sink = XlsxSink(path, [f"h{i}" for i in range(8)], 3, "results")
    for row in rows:
        sink.write_row(row)
    sink.close()
    with zipfile.ZipFile(path) as archive:
        return archive.read("xl/worksheets/sheet1.xml")


@given(st.lists(CELLS, min_size=1, max_size=4))
@example([["_x0041_", "a\x00b", "ok"]])
@example([["a" * (XLSX_MAX_CHARS + 1), "b"]])
@example([["<r>x</r>", "&amp;", "x\r\ny"]])
def test_a_row_at_once_writes_what_cell_by_cell_writes(rows: list[list[str | int | None]]) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        fast = sheet_xml(Path(folder) / "fast.xlsx", rows)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(xlsxsink, "_escaped", lambda texts: None)
            slow = sheet_xml(Path(folder) / "slow.xlsx", rows)
    assert fast == slow


@pytest.mark.parametrize(
    ("texts", "fast"),
    [
        (["plain", "a & b", "<r>"], True),
        (["x\x00y"], False),  # the separator inside a text
        (["bell\x07"], False),
        (["_x0041_"], False),
        (["\ud800"], False),
        (["a" * (XLSX_MAX_CHARS + 1)], False),
        ([], True),
    ],
)
def test_which_rows_take_the_fast_way(texts: list[str], fast: bool) -> None:
    assert (xlsxsink._escaped(texts) is not None) is fast


@pytest.mark.parametrize("name", ["results", 'a "quoted" & <odd> name', "改约\tx"])
def test_the_sheet_name_reads_back_as_given(tmp_path: Path, name: str) -> None:
    from openpyxl import load_workbook

    sink = XlsxSink(tmp_path / "n.xlsx", ["h"], 1, name)
    sink.write_row(["x"])
    sink.close()
    assert load_workbook(tmp_path / "n.xlsx", read_only=True).sheetnames == [name]


def test_writing_workbooks_does_not_import_urllib() -> None:
    import subprocess
    import sys

    code = "import sys, rescheduler.write.xlsxsink; print('urllib.request' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"  # xml.sax.saxutils pulled it in: ~40 ms per start
