"""Rebuild samples/changes.xlsx from samples/changes.csv, the way Excel users produce it.

IDs are text cells (column formatted as Text), most times are real Excel date cells, and the
row whose ID Excel mangled holds a real number, as it would in a sheet typed without care.
Run: python samples/build_xlsx.py
"""

from __future__ import annotations

import contextlib
import csv
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

HERE = Path(__file__).resolve().parent


def main() -> None:
    with (HERE / "changes.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "changes"
    sheet.append(rows[0])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for values in rows[1:]:
        cells: list[object] = list(values)
        if values[0] == "1.74729E+29":
            cells[0] = 1.74729e29  # what Excel keeps of a 30-digit ID typed into a number cell
        with contextlib.suppress(ValueError):  # a real date cell where the text allows
            cells[3] = datetime.strptime(values[3], "%Y-%m-%d %H:%M")
        sheet.append(cells)
    for row in sheet.iter_rows(min_row=2):
        for index in (0, 1, 2):
            if isinstance(row[index].value, str):
                row[index].number_format = "@"
        if isinstance(row[3].value, datetime):
            row[3].number_format = "yyyy-mm-dd hh:mm"
        if isinstance(row[4].value, str) and row[4].value.startswith("="):
            row[4].data_type = "s"  # text that looks like a formula, as in the CSV (not one)
    for letter, width in zip("ABCDEF", (34, 14, 8, 28, 40, 14), strict=True):
        sheet.column_dimensions[letter].width = width
    book.save(HERE / "changes.xlsx")


if __name__ == "__main__":
    main()
