"""XLSX/XLSM input: one worksheet streamed from the package, every cell as what it shows.

The sheet's XML is decompressed in 1 MB pieces and cut at row boundaries; each piece is read
with two compiled patterns (rows, then cells) instead of an XML parser: a cell is a small,
flat element, the patterns expand nothing but XML's predefined entities and character
references, and memory stays flat in the number of rows (the shared-strings table, which the
file itself asks to be held, is the one thing kept). Measured on this machine, it reads a
100,000-row sheet in about half a second per pass; python-calamine loads a sheet whole and
peaked at 420 MB on a 1,048,576-row sheet, over the memory bar, so it serves only the other
formats (``sheet.py``).

What each cell becomes (the reader contract is in ``rescheduler.read.reader``):

- strings (shared, inline, rich text without phonetic guides, formula text results) exactly as
  written; numbers, booleans and dates by ``cellvalue.render`` and the cell's number format;
- a formula without a saved value (no ``<v>``, an empty one, or a workbook that asks to be
  recalculated on load: its saved values were never computed by a spreadsheet) and an error
  cell (``#N/A``...) are unreadable, with the reason; merged ranges are filled as
  ``spreadsheet.py`` says; the sheet's ``<mergeCell>`` list (after the rows) is read first.
"""

from __future__ import annotations

import re
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
    error_reason,
    no_saved_value,
    number_text,
    render,
    serial_to_datetime,
)
from rescheduler.read.numfmt import NumberKind
from rescheduler.read.reader import MAX_CELL_CHARS
from rescheduler.read.spreadsheet import (
    Cells,
    Merge,
    SpreadsheetTable,
    choose_sheet,
    parse_ref,
    too_long,
)
from rescheduler.read.xlsxparts import (
    CHUNK,
    Package,
    damaged,
    last_end_tag,
    rich_text,
    sniff,
    xml_text,
)
from rescheduler.read.xlsxscan import (
    ATTR,
    CELL,
    FORMULA,
    VALUE,
    Unplaceable,
    special_cells,
    special_patterns,
)

__all__ = ["XlsxTable"]

MAX_ROW_BYTES = 128 << 20
# python-calamine (fast, but it holds the whole sheet) for sheets up to this much XML; larger
# ones are streamed. 48 MB of sheet XML is about 175,000 rows of 6 columns; calamine then peaks
# near 200 MB. Measured: 1,048,576 rows (270 MB of XML) peaked at 420 MB in calamine alone.
LOAD_MAX_XML_BYTES = 48 << 20
_ROW_NUMBER = re.compile(r"""\br\s*=\s*["'](\d+)""")
_TOKENS = re.compile(r"(<(?:\w+:)?row\b[^>]*>)|" + CELL.pattern)
_INLINE = re.compile(r"<(?:\w+:)?is\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?is>)", re.DOTALL)
_DIMENSION = re.compile(rb"""<(?:\w+:)?dimension\s+ref\s*=\s*["'][A-Z]*\d*:?[A-Z]*(\d+)["']""")
_ROOT = re.compile(rb"<(\w+:)?worksheet\b")
_MERGE = re.compile(rb"""<(?:\w+:)?mergeCell\s[^>]*?ref\s*=\s*["']([A-Za-z0-9:$]+)["']""")


_COLUMNS: dict[str, int] = {}


def _column(letters: str) -> int:
    col = 0
    for ch in letters:
        col = col * 26 + ord(ch) - 64
    return col - 1


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


