"""The results file and the errors-only file, streamed as rows complete (CSV or XLSX).

Both writers append rows in the order they are given; workers finish out of order, so the
``line`` column (the input's row number, header = 1) is what gives the input order. Memory is
O(1) in rows: CSV rows go straight to the file (its buffer reaches the OS at least every
``FLUSH_INTERVAL_S`` seconds or ``FLUSH_ROWS`` rows), XLSX rows go to openpyxl's write-only
stream, which spools them to a temporary file until :meth:`close` zips the workbook.

CSV: UTF-8 with BOM, CRLF, every cell passed through :func:`rescheduler.write.safecell.neutralise`.
XLSX: text is written as string cells (never formulas, never numbers), input columns formatted
as Text (``@``) so a 30-digit ID stays text when a supervisor edits it; ``line``,
``http_status`` and ``attempts`` are numbers. The workbook is written to a temporary file in
the target directory and moved into place on close, so a crash never leaves a broken XLSX
under the final name. Control characters, which XML cannot hold, are written in OOXML's
``_xHHHH_`` escape (as Excel does). Cells are limited to 32,767 characters (longer text is
cut, as Excel would) and a sheet to 1,048,576 rows (beyond that :class:`OutputError`).
"""

from __future__ import annotations

import contextlib
import csv
import errno
import os
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from rescheduler.errors import OutputError
from rescheduler.i18n import _
from rescheduler.models import RowResult, Status
from rescheduler.read.columns import normalise_header
from rescheduler.write.safecell import neutralise, xlsx_text

REPORT_COLUMNS: tuple[str, ...] = (
    "line", "status", "http_status", "resultCode", "resultDesc",
    "returnCode", "returnDesc", "attempts", "error", "error_code", "appointTime_utc",
)  # fmt: skip
ERRORS_COLUMNS: tuple[str, ...] = ("line", "error", "error_code")
COLLISION_SUFFIX = "rescheduler"
ERROR_STATUSES = frozenset({Status.FAILED, Status.INVALID, Status.NOT_SENT})
FLUSH_INTERVAL_S = 0.5
FLUSH_ROWS = 1000
EXCEL_SUFFIXES = frozenset({".xlsx"})
UNWRITABLE_SUFFIXES = frozenset({".xls", ".xlsm", ".xlsb", ".ods"})
XLSX_MAX_ROWS = 1_048_576

Cell = str | int | None


def default_paths(input_path: Path, out: Path | None = None) -> tuple[Path, Path]:
    """``(results_path, errors_path)``; refuses paths that would overwrite the input.

    Results default to ``<input stem>.results.csv`` next to the input; the errors file takes
    the results name without ``.results``, plus ``.errors`` and the results suffix
    (``changes.results.csv`` -> ``changes.errors.csv``, ``out.xlsx`` -> ``out.errors.xlsx``).
    """
    results = out if out is not None else input_path.with_name(f"{input_path.stem}.results.csv")
    stem = results.stem
    if stem.lower().endswith(".results"):
        stem = stem[: -len(".results")]
    errors = results.with_name(f"{stem}.errors{results.suffix}")
    source = input_path.resolve()
    for path in (results, errors):
        if path.resolve() == source:
            raise OutputError(
                _("{path}: would overwrite the input file; choose another --out").format(path=path)
            )
    return results, errors


def unique_columns(input_headers: Sequence[str], extra: Sequence[str]) -> tuple[str, ...]:
    """``input_headers`` + ``extra``, an extra name that collides becoming ``name (rescheduler)``.

    Names collide when they match the way the reader matches headers (case, spaces, ``_``, ``-``
    ignored), so ``Status`` in the input gives a ``status (rescheduler)`` report column.
    """
    taken = {normalise_header(h) for h in input_headers}
    out = list(input_headers)
    for name in extra:
        candidate, n = name, 1
        while normalise_header(candidate) in taken:
            candidate = f"{name} ({COLLISION_SUFFIX}{'' if n == 1 else f' {n}'})"
            n += 1
        taken.add(normalise_header(candidate))
        out.append(candidate)
    return tuple(out)


def open_report(path: Path, input_headers: Sequence[str]) -> ReportWriter:
    """Open the results file: the input columns, then :data:`REPORT_COLUMNS`."""
    return ReportWriter(path, input_headers)


def open_errors_file(path: Path, input_headers: Sequence[str]) -> ErrorsWriter:
    """Open the errors-only file: the input columns, then ``line`` and ``error``."""
    return ErrorsWriter(path, input_headers)


