"""XLSX/XLSM input: one worksheet, every cell as what it shows, in one of two ways.

- A sheet of up to ``LOAD_MAX_XML_BYTES`` of XML is loaded by python-calamine (fast: a
  100,000-row sheet in about a third of a second) and ``xlsxscan`` finds, in the sheet's XML,
  the cells calamine cannot describe: formulas without a saved value and error cells (calamine
  reads both as empty), and cells whose number format shows a date only, a time only or a
  duration (calamine reads a date-only cell and 00:00 alike). A sheet with none of those is
  not scanned again after the first look. The load runs in a thread (``xlsxload``) while the
  first look reads the XML: calamine releases the GIL, so on two cores the two overlap.
- A larger sheet is streamed by ``xlsxstream`` (calamine holds a whole sheet: 420 MB at
  1,048,576 rows), 1 MB of XML at a time, memory flat in the rows.

Both read the package's own parts with ``xlsxparts`` (sheet list and visibility, styles, shared
strings), cut the XML at row ends (``_pieces``), and look once, before the rows
(``xlsxlook``), for the dimension, the merged ranges (listed after the rows), hidden rows and
columns, rows out of order, and whether every cell carries its reference (``<c r="A1"``),
without which calamine's rows and the scanner's cells could not be matched (then the sheet is
streamed). What each cell becomes: ``cellvalue``; merged ranges:
``spreadsheet``; the reader contract: ``rescheduler.read.reader``.
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Generator
from datetime import date, datetime
from pathlib import Path
from typing import Any

from rescheduler.errors import InputFileError
from rescheduler.i18n import _
from rescheduler.read.cellvalue import (
    Unreadable,
    datetime_text,
    format_mark,
    number_text,
    render,
)
from rescheduler.read.numfmt import NumberKind
from rescheduler.read.reader import MAX_CELL_CHARS
from rescheduler.read.spreadsheet import (
    Cells,
    SpreadsheetTable,
    choose_sheet,
    too_long,
)
from rescheduler.read.wellformed import check_part
from rescheduler.read.xlsxload import SheetLoad, background_allowed
from rescheduler.read.xlsxlook import first_cell_placed, look_at_sheet
from rescheduler.read.xlsxparts import (
    CHUNK,
    Package,
    damaged,
    last_end_tag,
    shared_strings_label,
    sniff,
)
from rescheduler.read.xlsxscan import Unplaceable, special_cells
from rescheduler.read.xlsxstream import CellStream

__all__ = ["XlsxTable"]

MAX_ROW_BYTES = 128 << 20
# python-calamine (fast, but it holds the whole sheet) for sheets up to this much XML; larger
# ones are streamed. 48 MB of sheet XML is about 175,000 rows of 6 columns; calamine then peaks
# near 200 MB. Measured: 1,048,576 rows (270 MB of XML) peaked at 420 MB in calamine alone.
LOAD_MAX_XML_BYTES = 48 << 20

_NO_NOTES: dict[int, tuple[str | None, NumberKind | None]] = {}


def _plain(value: object) -> str | None:
    """A plain cell's text, fast; None when it needs ``render`` (a time, a duration...)."""
    kind = type(value)
    if kind is datetime:
        return datetime_text(value)  # type: ignore[arg-type]
    if kind is float:
        return number_text(value)  # type: ignore[arg-type]
    if kind is date:
        return f"{value.isoformat()} 00:00:00"  # type: ignore[attr-defined]
    if kind is bool:
        return "TRUE" if value else "FALSE"
    return None


