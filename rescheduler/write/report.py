"""The results file and the errors-only file, streamed as rows complete (CSV or XLSX).

Both writers append rows in the order they are given; workers finish out of order, so the
``line`` column (the input's row number, header = 1) is what gives the input order. Memory is
O(1) in rows: CSV rows go straight to the file (its buffer reaches the OS at least every
``FLUSH_INTERVAL_S`` seconds or ``FLUSH_ROWS`` rows), XLSX rows are deflated straight into the
workbook's sheet (``xlsxsink``) and :meth:`close` finishes the archive.

CSV: UTF-8 with BOM, CRLF, every cell passed through :func:`rescheduler.write.safecell.neutralise`.
XLSX: text is written as string cells (never formulas, never numbers), input columns formatted
as Text (``@``) so a 30-digit ID stays text when a supervisor edits it; ``line``,
``http_status`` and ``attempts`` are numbers. Control characters, which XML cannot hold, are
written in OOXML's
``_xHHHH_`` escape (as Excel does). Cells are limited to 32,767 characters (longer text is
cut, as Excel would) and a sheet to 1,048,576 rows (beyond that :class:`OutputError`).

Nothing is ever written under the target's name until the file is complete: both formats are
written to ``<target>.partial`` beside it (a CSV streams there, readable as it grows) and
:meth:`close` renames that into place, keeping the permissions of the file it replaces. When
the ``with`` block ends in an exception the partial file is closed but not renamed, so an
earlier file under the target's name is left as it was. :func:`check_target` says beforehand
whether a target can be written and replaced.
"""

from __future__ import annotations

import contextlib
import csv
import os
import stat
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Self

from rescheduler.errors import OutputError
from rescheduler.i18n import _
from rescheduler.models import RowResult, Status
from rescheduler.read.columns import normalise_header
from rescheduler.write.safecell import csv_cells, csv_line, splits
from rescheduler.write.targets import check_target, partial_path
from rescheduler.write.xlsxsink import XlsxSink

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
BOM = "\ufeff"

Cell = str | int | None


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
            _("cannot write {path}: {reason}").format(path=path, reason=exc.strerror or exc),
            path=path,
            errno=exc.errno,
        ) from exc


