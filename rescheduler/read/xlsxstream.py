"""XLSX cells streamed: rescheduler's own reader for sheets too large to load whole.

The sheet's XML comes in pieces that each end a row (``XlsxTable._pieces``: 1 MB of
decompressed XML at a time); each piece is read with one compiled pattern that matches a row's
start tag or a whole cell (``xlsxscan.CELL``: the usual ``<c r= s= t=>`` form fast, any other
form too). Strings come from the shared-strings table or the cell; numbers, booleans and dates
by ``cellvalue``; a formula without a saved value, a workbook that asks to be recalculated on
load (its saved values were never computed by a spreadsheet) and an error cell are unreadable.
Nothing but the shared-strings table is held, so memory is flat in the number of rows.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Generator, Iterable, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path

from rescheduler.errors import InputFileError
from rescheduler.i18n import _
from rescheduler.read.cellvalue import (
    Unreadable,
    datetime_text,
    error_reason,
    format_mark,
    no_saved_value,
    number_text,
    render,
    serial_to_datetime,
)
from rescheduler.read.numfmt import NumberKind
from rescheduler.read.reader import MAX_CELL_CHARS
from rescheduler.read.spreadsheet import Cells, too_long
from rescheduler.read.xlsxparts import damaged
from rescheduler.read.xlsxscan import ATTR, CELL, FORMULA, VALUE, column_index, iso_date_kind
from rescheduler.read.xmltext import rich_text, xml_text

__all__ = ["CellStream"]

_ROW_NUMBER = re.compile(r"""\br\s*=\s*["'](\d+)""")
_TOKENS = re.compile(r"(<(?:\w+:)?row\b[^>]*>)|" + CELL.pattern)
_INLINE = re.compile(r"<(?:\w+:)?is\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?is>)", re.DOTALL)
_COLUMNS: dict[str, int] = {}


class CellStream:
    """Reads the cells of one sheet; ``dates`` maps a style id to what its format shows."""

    def __init__(
        self,
        path: Path,
        strings: Sequence[str],
        dates: Mapping[str, NumberKind],
        *,
        date1904: bool,
        full_calc: bool,
    ) -> None:
        self.path = path
        self._strings, self._dates = strings, dates
        self._date1904, self._full_calc = date1904, full_calc

    def _error(self, message: str, line: int | None = None) -> InputFileError:
        return InputFileError(str(self.path), message, line=line)

    def cells(self, pieces: Iterable[str]) -> Generator[Cells, None, None]:
        """The rows present in the sheet whose XML comes in ``pieces`` (each ending a row)."""
        line, col = 0, -1
        values: list[str] = []
        unreadable: dict[int, str] = {}
        strings, columns, limit = self._strings, _COLUMNS, MAX_CELL_CHARS
        try:
            for piece in pieces:
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
                            else columns.setdefault(letters, column_index(letters))
                        )
                    else:
                        attrs = {k.rsplit(":", 1)[-1]: a or b for k, a, b in ATTR.findall(gattrs)}
                        ref = attrs.get("r", "").rstrip("0123456789")
                        col = column_index(ref) if ref.isalpha() and ref.isascii() else col + 1
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
                    if why is None and (hidden := self._dates.get(s)) is NumberKind.INVISIBLE:
                        why = format_mark(hidden, text)  # ;;; hides text cells too
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
                number = float(v)
                return render(number, kind, date1904=self._date1904), format_mark(kind, number)
            except Unreadable as exc:
                return "", str(exc)
        if t == "b":
            return ("TRUE" if v.strip() in ("1", "true") else "FALSE"), None
        if t == "e":
            return "", error_reason(xml_text(v))
        if t == "d":  # an ISO 8601 date cell: date-only text is a date without a time
            kind = iso_date_kind(v) or self._dates.get(style) or NumberKind.DATETIME
            try:
                moment: date = datetime.fromisoformat(v)
                if kind is NumberKind.DATE and "T" not in v:
                    moment = date.fromisoformat(v)
                return render(moment, kind), None
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