def error_text(result: RowResult) -> str:
    """The ``error`` cell: the engine's message, or a fallback built from the row's outcome."""
    if result.error:
        return result.error
    if result.status == Status.NOT_SENT:
        return _("not sent: the run stopped before this row was attempted")
    if result.result_code:
        return f"{result.result_code} {result.result_desc}".rstrip()
    if result.http_status is not None:
        return f"HTTP {result.http_status}"
    return str(result.status)


def _fit(values: Sequence[str], width: int) -> list[Cell]:
    """One cell per input header: short rows padded, extra cells (no header) dropped."""
    cells: list[Cell] = list(values[:width])
    cells.extend([""] * (width - len(cells)))
    return cells


@contextlib.contextmanager
def _mapped(path: Path) -> Iterator[None]:
    """Map OSError (disk full, permission, directory missing) to OutputError naming ``path``."""
    try:
        yield
    except OSError as exc:
        raise OutputError(
            _("cannot write {path}: {reason}").format(path=path, reason=exc.strerror or exc)
        ) from exc


class _Writer:
    """Shared shell: picks the sink by suffix, counts rows, maps OSError to OutputError."""

    sheet = "results"

    def __init__(self, path: Path, input_headers: Sequence[str], columns: Sequence[str]) -> None:
        self.path = Path(path)
        self.columns = tuple(columns)
        self.rows = 0
        self._width = len(input_headers)
        self._closed = False
        suffix = self.path.suffix.lower()
        if suffix in UNWRITABLE_SUFFIXES:
            raise OutputError(
                _("{path}: cannot write {suffix} files; use .xlsx or .csv").format(
                    path=self.path, suffix=suffix
                )
            )
        self._sink: _CsvSink | _XlsxSink
        with _mapped(self.path):
            if suffix in EXCEL_SUFFIXES:
                self._sink = _XlsxSink(self.path, self.columns, self._width, self.sheet)
            else:
                self._sink = _CsvSink(self.path, self.columns)

    def _put(self, cells: Sequence[Cell]) -> None:
        if self._closed:
            raise ValueError(f"{self.path}: write after close")
        try:  # what _mapped does, inline: this runs once per row
            self._sink.write_row(cells)
        except OSError as exc:
            raise OutputError(
                _("cannot write {path}: {reason}").format(
                    path=self.path, reason=exc.strerror or exc
                )
            ) from exc
        self.rows += 1

    def flush(self) -> None:
        """Push buffered CSV rows to the OS (XLSX: nothing to do until close)."""
        if not self._closed:
            with _mapped(self.path):
                self._sink.flush()

    def close(self) -> None:
        """Finish the file (XLSX: save and move into place). Safe to call twice."""
        if not self._closed:
            self._closed = True
            with _mapped(self.path):
                self._sink.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class ReportWriter(_Writer):
    """The results file: every input row once, its cells as read, then the outcome columns."""

    def __init__(self, path: Path, input_headers: Sequence[str]) -> None:
        super().__init__(path, input_headers, unique_columns(input_headers, REPORT_COLUMNS))

    def write(self, result: RowResult) -> None:
        cells = _fit(result.values, self._width)
        cells += [
            result.line, str(result.status), result.http_status, result.result_code,
            result.result_desc, result.return_code, result.return_desc, result.attempts,
            result.error, result.error_code, result.sent_time_utc,
        ]  # fmt: skip
        self._put(cells)


class ErrorsWriter(_Writer):
    """The errors-only file: failed, invalid and not_sent rows, ready to fix and feed back in.

    Columns: the input's, then ``line``, ``error`` and ``error_code``. When the input already
    has both a ``line`` and an ``error`` column (it is itself an errors file, fed back in),
    those columns (and ``error_code``, if it has one) are refilled instead of appended again,
    so the file keeps its shape round after round.
    """

    sheet = "errors"

    def __init__(self, path: Path, input_headers: Sequence[str]) -> None:
        keys = [normalise_header(h) for h in input_headers]
        # Where line, error, error_code go: an input column index, or None (appended).
        self._slots: list[int | None] = [None] * len(ERRORS_COLUMNS)
        if "line" in keys and "error" in keys:
            self._slots = [
                keys.index(normalise_header(name)) if normalise_header(name) in keys else None
                for name in ERRORS_COLUMNS
            ]
        appended = [n for n, at in zip(ERRORS_COLUMNS, self._slots, strict=True) if at is None]
        super().__init__(path, input_headers, unique_columns(input_headers, appended))

    def write(self, result: RowResult) -> None:
        """Write ``result`` if its status needs fixing; other rows are ignored."""
        if result.status not in ERROR_STATUSES:
            return
        cells = _fit(result.values, self._width)
        values: tuple[Cell, ...] = (result.line, error_text(result), result.error_code)
        for at, value in zip(self._slots, values, strict=True):
            if at is None:
                cells.append(value)
            else:
                cells[at] = value
        self._put(cells)


