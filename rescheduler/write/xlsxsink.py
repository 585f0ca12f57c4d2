"""The XLSX side of the report writers: openpyxl's write-only workbook, every text a string cell.

Input columns are formatted as Text (``@``) so a 30-digit ID stays text when a supervisor edits
it; rows spool to openpyxl's temporary file until :meth:`XlsxSink.close` saves the workbook
(to the path it was given: the writer's ``.partial`` file). A sheet holds at most
1,048,576 rows (beyond that :class:`OutputError`: use .csv).
"""

from __future__ import annotations

import errno
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rescheduler.errors import OutputError
from rescheduler.i18n import _
from rescheduler.write.safecell import xlsx_text

XLSX_MAX_ROWS = 1_048_576
Cell = str | int | None


def _width(name: str) -> float:
    wide = {"appointId": 34, "remark": 30, "error": 60, "error_code": 24}
    wide |= {"resultDesc": 28, "returnDesc": 28}
    return float(wide.get(name, min(max(len(name) + 4, 10), 40)))


class XlsxSink:
    def __init__(self, path: Path, columns: Sequence[str], text_columns: int, sheet: str) -> None:
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font
        from openpyxl.utils import get_column_letter

        self._path, self._text_columns, self._rows = path, text_columns, 0
        self._cell = WriteOnlyCell
        if path.is_dir():
            raise IsADirectoryError(errno.EISDIR, "is a directory")
        # Opened now, not at close, so an unwritable directory fails before anything is sent,
        # and kept open: the workbook is saved into this file, whatever is at its name then.
        self._file = open(path, "wb")  # noqa: SIM115 - closed by close()
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

    def identity(self) -> tuple[int, int]:
        """``(device, inode)`` of the file being written."""
        info = os.fstat(self._file.fileno())
        return info.st_dev, info.st_ino

    def close(self) -> None:
        try:
            if not self._file.closed:
                self._book.save(self._file)  # a file object works as well as a name
        finally:
            self._file.close()
