"""The check's validation files as Excel workbooks, for supervisors (blocking; run in a thread).

The check writes its validation report and rows-to-fix as CSV (fast: a 200,000-row check
stays a few seconds). A supervisor opens them in Excel, which shows a 30-digit appointId as
``1.74729E+29`` and destroys it on saving; so the page hands out workbooks, converted on the
first download and kept beside the CSV: every cell a text cell (the input's columns formatted
as Text, so an ID typed later stays text too), ``line`` a number, nothing a formula. The
rows-to-fix workbook goes straight back into the upload, IDs intact.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import Any

from rescheduler.write.safecell import restore, xlsx_text

NUMBER_COLUMNS = frozenset({"line", "http_status", "attempts"})


def xlsx_beside(csv_path: Path) -> Path:
    return csv_path.with_suffix(".xlsx")


def converted(csv_path: Path, input_columns: int, sheet: str) -> Path:
    """The workbook of ``csv_path`` (made now if it is missing or older than the CSV)."""
    target = xlsx_beside(csv_path)
    if target.is_file() and target.stat().st_mtime >= csv_path.stat().st_mtime:
        return target
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    sheet_: Any = book.create_sheet(sheet)
    with csv_path.open(encoding="utf-8-sig", newline="") as handle:
        rows = csv.reader(handle)
        header = next(rows, [])
        for i, name in enumerate(header, 1):
            dim = sheet_.column_dimensions[get_column_letter(i)]
            dim.width = 34.0 if name in ("appointId", "error") else 16.0
            if i <= input_columns:
                dim.number_format = "@"
        sheet_.freeze_panes = "A2"
        bold = []
        for name in header:
            cell = WriteOnlyCell(sheet_, xlsx_text(name))
            cell.data_type, cell.font = "s", Font(bold=True)
            bold.append(cell)
        sheet_.append(bold)
        numeric = {i for i, name in enumerate(header) if name in NUMBER_COLUMNS}
        for record in rows:
            out: list[Any] = []
            for i, value in enumerate(record):
                if not value:
                    out.append(None)
                elif i in numeric and value.isdigit():
                    out.append(int(value))
                else:
                    cell = WriteOnlyCell(sheet_, xlsx_text(restore(value)))
                    cell.data_type = "s"  # never a formula, never a number
                    if i < input_columns:
                        cell.number_format = "@"
                    out.append(cell)
            sheet_.append(out)
    partial = target.with_name(f".{target.name}.partial")
    book.save(partial)
    os.replace(partial, target)
    return target
