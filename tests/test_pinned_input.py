"""Every reader reads the run's private copy of the input (``read.pinned``), for every format.

Each format is opened through ``pin(...).path``; then the file under its name is overwritten
and removed, and every later pass (and a fresh open, as a crash's re-read does) still reads
the rows of the copy, while messages keep naming the user's file. A reader that opened the
file by its name (``str(path)``) instead of ``os.fspath(path)`` fails here.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from rescheduler.read.pinned import pin
from rescheduler.read.reader import open_table
from tests.e2e import simple_rows, write_csv
from tests.xlsxfiles import workbook

SHEETS = Path(__file__).parent / "fixtures" / "sheets"


def make(kind: str, folder: Path) -> Path:
    if kind == "csv":
        return write_csv(folder / "in.csv", simple_rows(5))
    if kind == "utf-16 text":
        path = folder / "in.txt"
        text = "appointId\tuserAccount\n" + "".join(f"{9000 + n}\tagent{n}\n" for n in range(5))
        path.write_bytes(text.encode("utf-16"))
        return path
    if kind.startswith("xlsx"):
        rows = [["appointId", "userAccount"], *([f"{9000 + n}", f"agent{n}"] for n in range(5))]
        return workbook(folder / "in.xlsx", {"Changes": rows})
    source = {"xls": "cells.xls", "ods": "plain.ods", "xlsb": "any_sheets.xlsb"}[kind]
    target = folder / f"in{Path(source).suffix}"
    shutil.copyfile(SHEETS / source, target)
    return target


@pytest.mark.parametrize(
    "kind", ["csv", "utf-16 text", "xlsx loaded", "xlsx streamed", "xls", "ods", "xlsb"]
)
def test_every_pass_reads_the_copy_whatever_happens_to_the_file(
    tmp_path: Path, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if kind == "xlsx streamed":
        monkeypatch.setattr("rescheduler.read.xlsx.LOAD_MAX_XML_BYTES", -1)
    path = make(kind, tmp_path)
    with pin(path, tmp_path) as pinned:
        assert pinned.copied
        assert str(pinned.path) == str(path)  # every message names the user's file
        table = open_table(pinned.path)
        first = list(table.rows())
        assert first
        with path.open("r+b") as handle:  # rewritten in place, then gone altogether
            handle.write(b"\x00garbage" * 64)
        assert pinned.changed() is not None
        path.unlink()
        assert pinned.changed() is not None
        assert list(table.rows()) == first
        table.close()
        with open_table(pinned.path) as again:  # a crash's re-read: the same rows
            assert list(again.rows()) == first
            assert str(again.path) == str(path)
    assert [p.name for p in tmp_path.iterdir()] == []  # the copy leaves nothing behind


def test_a_file_replaced_by_rename_is_a_change_and_the_copy_stays(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "in.csv", simple_rows(3))
    other = write_csv(tmp_path / "other.csv", simple_rows(1, start=50))
    with pin(path, tmp_path) as pinned:
        table = open_table(pinned.path)
        first = list(table.rows())
        assert pinned.changed() is None
        os.replace(other, path)
        assert pinned.changed() == "it was replaced by another file"
        assert list(table.rows()) == first
        table.close()
