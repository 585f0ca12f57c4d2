""".xlsb and .ods input, read with python-calamine (imported only when such a file is opened).

calamine loads the chosen sheet whole (its Python API has no row stream). What each format lets
the reader check — the README's "Preparing your file" has the same table for supervisors:

- both: hidden sheets skipped unless named, strings as written, numbers as
  ``cellvalue.render`` says, a time of day or a duration refused, cells over
  ``MAX_CELL_CHARS`` refused, line numbers exact;
- dates: calamine gives the value, not the number format. A date with a time is taken as
  written; a date at midnight is refused as unreadable (it may be a date-only cell);
- .ods (as LibreOffice writes it): a sheet with an error cell, merged cells, hidden rows or
  columns, or a date cell whose shown text has no time of day (a date-only format hiding
  09:30) is refused (calamine reads error cells as empty, lists no merged ranges, does not say
  what is hidden and gives a date's value, not its format; the file keeps the shown text);
- .xlsb: error cells read as empty; merged cells, hidden rows and columns and number formats
  (``000000``, ``;;;``) are not detected (calamine cannot tell); formulas are always saved
  with their value. Supervisors are told to use .xlsx instead.
"""

from __future__ import annotations

import os
import re
import zipfile
from collections.abc import Generator
from pathlib import Path
from typing import Any

from rescheduler.errors import InputFileError
from rescheduler.i18n import _
from rescheduler.read.cellvalue import Unreadable, render
from rescheduler.read.reader import MAX_CELL_CHARS
from rescheduler.read.spreadsheet import (
    HIDDEN,
    VERY_HIDDEN,
    VISIBLE,
    Cells,
    Merge,
    SheetEntry,
    SpreadsheetTable,
    choose_sheet,
    too_long,
)
from rescheduler.read.wellformed import XmlCheck, well_formed
from rescheduler.read.xlsxparts import CHUNK, damaged, sniff

__all__ = ["CalamineTable"]

_ODS_DURATION = re.compile(r"-?PT\d+H\d+M\d+(?:\.\d+)?S")
_ODS_MARKS = re.compile(
    rb"<table:table\s[^>]*?table:name=\"([^\"]*)\"|(calcext:value-type=\"error\")"
    rb"|table:number-(?:rows|columns)-spanned=\"0*([2-9]|[1-9]\d+)\"|(<table:covered-table-cell)"
    rb"|(table:visibility=\"(?:collapse|filter)\")"
    rb"|office:date-value=\"([^\"]*T[^\"]*)\"[^>]*>\s*<text:p>([^<]*)</text:p>"
)
_SHOWS_TIME = re.compile(r":|时|時|點|[AaPp]\.?[Mm]")


