"""A table of text cells written as CSV or XLSX (by suffix) that the reader reads back exactly.

For files meant to be read again as input, such as ``export``'s change file: every cell is
text. CSV is UTF-8 with a BOM and CRLF, and a cell Excel would run as a formula is prefixed
with ``'`` (``safecell.neutralise``; the reader strips it). XLSX cells are string cells in
columns formatted as Text, so a 30-digit ``appointId`` stays text when a supervisor edits it;
a sheet holds at most 1,048,576 rows (beyond that ``OutputError``: use CSV). Rows stream to
the file (``xlsxsink``, the reports' streaming writer): memory does not grow with the rows.
The writer writes to the path it is given; wrap it in ``atomic.replacing`` to publish the file
only when complete.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from rescheduler.errors import OutputError
from rescheduler.i18n import _
from rescheduler.write.report import EXCEL_SUFFIXES
from rescheduler.write.safecell import csv_line, neutralise, quote_row
from rescheduler.write.targets import UNWRITABLE_SUFFIXES
from rescheduler.write.xlsxsink import XlsxSink

WIDE = {"appointId": 34, "remark": 30, "listed_remark": 30, "note": 50, "appointTime": 21}


def _width(name: str) -> float:
    return float(WIDE.get(name, min(max(len(name) + 4, 10), 30)))


def check_suffix(path: Path) -> None:
    """``OutputError`` for a suffix the writer cannot produce (.xls, .ods ...)."""
    suffix = path.suffix.lower()
    if suffix in UNWRITABLE_SUFFIXES:
        raise OutputError(
            _("{path}: cannot write {suffix} files; use .xlsx or .csv").format(
                path=path, suffix=suffix
            )
        )


class TableWriter:
    """``with TableWriter(path, columns, excel=...) as out: out.write(cells)``."""

    def __init__(self, path: Path, columns: Sequence[str], *, excel: bool) -> None:
        self.path = Path(path)
        self.rows = 0
        self._excel = excel
        self._width = len(columns)
        self._sink: XlsxSink | None = None
        self._file: Any = None
        try:
            if excel:
                self._sink = XlsxSink(self.path, columns, len(columns), "reservations", _width)
            else:
                self._file = open(  # noqa: SIM115
                    self.path, "w", encoding="utf-8-sig", newline="", errors="replace"
                )
                self._csv = csv.writer(self._file, lineterminator="\r\n")
                self._csv_row([neutralise(name) for name in columns])
        except OSError as exc:
            raise OutputError(
                _("cannot write {path}: {error}").format(path=self.path, error=exc.strerror or exc)
            ) from exc

    @staticmethod
    def for_path(path: Path, columns: Sequence[str]) -> TableWriter:
        """CSV or XLSX, as ``path``'s suffix says."""
        return TableWriter(path, columns, excel=path.suffix.lower() in EXCEL_SUFFIXES)

    def _csv_row(self, row: list[str]) -> None:
        """A row of CSV cells; one holding ``;`` or a tab is quoted too (``safecell``)."""
        if quote_row(row):
            self._file.write(csv_line(row))
        else:
            self._csv.writerow(row)

    def write(self, cells: Sequence[str]) -> None:
        """One row of text cells (padded or cut to the header's width)."""
        values = list(cells[: self._width]) + [""] * (self._width - len(cells))
        try:
            if self._sink is not None:
                self._sink.write_row(values)
                self.rows += 1
            else:
                self._csv_row([neutralise(v) for v in values])
                self.rows += 1
        except OSError as exc:
            raise OutputError(
                _("cannot write {path}: {error}").format(path=self.path, error=exc.strerror or exc)
            ) from exc

    def close(self) -> None:
        """Finish the file (XLSX: zip the workbook now)."""
        try:
            if self._sink is not None:
                sink, self._sink = self._sink, None
                sink.close()
            if self._file is not None:
                self._file.close()
                self._file = None
        except OSError as exc:
            raise OutputError(
                _("cannot write {path}: {error}").format(path=self.path, error=exc.strerror or exc)
            ) from exc

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if kind is None:
            self.close()
        else:
            if self._file is not None:
                self._file.close()
                self._file = None
            if self._sink is not None:
                sink, self._sink = self._sink, None
                sink.abandon()
