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

from rescheduler.write.safecell import restore

NUMBER_COLUMNS = frozenset({"line", "http_status", "attempts"})


def xlsx_beside(csv_path: Path) -> Path:
    return csv_path.with_suffix(".xlsx")


def converted(csv_path: Path, input_columns: int, sheet: str) -> Path:
    """The workbook of ``csv_path`` (made now if it is missing or older than the CSV)."""
    target = xlsx_beside(csv_path)
    if target.is_file() and target.stat().st_mtime >= csv_path.stat().st_mtime:
        return target
    from rescheduler.write.xlsxsink import XlsxSink

    def width(name: str) -> float:
        return 34.0 if name in ("appointId", "error") else 16.0

    partial = target.with_name(f".{target.name}.partial")
    with csv_path.open(encoding="utf-8-sig", newline="") as handle:
        rows = csv.reader(handle)
        header = next(rows, [])
        sink = XlsxSink(partial, header, input_columns, sheet, width)
        try:
            numeric = {i for i, name in enumerate(header) if name in NUMBER_COLUMNS}
            for record in rows:
                sink.write_row(
                    [
                        None if not value
                        else int(value) if i in numeric and value.isdigit()
                        else restore(value)
                        for i, value in enumerate(record)
                    ]
                )  # fmt: skip
        except BaseException:
            sink.abandon()
            partial.unlink(missing_ok=True)
            raise
        sink.close()
    os.replace(partial, target)
    return target
