"""A column added to a finished results file before it is put in place (``run --verify``).

The results file streams to ``<results>.partial`` while rows finish; a fact learnt only after the
last row (whether the server shows what was sent) cannot be written with the row. ``amend``
reads the finished partial file once more, row by row, and writes it again beside itself with
one column more (and, for some rows, other cells changed), then puts it back under the partial
name: memory stays flat, and the results file is still published only when complete. CSV cells
are copied as they are (already made safe for Excel); new text goes through ``neutralise``.
XLSX is read with openpyxl's streaming reader and written again by the report's own sink.
"""

from __future__ import annotations

import contextlib
import csv
import os
from collections.abc import Callable, Mapping
from pathlib import Path

from rescheduler.errors import OutputError
from rescheduler.i18n import _
from rescheduler.write.report import (
    EXCEL_SUFFIXES,
    REPORT_COLUMNS,
    ReportWriter,
    unique_columns,
)
from rescheduler.write.safecell import neutralise
from rescheduler.write.xlsxsink import XlsxSink

# line -> {column name: new text} for that row: the added column, or a report column (``error``,
# ``error_code`` ...); None leaves the row as it is, with the new column empty.
Changes = Callable[[int], Mapping[str, str] | None]
ByIndex = Callable[[int], dict[int, str]]


def amend(writer: ReportWriter, name: str, changes: Changes) -> None:
    """Add column ``name`` to ``writer``'s finished partial file; ``OutputError`` on failure."""
    partial = writer.partial
    columns = list(unique_columns(writer.columns, (name,)))
    line_at = writer.width  # "line" is the first report column
    names = (*REPORT_COLUMNS, *writer.extra)
    index = {n: writer.width + i for i, n in enumerate(names)} | {name: len(columns) - 1}
    tmp = partial.with_name(f"{partial.name}.amend")
    writer.check_partial()  # never another program's file put under that name
    try:
        if writer.path.suffix.lower() in EXCEL_SUFFIXES:
            _xlsx(partial, tmp, columns, writer.width, line_at, _by_index(changes, index))
        else:
            _csv(partial, tmp, columns, line_at, _by_index(changes, index))
        os.replace(tmp, partial)
        writer.adopt_partial()
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise OutputError(
            _("cannot write {path}: {reason}").format(path=partial, reason=exc.strerror or exc),
            path=partial,
            errno=exc.errno,
        ) from exc


def _by_index(changes: Changes, index: Mapping[str, int]) -> Callable[[int], dict[int, str]]:
    def by_index(line: int) -> dict[int, str]:
        return {index[name]: text for name, text in (changes(line) or {}).items()}

    return by_index


def _apply(cells: list[object], width: int, new: Mapping[int, str], csv_text: bool) -> None:
    cells.extend([""] * (width - len(cells)))
    for at, text in new.items():
        cells[at] = neutralise(text) if csv_text else text


def _csv(source: Path, target: Path, columns: list[str], line_at: int, changes: ByIndex) -> None:
    with (
        source.open(encoding="utf-8-sig", newline="") as inp,
        target.open("w", encoding="utf-8-sig", newline="", errors="replace") as out,
    ):
        rows = csv.reader(inp)
        writer = csv.writer(out, lineterminator="\r\n")
        next(rows, None)
        writer.writerow([neutralise(c) for c in columns])
        for row in rows:
            cells: list[object] = list(row)
            line = int(row[line_at]) if row[line_at].isdigit() else 0
            _apply(cells, len(columns), changes(line), csv_text=True)
            writer.writerow(cells)


def _xlsx(
    source: Path, target: Path, columns: list[str], text: int, line_at: int, changes: ByIndex
) -> None:
    from openpyxl import load_workbook
    from openpyxl.utils.escape import unescape  # the reader leaves OOXML's _xHHHH_ escapes

    handle = source.open("rb")  # by name, openpyxl refuses a .partial file
    book = load_workbook(handle, read_only=True)
    try:
        sheet = book.worksheets[0]
        sink = XlsxSink(target, columns, text, sheet.title)
        rows = sheet.iter_rows(values_only=True)
        next(rows, None)
        for row in rows:
            cells: list[object] = [
                "" if v is None else unescape(v) if isinstance(v, str) else v for v in row
            ]
            value = cells[line_at] if line_at < len(cells) else None
            line = value if isinstance(value, int) else 0
            _apply(cells, len(columns), changes(line), csv_text=False)
            sink.write_row([c if isinstance(c, int | str) else str(c) for c in cells])
        sink.close()
    finally:
        book.close()
        handle.close()