class CalamineTable(SpreadsheetTable):
    """One sheet of an .xls, .xlsb or .ods workbook."""

    def __init__(self, path: Path, sheet: str | None) -> None:
        super().__init__(path)
        suffix = path.suffix.lower()
        if (why := sniff(path, suffix)) is not None:
            raise self._error(why)
        import python_calamine as calamine  # lazy: start-up time matters

        self._book: Any = None
        try:
            self._book = calamine.CalamineWorkbook.from_path(os.fspath(path))
            entries = [
                SheetEntry(m.name, _visibility(m.visible, calamine.SheetVisibleEnum),
                           m.typ == calamine.SheetTypeEnum.WorkSheet)
                for m in self._book.sheets_metadata
            ]  # fmt: skip
            entry, self.other_sheets = choose_sheet(path, entries, sheet)
            self.sheet = entry.name
            if suffix == ".ods":
                self._check_ods(entry.name)
            self._sheet = self._book.get_sheet_by_name(entry.name)
            ranges = self._sheet.merged_cell_ranges or []
            self.merges = [Merge(t, left, b, right) for (t, left), (b, right) in ranges]
            self._read_header()
        except InputFileError:
            self.close()
            raise
        except calamine.PasswordError as exc:
            self.close()
            raise self._error(
                _(
                    "the workbook is protected with a password; remove the password and save "
                    "it again"
                )
            ) from exc
        except (calamine.CalamineError, OSError, ValueError, zipfile.BadZipFile) as exc:
            self.close()
            raise self._error(
                _("cannot read the workbook ({reason}): {hint}").format(
                    reason=exc, hint=damaged(suffix)
                )
            ) from exc
        except BaseException as exc:  # a panic in the Rust library arrives as BaseException
            self.close()
            if not type(exc).__name__ == "PanicException":
                raise
            raise self._error(damaged(suffix)) from exc

    def close(self) -> None:
        super().close()
        if self._book is not None:
            self._book.close()
            self._book = None

    def estimate_rows(self) -> int | None:
        end = self._sheet.end if self._book is not None else None
        if end is None or end[0] + 1 <= self.header_line:
            return None
        return int(end[0]) + 1 - self.header_line

    def _cells(self) -> Generator[Cells, None, None]:
        start = self._sheet.start
        if start is None:
            return
        pad = [""] * int(start[1])
        ods = self.path.suffix.lower() == ".ods"
        for index, row in enumerate(self._sheet.iter_rows()):
            line = index + 1
            values = list(pad)
            unreadable: dict[int, str] = {}
            for col, value in enumerate(row, len(pad)):
                if type(value) is str:
                    text = value
                    if len(text) > MAX_CELL_CHARS:
                        raise too_long(self.path, col, line, len(text))
                    if ods and _ODS_DURATION.fullmatch(text):
                        unreadable[col] = _(
                            "the cell holds a duration ({value}), not a date and time"
                        ).format(value=text)
                else:
                    try:
                        text = render(value)
                    except Unreadable as exc:
                        text = ""
                        unreadable[col] = str(exc)
                values.append(text)
            if unreadable or any(values):
                yield line, values, unreadable

    def _check_ods(self, name: str) -> None:
        """Refuse an .ods sheet with error cells or merged cells (calamine cannot show them)."""
        current, errors, merged, hidden = None, False, False, False
        dateonly: tuple[str, str] | None = None  # a date cell shown without its time
        xml = XmlCheck()  # calamine reads past broken markup: see ``wellformed``
        with (
            zipfile.ZipFile(self.path) as package,
            package.open("content.xml") as stream,
            well_formed(_("the sheet"), self._error),
        ):
            tail = b""
            while chunk := stream.read(CHUNK):
                xml.feed(chunk)
                data = tail + chunk
                cut = data.rfind(b">") + 1
                for m in _ODS_MARKS.finditer(data[:cut]):
                    if m.group(1) is not None:
                        current = _unescape_attr(m.group(1).decode("utf-8"))
                    elif current == name and m.group(6) is not None:
                        shown = _unescape_attr(m.group(7).decode("utf-8"))
                        if dateonly is None and not _SHOWS_TIME.search(shown):
                            dateonly = shown, m.group(6).decode("ascii", "replace")
                    elif current == name:
                        errors = errors or m.group(2) is not None
                        hidden = hidden or m.group(5) is not None
                        merged = merged or m.group(3) is not None or m.group(4) is not None
                tail = data[cut:]
            xml.close()
        if errors:
            raise self._error(
                _(
                    "the sheet {name} has cells showing an error (#N/A, #VALUE!...); in an "
                    ".ods file rescheduler cannot tell which rows: correct them or save the "
                    "file as .xlsx"
                ).format(name=repr(name))
            )
        if dateonly is not None:
            raise self._error(
                _(
                    "the sheet {name} has date cells whose format shows no time of day (one "
                    "shows {shown} and holds {value}); in an .ods file rescheduler cannot tell "
                    "which rows: format them to show the time, or save the file as .xlsx"
                ).format(name=repr(name), shown=repr(dateonly[0]), value=dateonly[1])
            )
        if hidden:
            raise self._error(
                _(
                    "the sheet {name} has hidden rows or columns (hidden, or filtered out); in "
                    "an .ods file rescheduler cannot tell which: unhide them (or delete them) "
                    "or save the file as .xlsx"
                ).format(name=repr(name))
            )
        if merged:
            raise self._error(
                _(
                    "the sheet {name} has merged cells; in an .ods file rescheduler cannot "
                    "tell which rows they cover: unmerge them or save the file as .xlsx"
                ).format(name=repr(name))
            )


def _visibility(state: object, states: Any) -> str:
    if state == states.Hidden:
        return HIDDEN
    return VERY_HIDDEN if state == states.VeryHidden else VISIBLE


def _unescape_attr(text: str) -> str:
    from rescheduler.read.xmltext import xml_text

    return xml_text(text)