class XlsxTable(SpreadsheetTable):
    """One worksheet of an .xlsx/.xlsm workbook, streamed."""

    def __init__(self, path: Path, sheet: str | None) -> None:
        super().__init__(path)
        suffix = path.suffix.lower()
        if (why := sniff(path, suffix)) is not None:
            raise self._error(why)
        self._package: Package | None = None
        self._book: Any = None
        self._loaded: Any = None  # the sheet as python-calamine loaded it, or None: streamed
        self._loading: SheetLoad | None = None
        try:
            self._package = package = Package(path)
            book = package.book()
            entry, self.other_sheets = choose_sheet(path, book.sheets, sheet)
            self.sheet = entry.name
            self._part = book.targets.get(entry.name, "")
            if not package.exists(self._part):
                raise self._error(
                    _("the sheet {name} is missing from the workbook").format(name=repr(entry.name))
                )
            size = package.zip.getinfo(self._part).file_size
            if size <= LOAD_MAX_XML_BYTES and first_cell_placed(package.open(self._part)):
                # loads while the look below reads the XML (or after it, under a memory cap)
                self._loading = SheetLoad(path, entry.name, background=background_allowed())
            kinds = package.style_kinds(book.styles)
            self._dates = {str(i): k for i, k in enumerate(kinds) if k is not NumberKind.NUMBER}
            self._date1904, self._full_calc = book.date1904, book.full_calc_on_load
            look = look_at_sheet(package.open(self._part), self._dates, self._error, suffix)
            self._max_row, self.merges, all_placed = look.max_row, look.merges, look.all_placed
            self.hidden_rows, self.hidden_columns = look.hidden_rows, look.hidden_columns
            self._special = look.special
            strings = book.shared_strings
            if self._loading is not None and all_placed and strings and package.exists(strings):
                # calamine reads past faults: checked here, while it loads (streamed, the
                # table is checked as it is read below)
                check_part(package.open(strings), shared_strings_label(), self._error)
            if self._loading is not None:
                self._book, loaded = self._loading.result()
                self._loading = None
                if all_placed:  # else calamine's rows could not be matched: streamed
                    self._loaded = loaded
            self._strings = [] if self._loaded else package.shared_strings(strings, self._error)
            self._read_header()
        except InputFileError:
            self.close()
            raise
        except (zipfile.BadZipFile, zlib.error, EOFError, UnicodeDecodeError) as exc:
            self.close()
            raise self._error(damaged(suffix)) from exc
        except (OSError, KeyError, ValueError, SyntaxError) as exc:  # defusedxml: ParseError
            self.close()
            raise self._error(
                _("cannot read the workbook ({reason}): {hint}").format(
                    reason=exc, hint=damaged(suffix)
                )
            ) from exc
        except BaseException:  # Ctrl-C, MemoryError...: the load is waited for and closed too
            self.close()
            raise

    def close(self) -> None:
        super().close()
        if self._loading is not None:  # refused while loading: wait, then let it go
            self._book = self._loading.result(raising=False)[0]
            self._loading = None
        if self._package is not None:
            self._package.close()
            self._package = None
        if self._book is not None:
            self._book.close()
            self._book, self._loaded = None, None

    def estimate_rows(self) -> int | None:
        last = self._max_row
        if last is None and self._loaded is not None and self._loaded.end is not None:
            last = int(self._loaded.end[0]) + 1  # no stored dimension: calamine's extent
        if last is None or last <= self.header_line:
            return None
        return last - self.header_line

    def _pieces(self) -> Generator[str, None, None]:
        """The sheet's XML as text, cut after a ``</row>``: every row whole in one piece."""
        assert self._package is not None
        tail = b""
        with self._package.open(self._part) as stream:
            while True:
                chunk = stream.read(CHUNK)
                data = tail + chunk
                cut = last_end_tag(data, b"row") if chunk else len(data)
                if cut < 0:
                    if len(data) > MAX_ROW_BYTES:
                        raise self._error(_("a row of the sheet is larger than 128 MB"))
                    tail = data
                    continue
                piece, tail = data[:cut], data[cut:]
                yield piece.decode("utf-8")
                if not chunk:
                    return

    def _cells(self) -> Generator[Cells, None, None]:
        if self._loaded is not None:
            return self._loaded_cells()
        return self._streamed_cells()

    def _loaded_cells(self) -> Generator[Cells, None, None]:
        """calamine's values, with what ``xlsxscan`` found about the cells calamine hides."""
        pieces = self._pieces() if self._special else iter(())
        specials = special_cells(pieces, self._dates, self._full_calc)
        try:
            pending = next(specials, None)
            start = self._loaded.start
            pad = int(start[1]) if start is not None else 0
            for index, row in enumerate(self._loaded.iter_rows() if start is not None else ()):
                if pending is None or pending[0] > index:  # the usual row, inline: no notes
                    fast: list[Any] = [
                        v if type(v) is str
                        else v.isoformat(" ", "milliseconds" if v.microsecond else "seconds")
                        if type(v) is datetime
                        else _plain(v)
                        for v in row
                    ]  # fmt: skip
                    if None not in fast and max(map(len, fast), default=0) <= MAX_CELL_CHARS:
                        if fast := [""] * pad + fast if pad else fast:
                            yield index + 1, fast, {}
                        continue
                notes: dict[int, tuple[str | None, NumberKind | None]] = _NO_NOTES
                while pending is not None and pending[0] <= index:
                    if pending[0] == index and pending[1] >= 0:
                        notes = {} if notes is _NO_NOTES else notes
                        notes[pending[1]] = pending[2], pending[3]
                    pending = next(specials, None)
                values, unreadable = self._render_row(index + 1, pad, row, notes)
                if values or unreadable:
                    yield index + 1, values, unreadable
            while pending is not None:  # cells past calamine's last row: unreadable ones
                line, unreadable = pending[0] + 1, {}
                while pending is not None and pending[0] + 1 == line:
                    if pending[2] is not None and pending[1] >= 0:
                        unreadable[pending[1]] = pending[2]
                    pending = next(specials, None)
                if unreadable:
                    yield line, [""] * (max(unreadable) + 1), unreadable
        except Unplaceable as exc:  # the count in _scan_sheet makes this impossible
            raise self._error(damaged(self.path.suffix.lower())) from exc
        except (zipfile.BadZipFile, zlib.error, EOFError, UnicodeDecodeError, OSError) as exc:
            raise self._error(damaged(self.path.suffix.lower())) from exc
        finally:
            specials.close()

    def _render_row(
        self,
        line: int,
        pad: int,
        row: list[object],
        notes: dict[int, tuple[str | None, NumberKind | None]],
    ) -> tuple[list[str], dict[int, str]]:
        if not notes:  # the usual row: every cell plain text, a number or a date and time
            fast: list[Any] = [v if type(v) is str else _plain(v) for v in row]
            if None not in fast and max(map(len, fast), default=0) <= MAX_CELL_CHARS:
                return ([""] * pad + fast if pad else fast), {}
        values = [""] * pad
        unreadable: dict[int, str] = {}
        for col, value in enumerate(row, pad):
            if col in notes:
                why, kind = notes.pop(col)
                if why is not None:
                    unreadable[col] = why
                    values.append("")
                    continue
            elif type(value) is str:
                if len(value) > MAX_CELL_CHARS:
                    raise too_long(self.path, col, line, len(value))
                values.append(value)
                continue
            else:
                kind = NumberKind.DATETIME if isinstance(value, date) else None
            try:
                values.append(render(value, kind, date1904=self._date1904))
            except Unreadable as exc:
                unreadable[col] = str(exc)
                values.append("")
                continue
            if (mark := format_mark(kind, value)) is not None:
                unreadable[col] = mark
        for col, (why, _kind) in notes.items():  # unreadable cells calamine left out
            if why is not None:
                values.extend([""] * (col + 1 - len(values)))
                unreadable[col] = why
        return values, unreadable

    def _streamed_cells(self) -> Generator[Cells, None, None]:
        stream = CellStream(
            self.path,
            self._strings,
            self._dates,
            date1904=self._date1904,
            full_calc=self._full_calc,
        )
        return stream.cells(self._pieces())
