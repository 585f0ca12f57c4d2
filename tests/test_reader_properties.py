"""Property: any cell text written as CSV (any supported encoding/delimiter) reads back exactly."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from rescheduler.read.reader import open_table
from rescheduler.read.validate import clean_cell

# Any text but NUL (refused: it signals UTF-16 without a BOM) and lone surrogates (not encodable).
cell_text = st.text(
    alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=30
)
ids = st.text(alphabet="0123456789", min_size=1, max_size=40)


def roundtrip(rows: list[list[str]], codec: str, delimiter: str) -> list[tuple[str, ...]]:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(["appointId", "remark", "note"])
    writer.writerows(rows)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "in.csv"
        path.write_bytes(buffer.getvalue().encode(codec))
        with open_table(path) as table:
            assert table.delimiter == delimiter
            out = [row.values for row in table.rows()]
            assert table.blank_rows == 0
            return out


@settings(max_examples=150, deadline=None)
@given(
    rows=st.lists(st.tuples(ids, cell_text, cell_text), min_size=1, max_size=8),
    codec=st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
)
def test_cells_survive_byte_for_byte(
    rows: list[tuple[str, str, str]], codec: str, delimiter: str
) -> None:
    assert roundtrip([list(r) for r in rows], codec, delimiter) == rows


@settings(max_examples=100, deadline=None)
@given(text=cell_text)
def test_clean_cell_keeps_text_without_edge_junk(text: str) -> None:
    cleaned = clean_cell(text)
    assert clean_cell(cleaned) == cleaned or cleaned.startswith("'")
    if text == text.strip().strip("\u200b\u200c\u200d\u2060\ufeff") and not text.startswith("'"):
        assert cleaned == text
