"""Files published whole (write/atomic) and text tables that read back exactly (write/table)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rescheduler.errors import OutputError
from rescheduler.read.reader import open_table
from rescheduler.read.validate import clean_cell
from rescheduler.state.changefile import sheet_cell
from rescheduler.write.atomic import replacing
from rescheduler.write.table import TableWriter, check_suffix

CELLS = ["174729926098016859445364892091", "=SUM(A1)", "'quoted", "-5", "客户\n改约", "", "@x"]


def test_replacing_publishes_only_a_complete_file(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("earlier", encoding="utf-8")
    seen: list[Path] = []

    def interrupted_while_writing() -> None:
        with replacing(target) as tmp:
            seen.append(tmp)
            tmp.write_text("half", encoding="utf-8")
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        interrupted_while_writing()
    assert (seen[0].parent, seen[0].suffix) == (tmp_path, ".csv")
    assert seen[0].name.startswith(".out.")
    assert target.read_text(encoding="utf-8") == "earlier"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]
    with replacing(target) as tmp:
        tmp.write_text("whole", encoding="utf-8")
    assert target.read_text(encoding="utf-8") == "whole"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


def test_a_failed_rename_keeps_the_complete_file_and_says_where(tmp_path: Path) -> None:
    target = tmp_path / "dir.csv"
    target.mkdir()
    (target / "x").write_text("keeps the directory from being replaced", encoding="utf-8")
    with (
        pytest.raises(OutputError, match=r"cannot replace .*dir\.csv .*saved as .*\.dir\."),
        replacing(target) as tmp,
    ):
        tmp.write_text("whole", encoding="utf-8")
    assert [p.read_text(encoding="utf-8") for p in tmp_path.glob(".dir.*")] == ["whole"]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_cells_read_back_exactly_as_input(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"t{suffix}"
    headers = [f"c{i}" for i in range(len(CELLS))]
    with TableWriter.for_path(path, headers) as out:
        out.write([sheet_cell(c) or "" for c in CELLS])
        out.write(["1", "2"])  # short rows are padded
    assert out.rows == 2
    with open_table(path) as table:
        assert table.headers == tuple(headers)
        rows = [row.values for row in table.rows()]
    assert [clean_cell(v) for v in rows[0]] == CELLS
    assert rows[1] == ("1", "2", "", "", "", "", "")


def test_xlsx_cells_are_text_even_when_they_look_like_formulas(tmp_path: Path) -> None:
    import openpyxl

    path = tmp_path / "t.xlsx"
    with TableWriter.for_path(path, ["a", "b"]) as out:
        out.write(["=1+1", "#N/A"])
    sheet = openpyxl.load_workbook(path).worksheets[0]
    cells = [sheet["A2"], sheet["B2"]]
    assert [(c.value, c.data_type, c.number_format) for c in cells] == [
        ("=1+1", "s", "@"),
        ("#N/A", "s", "@"),
    ]


def test_unwritable_suffixes_are_refused_up_front() -> None:
    with pytest.raises(OutputError, match=r"cannot write \.ods files; use \.xlsx or \.csv"):
        check_suffix(Path("x.ods"))
