""".xls (Excel 97-2003, WPS) input, read with xlrd (imported only when such a file is opened).

xlrd gives what the contract needs and python-calamine hides in this format: each cell's type
(an error cell is an error, not an empty cell), its number format (a date-only cell reads as
``YYYY-MM-DD``), merged ranges and sheet visibility. A formula in an .xls file always carries
its saved value. xlrd loads the chosen sheet whole; an .xls sheet holds at most 65,536 rows.
"""

from __future__ import annotations

import os
from collections.abc import Generator
from pathlib import Path
from typing import Any

from rescheduler.errors import InputFileError
from rescheduler.i18n import _
from rescheduler.read.cellvalue import Unreadable, error_reason, format_mark, render
from rescheduler.read.numfmt import NumberKind, format_kind
from rescheduler.read.reader import MAX_CELL_CHARS
from rescheduler.read.spreadsheet import (
    HIDDEN,
    VERY_HIDDEN,
    VISIBLE,
    Cells,
    HiddenRows,
    Merge,
    SheetEntry,
    SpreadsheetTable,
    choose_sheet,
    too_long,
)
from rescheduler.read.xlsxparts import damaged, sniff

__all__ = ["XlsTable"]

_EMPTY, _TEXT, _NUMBER, _DATE, _BOOLEAN, _ERROR, _BLANK = range(7)  # xlrd's XL_CELL_* values


class XlsTable(SpreadsheetTable):
    """One sheet of an .xls workbook."""

    def __init__(self, path: Path, sheet: str | None) -> None:
        super().__init__(path)
        if (why := sniff(path, ".xls")) is not None:
            raise self._error(why)
        import xlrd  # lazy: start-up time matters

        self._book: Any = None
        try:
            self._book = book = xlrd.open_workbook(
                os.fspath(path), formatting_info=True, on_demand=True, logfile=_Discard()
            )
            states = {1: HIDDEN, 2: VERY_HIDDEN}
            entries = []
            for index, name in enumerate(book.sheet_names()):
                visibility = states.get(book.sheet_by_index(index).visibility, VISIBLE)
                entries.append(SheetEntry(name, visibility))
            entry, self.other_sheets = choose_sheet(path, entries, sheet)
            self.sheet = entry.name
            self._sheet = book.sheet_by_name(entry.name)
            self.merges = [
                Merge(r0, c0, r1 - 1, c1 - 1) for r0, r1, c0, c1 in self._sheet.merged_cells
            ]
            self._kinds: dict[int, NumberKind] = {}
            rows = HiddenRows()
            for index, info in sorted(self._sheet.rowinfo_map.items()):
                if info.hidden:
                    rows.add(index + 1)
            self.hidden_rows = rows if len(rows) else frozenset()
            self.hidden_columns = frozenset(
                index for index, info in self._sheet.colinfo_map.items() if info.hidden
            )
            self._read_header()
        except InputFileError:
            self.close()
            raise
        except Exception as exc:  # xlrd raises XLRDError, CompDocError and struct/index errors
            self.close()
            if "encrypted" in str(exc).lower():
                raise self._error(
                    _(
                        "the workbook is protected with a password; remove the password in "
                        "Excel (File > Info > Protect Workbook) and save it again"
                    )
                ) from exc
            raise self._error(
                _("cannot read the workbook ({reason}): {hint}").format(
                    reason=exc, hint=damaged(".xls")
                )
            ) from exc

    def close(self) -> None:
        super().close()
        if self._book is not None:
            self._book.release_resources()
            self._book = None

    def estimate_rows(self) -> int | None:
        if self._book is None or self._sheet.nrows <= self.header_line:
            return None
        return int(self._sheet.nrows) - self.header_line

    def _kind(self, row: int, col: int) -> NumberKind:
        xf = self._sheet.cell_xf_index(row, col)
        kind = self._kinds.get(xf)
        if kind is None:
            book = self._book
            shown = book.format_map.get(book.xf_list[xf].format_key)
            kind = self._kinds[xf] = format_kind(shown.format_str) if shown else NumberKind.NUMBER
        return kind

    def _cells(self) -> Generator[Cells, None, None]:
        import xlrd

        sheet, date1904 = self._sheet, self._book.datemode == 1
        errors: dict[int, str] = xlrd.error_text_from_code
        for row in range(sheet.nrows):
            line = row + 1
            values: list[str] = []
            unreadable: dict[int, str] = {}
            types, cells = sheet.row_types(row), sheet.row_values(row)
            for col, (kind, value) in enumerate(zip(types, cells, strict=True)):
                text = ""
                if kind == _TEXT:
                    text = value
                    if len(text) > MAX_CELL_CHARS:
                        raise too_long(self.path, col, line, len(text))
                    if (mark := format_mark(self._kind(row, col), text)) is not None:
                        unreadable[col] = mark  # ;;; hides text too
                elif kind in (_NUMBER, _DATE):
                    shown = self._kind(row, col)
                    try:
                        text = render(float(value), shown, date1904=date1904)
                    except Unreadable as exc:
                        unreadable[col] = str(exc)
                    else:
                        if (mark := format_mark(shown, float(value))) is not None:
                            unreadable[col] = mark
                elif kind == _BOOLEAN:
                    text = "TRUE" if value else "FALSE"
                elif kind == _ERROR:
                    unreadable[col] = error_reason(errors.get(int(value), "#ERROR"))
                values.append(text)
            if unreadable or any(values):
                yield line, values, unreadable


class _Discard:
    """xlrd writes warnings to a log file; a user sees our messages only."""

    def write(self, text: str) -> int:
        return len(text)