class _Writer:
    """Shared shell: picks the sink by suffix, counts rows, maps OSError to OutputError.

    The sink writes ``partial`` (``<path>.partial``); ``close`` renames it to ``path``.
    """

    sheet = "results"

    def __init__(self, path: Path, input_headers: Sequence[str], columns: Sequence[str]) -> None:
        self.path = Path(path)
        self.partial = partial_path(self.path)
        self.columns = tuple(columns)
        self.rows = 0
        self._width = len(input_headers)
        self._closed = False
        self._published = False
        check_target(self.path)
        self._sink: _CsvSink | XlsxSink
        with _mapped(self.path):
            if self.path.suffix.lower() in EXCEL_SUFFIXES:
                self._sink = XlsxSink(self.partial, self.columns, self._width, self.sheet)
            else:
                self._sink = _CsvSink(self.partial, self.columns)
            self._identity = self._sink.identity()

    def check_partial(self) -> None:
        """``OutputError`` unless ``partial`` is still this writer's file (``owns_partial``)."""
        if not self.owns_partial():
            raise OutputError(
                _(
                    "{partial} was replaced or removed by another program while this run wrote "
                    "it; {path} was not replaced"
                ).format(partial=self.partial, path=self.path),
                path=self.partial,
            )

    def adopt_partial(self) -> None:
        """``partial`` was rewritten under its name by this run (``amend``): ours as it is now."""
        info = os.stat(self.partial)
        self._identity = info.st_dev, info.st_ino

    def owns_partial(self) -> bool:
        """Whether ``partial`` is still the file this writer created (not replaced, not
        removed by another program): only then is it renamed into place, or removed."""
        try:
            info = os.stat(self.partial)
        except OSError:
            return False
        return (info.st_dev, info.st_ino) == self._identity

    def _put(self, cells: Sequence[Cell]) -> None:
        if self._closed:
            raise ValueError(f"{self.path}: write after close")
        try:  # what _mapped does, inline: this runs once per row
            self._sink.write_row(cells)
        except OSError as exc:
            raise OutputError(
                _("cannot write {path}: {reason}").format(
                    path=self.partial, reason=exc.strerror or exc
                ),
                path=self.partial,
                errno=exc.errno,
            ) from exc
        self.rows += 1

    def flush(self) -> None:
        """Push buffered CSV rows to the OS (XLSX: nothing to do until close)."""
        if not self._closed:
            with _mapped(self.partial):
                self._sink.flush()

    def finish(self) -> None:
        """Complete the partial file (XLSX: save it) without renaming it. Safe to call twice."""
        if not self._closed:
            self._closed = True
            with _mapped(self.partial):
                self._sink.close()

    def publish(self) -> None:
        """Rename the finished partial file into place, with the replaced file's permissions."""
        if self._published:
            return
        self.finish()
        self.check_partial()
        with contextlib.suppress(OSError):
            os.chmod(self.partial, stat.S_IMODE(self.path.stat().st_mode))
        try:
            os.replace(self.partial, self.path)
        except OSError as exc:
            raise OutputError(
                _(
                    "cannot replace {path} ({error}; is it open in Excel?); "
                    "the report was saved as {saved}"
                ).format(path=self.path, error=exc.strerror or exc, saved=self.partial)
            ) from exc
        self._published = True

    def close(self) -> None:
        """Finish the file and move it into place. Safe to call twice."""
        self.finish()
        self.publish()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if kind is None:
            self.close()
        else:  # keep what was written beside the target; never replace it with a torn file
            with contextlib.suppress(OutputError):
                self.finish()


class ReportWriter(_Writer):
    """The results file: every input row once, its cells as read, then the outcome columns,
    then ``extra`` columns a stage adds (``before_*``: their cells are ``RowResult.extra``)."""

    def __init__(
        self, path: Path, input_headers: Sequence[str], extra: Sequence[str] = ()
    ) -> None:
        self.extra = tuple(extra)
        columns = unique_columns(input_headers, (*REPORT_COLUMNS, *self.extra))
        super().__init__(path, input_headers, columns)

    @property
    def width(self) -> int:
        """How many input columns come first."""
        return self._width

    def write(self, result: RowResult) -> None:
        cells = _fit(result.values, self._width)
        cells += [
            result.line, str(result.status), result.http_status, result.result_code,
            result.result_desc, result.return_code, result.return_desc, result.attempts,
            result.error, result.error_code, result.sent_time_utc,
        ]  # fmt: skip
        if self.extra:
            cells += _fit(result.extra, len(self.extra))
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
    def identity(self) -> tuple[int, int]:
        info = os.fstat(self._file.fileno())
        return info.st_dev, info.st_ino

    def __init__(self, path: Path, columns: Sequence[str]) -> None:
        # errors="replace": a lone surrogate must not stop the run; the file stays UTF-8.
        # The BOM is written by hand: "utf-8-sig" would encode every write in Python code.
        self._file = open(path, "w", encoding="utf-8", newline="", errors="replace")  # noqa: SIM115
        self._file.write(BOM)
        self._csv = csv.writer(self._file, lineterminator="\r\n")
        self._pending = 0
        self._flushed_at = time.monotonic()
        self.write_row(columns)

    def write_row(self, cells: Sequence[Cell]) -> None:
        row = csv_cells(cells)
        if splits(row):
            self._file.write(csv_line(row))
        else:
            self._csv.writerow(row)
        self._pending += 1
        if self._pending >= FLUSH_ROWS or time.monotonic() - self._flushed_at >= FLUSH_INTERVAL_S:
            self.flush()

    def flush(self) -> None:
        self._file.flush()
        self._pending = 0
        self._flushed_at = time.monotonic()

    def close(self) -> None:
        self._file.close()