class _CsvSink:
    def __init__(self, path: Path, columns: Sequence[str]) -> None:
        # errors="replace": a lone surrogate must not stop the run; the file stays UTF-8.
        self._file = open(path, "w", encoding="utf-8-sig", newline="", errors="replace")  # noqa: SIM115
        self._csv = csv.writer(self._file, lineterminator="\r\n")
        self._pending = 0
        self._flushed_at = time.monotonic()
        self.write_row(columns)

    def write_row(self, cells: Sequence[Cell]) -> None:
        self._csv.writerow(
            ["" if c is None else c if isinstance(c, int) else neutralise(c) for c in cells]
        )
        self._pending += 1
        if self._pending >= FLUSH_ROWS or time.monotonic() - self._flushed_at >= FLUSH_INTERVAL_S:
            self.flush()

    def flush(self) -> None:
        self._file.flush()
        self._pending = 0
        self._flushed_at = time.monotonic()

    def close(self) -> None:
        self._file.close()


def _width(name: str) -> float:
    wide = {"appointId": 34, "remark": 30, "error": 60, "error_code": 24}
    wide |= {"resultDesc": 28, "returnDesc": 28}
    return float(wide.get(name, min(max(len(name) + 4, 10), 40)))


class _XlsxSink:
    def __init__(self, path: Path, columns: Sequence[str], text_columns: int, sheet: str) -> None:
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font
        from openpyxl.utils import get_column_letter

        self._path, self._text_columns, self._rows = path, text_columns, 0
        self._cell = WriteOnlyCell
        if path.is_dir():
            raise IsADirectoryError(errno.EISDIR, "is a directory")
        # Created now, not at close, so an unwritable directory fails before anything is sent
        # (and with open(..., "x"), not mkstemp, so it gets the usual umask permissions).
        self._tmp = path.with_name(f".{path.stem}.{os.urandom(4).hex()}.tmp.xlsx")
        open(self._tmp, "xb").close()
        self._book = Workbook(write_only=True)
        self._sheet: Any = self._book.create_sheet(sheet)
        for i, name in enumerate(columns, 1):
            dim = self._sheet.column_dimensions[get_column_letter(i)]
            dim.width = _width(name)
            if i <= text_columns:
                dim.number_format = "@"  # cells typed later in Excel stay text too
        self._sheet.freeze_panes = "A2"
        header = [WriteOnlyCell(self._sheet, xlsx_text(name)) for name in columns]
        for cell in header:
            cell.data_type, cell.font = "s", Font(bold=True)
        self._append(header)

    def _append(self, row: list[Any]) -> None:
        if self._rows >= XLSX_MAX_ROWS:
            raise OutputError(
                _("cannot write {path}: over {max:,} rows; use .csv").format(
                    path=self._path, max=XLSX_MAX_ROWS
                )
            )
        self._sheet.append(row)
        self._rows += 1

    def write_row(self, cells: Sequence[Cell]) -> None:
        row: list[Any] = []
        for i, value in enumerate(cells):
            if value is None or value == "" or isinstance(value, int):
                row.append(None if value == "" else value)
            elif i >= self._text_columns and value[0] not in "=#":
                row.append(xlsx_text(value))  # a plain str is a string cell: the fast path
            else:
                # openpyxl guesses "f" for a leading "=" and "e" for "#N/A" and the like;
                # forcing data_type "s" afterwards keeps every text a plain string cell.
                cell = self._cell(self._sheet, xlsx_text(value))
                cell.data_type = "s"
                if i < self._text_columns:
                    cell.number_format = "@"
                row.append(cell)
        self._append(row)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        try:
            self._book.save(self._tmp)
        except BaseException:
            with contextlib.suppress(OSError):
                self._tmp.unlink()
            raise
        try:
            os.replace(self._tmp, self._path)
        except OSError as exc:
            raise OutputError(
                _(
                    "cannot replace {path} ({error}; is it open in Excel?); "
                    "the report was saved as {saved}"
                ).format(path=self._path, error=exc.strerror or exc, saved=self._tmp)
            ) from exc