def _count(data: bytes, tags: tuple[bytes, ...]) -> int:
    return sum(data.count(tag) for tag in tags)


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
            kinds = package.style_kinds(book.styles)
            self._dates = {str(i): k for i, k in enumerate(kinds) if k is not NumberKind.NUMBER}
            self._date1904, self._full_calc = book.date1904, book.full_calc_on_load
            self._max_row, self.merges, all_placed = self._scan_sheet()
            size = package.zip.getinfo(self._part).file_size
            if all_placed and size <= LOAD_MAX_XML_BYTES:
                self._loaded = self._load(entry.name)
            self._strings = [] if self._loaded else package.shared_strings(book.shared_strings)
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

    def close(self) -> None:
        super().close()
        if self._package is not None:
            self._package.close()
            self._package = None
        if self._book is not None:
            self._book.close()
            self._book, self._loaded = None, None

    def _load(self, name: str) -> Any:
        """The sheet loaded by python-calamine, or None if calamine cannot read this file."""
        import python_calamine

        try:
            self._book = python_calamine.CalamineWorkbook.from_path(str(self.path))
            return self._book.get_sheet_by_name(name)
        except python_calamine.CalamineError:
            return None  # the streaming reader reads what it can, or says why not

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

    def _scan_sheet(self) -> tuple[int | None, list[Merge], bool]:
        """One pass before the rows: the stored dimension, the merged ranges, and whether
        every cell starts with its reference (``<c r="A1"``): then calamine's rows can be
        matched with the cells ``xlsxscan`` finds."""
        assert self._package is not None
        max_row: int | None = None
        found: list[bytes] = []
        tail = b""
        cells = placed = 0
        tags: tuple[bytes, ...] = ()
        special = False  # any cell xlsxscan would have to look at (a formula, an error, a date)
        patterns: list[re.Pattern[bytes]] = []
        with self._package.open(self._part) as stream:
            edge = b""  # the previous chunk's last bytes: a tag may straddle two chunks
            while chunk := stream.read(CHUNK):
                data = tail + chunk
                if not tags:  # the first chunk: the sheet's namespace prefix, its dimension
                    root = _ROOT.search(data)
                    prefix = root.group(1) or b"" if root else b""
                    tags = (b"<" + prefix + b"c ", b"<" + prefix + b"c>", b"<" + prefix + b'c r="')
                    patterns = special_patterns(self._dates, prefix)
                    if m := _DIMENSION.search(data):
                        max_row = int(m.group(1))
                special = special or any(p.search(data) for p in patterns)
                cells += _count(edge + chunk, tags[:2]) - _count(edge, tags[:2])
                placed += _count(edge + chunk, tags[2:]) - _count(edge, tags[2:])
                edge = chunk[-6:]
                if b"mergeCell" in data:
                    end = data.rfind(b">") + 1
                    found += _MERGE.findall(data[:end])
                    data = data[end:]
                tail = data[-256:]
        merges = []
        for ref in dict.fromkeys(found):
            first, _sep, last = ref.decode("ascii").replace("$", "").partition(":")
            try:
                (top, left), (bottom, right) = parse_ref(first), parse_ref(last or first)
            except ValueError:
                continue
            merges.append(Merge(top, left, bottom, right))
        self._special = special
        return max_row, merges, cells == placed

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
        for col, (why, _kind) in notes.items():  # unreadable cells calamine left out
            if why is not None:
                values.extend([""] * (col + 1 - len(values)))
                unreadable[col] = why
        return values, unreadable

    def _streamed_cells(self) -> Generator[Cells, None, None]:
        line, col = 0, -1
        values: list[str] = []
        unreadable: dict[int, str] = {}
        strings, columns, limit = self._strings, _COLUMNS, MAX_CELL_CHARS
        try:
            for piece in self._pieces():
                for row, letters, _d, s, t, v, inline, fbody, gattrs, gbody in _TOKENS.findall(
                    piece
                ):
                    if row:
                        if values or unreadable:
                            yield line, values, unreadable
                            values, unreadable = [], {}
                        number = _ROW_NUMBER.search(row)
                        line, col = (int(number.group(1)) if number else line + 1), -1
                        continue
                    if letters:
                        known = columns.get(letters)
                        col = (
                            known
                            if known is not None
                            else columns.setdefault(letters, _column(letters))
                        )
                    else:
                        attrs = {k.rsplit(":", 1)[-1]: a or b for k, a, b in ATTR.findall(gattrs)}
                        ref = attrs.get("r", "").rstrip("0123456789")
                        col = _column(ref.upper()) if ref.isalpha() and ref.isascii() else col + 1
                        s, t, fbody = attrs.get("s", ""), attrs.get("t", ""), gbody
                    why = None
                    if v and not fbody:
                        if t == "s":
                            text = strings[int(v)]
                        else:
                            text, why = self._simple(t, v, s)
                    elif inline:
                        text = xml_text(inline)
                    elif fbody:
                        text, why = self._complex(t, fbody, s)
                    else:
                        continue
                    if why is None:
                        if not text:
                            continue
                        if len(text) > limit:
                            raise too_long(self.path, col, line, len(text))
                    else:
                        unreadable[col] = why
                    if col == len(values):
                        values.append(text)
                    else:
                        if col > len(values):
                            values.extend([""] * (col - len(values)))
                            values.append(text)
                        else:
                            values[col] = text
            if values or unreadable:
                yield line, values, unreadable
        except (zipfile.BadZipFile, zlib.error, EOFError, UnicodeDecodeError, OSError) as exc:
            raise self._error(damaged(self.path.suffix.lower()), line + 1) from exc
        except (ValueError, IndexError) as exc:
            raise self._error(
                _("cannot read row {line} ({reason}): {hint}").format(
                    line=line, reason=exc, hint=damaged(self.path.suffix.lower())
                ),
                line,
            ) from exc

    def _simple(self, t: str, v: str, style: str) -> tuple[str, str | None]:
        """A cell with a plain saved value ``v`` (not a shared string) and no formula."""
        if t in ("", "n"):
            kind = self._dates.get(style)
            try:
                if kind is None:  # as calamine reads numbers (both readers agree): a float
                    return number_text(float(v)), None
                if kind is NumberKind.DATETIME:
                    return datetime_text(serial_to_datetime(float(v), self._date1904)), None
                return render(float(v), kind, date1904=self._date1904), None
            except Unreadable as exc:
                return "", str(exc)
        if t == "b":
            return ("TRUE" if v.strip() in ("1", "true") else "FALSE"), None
        if t == "e":
            return "", error_reason(xml_text(v))
        if t == "d":
            kind = self._dates.get(style)
            try:
                moment: date = datetime.fromisoformat(v)
                if "T" not in v and ":" not in v:
                    moment = date.fromisoformat(v)
                return render(moment, kind or NumberKind.DATETIME), None
            except Unreadable as exc:
                return "", str(exc)
        return xml_text(v), None  # str (a formula's text) and anything unknown: as written

    def _complex(self, t: str, body: str, style: str) -> tuple[str, str | None]:
        """A cell whose body is more than a plain ``<v>``: a formula, an inline string..."""
        has_formula = FORMULA.search(body) is not None
        if t == "inlineStr" and not has_formula:
            inline = _INLINE.search(body)
            return (rich_text(inline.group(1) or "") if inline else ""), None
        value = VALUE.search(body)
        saved = value.group(1) if value is not None else None
        if t == "e":
            return "", error_reason(xml_text(saved or ""))
        if has_formula and (self._full_calc or saved is None or (saved == "" and t != "str")):
            return "", no_saved_value()
        if not saved:
            return "", None
        if t == "s":
            return self._strings[int(saved)], None
        return self._simple(t, saved, style)
