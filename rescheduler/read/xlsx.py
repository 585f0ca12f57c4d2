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

__all__ = ["XlsxTable"]

MAX_ROW_BYTES = 128 << 20
_ROW_NUMBER = re.compile(r"""\br\s*=\s*["'](\d+)""")
_ANY_UNTIL_CELL_END = r"([^<]*(?:<(?!/(?:\w+:)?c>)[^<]*)*)</(?:\w+:)?c>"
_TOKENS = re.compile(
    # a row's start tag: the rows' cells follow it
    r"(<(?:\w+:)?row\b[^>]*>)"
    # the usual cell: r, s, t in this order, a plain <v> or inline <is><t>, else any body
    r'|<c r="([A-Z]{1,3})\d+"(?: s="(\d+)")?(?: t="(\w+)")?'
    r"(?:/>|><v>([^<]*)</v></c>|><is><t>([^<]*)</t></is></c>|>" + _ANY_UNTIL_CELL_END + ")"
    # any other cell: other attributes, another order, quotes, a namespace prefix
    r"|<(?:\w+:)?c(?=[\s/>])([^>]*?)(?:/>|>" + _ANY_UNTIL_CELL_END + ")"
)
_ATTR = re.compile(r"""([\w:]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_FORMULA = re.compile(r"<(?:\w+:)?f[\s/>]")
_VALUE = re.compile(r"<(?:\w+:)?v(?:\s[^>]*)?(?:/>|>(.*?)</(?:\w+:)?v>)", re.DOTALL)
_INLINE = re.compile(r"<(?:\w+:)?is\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?is>)", re.DOTALL)
_DIMENSION = re.compile(rb"""<(?:\w+:)?dimension\s+ref\s*=\s*["'][A-Z]*\d*:?[A-Z]*(\d+)["']""")
_MERGE = re.compile(rb"""<(?:\w+:)?mergeCell\s[^>]*?ref\s*=\s*["']([A-Za-z0-9:$]+)["']""")
_INT = re.compile(r"[+-]?\d+")


_COLUMNS: dict[str, int] = {}


def _column(letters: str) -> int:
    col = 0
    for ch in letters:
        col = col * 26 + ord(ch) - 64
    return col - 1


class XlsxTable(SpreadsheetTable):
    """One worksheet of an .xlsx/.xlsm workbook, streamed."""

    def __init__(self, path: Path, sheet: str | None) -> None:
        super().__init__(path)
        suffix = path.suffix.lower()
        if (why := sniff(path, suffix)) is not None:
            raise self._error(why)
        self._package: Package | None = None
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
            self._strings = package.shared_strings(book.shared_strings)
            self._date1904, self._full_calc = book.date1904, book.full_calc_on_load
            self._max_row, self.merges = self._scan_sheet()
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

    def estimate_rows(self) -> int | None:
        if self._max_row is None or self._max_row <= self.header_line:
            return None
        return self._max_row - self.header_line

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

    def _scan_sheet(self) -> tuple[int | None, list[Merge]]:
        """One pass before the rows: the stored dimension and the merged ranges."""
        assert self._package is not None
        max_row: int | None = None
        found: list[bytes] = []
        tail = b""
        with self._package.open(self._part) as stream:
            while chunk := stream.read(CHUNK):
                data = tail + chunk
                if max_row is None and (m := _DIMENSION.search(data)):
                    max_row = int(m.group(1))
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
        return max_row, merges

    def _cells(self) -> Generator[Cells, None, None]:
        line, col = 0, -1
        values: list[str] = []
        unreadable: dict[int, str] = {}
        strings, columns, limit = self._strings, _COLUMNS, MAX_CELL_CHARS
        try:
            for piece in self._pieces():
                for row, letters, s, t, v, inline, fbody, gattrs, gbody in _TOKENS.findall(piece):
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
                        attrs = {k.rsplit(":", 1)[-1]: a or b for k, a, b in _ATTR.findall(gattrs)}
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
                if kind is None:
                    return (str(int(v)) if _INT.fullmatch(v) else number_text(float(v))), None
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
        has_formula = _FORMULA.search(body) is not None
        if t == "inlineStr" and not has_formula:
            inline = _INLINE.search(body)
            return (rich_text(inline.group(1) or "") if inline else ""), None
        value = _VALUE.search(body)
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
