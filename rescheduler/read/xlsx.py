"""XLSX input: one worksheet read with openpyxl in read-only mode, every cell as text.

The ``Table`` contract (lazy, re-readable ``rows()``, spreadsheet line numbers) is in
``rescheduler.read.reader``; this module is imported only when an .xlsx/.xlsm file is opened.
"""

from __future__ import annotations

import math
import warnings
import zipfile
from collections.abc import Generator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from rescheduler.errors import InputFileError
from rescheduler.read.reader import Table, column_letter

__all__ = ["XlsxTable", "xlsx_cell_text"]


def xlsx_cell_text(value: object) -> str:
    """An openpyxl cell value as text, never losing what Excel stored.

    str as is; int -> digits; float integral and below 1e15 -> digits; float at or above 1e15
    -> scientific (``1.74729260980169E+29``: Excel already lost digits, validation refuses it);
    other floats -> ``repr``; bool -> TRUE/FALSE; datetime -> ``YYYY-MM-DD HH:MM:SS[.fff]``
    (naive, the configured timezone applies later); date -> ``YYYY-MM-DD 00:00:00``;
    time -> ``HH:MM:SS``; None -> "".
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return repr(value)
        if abs(value) >= 1e15:
            mantissa, exponent = f"{value:.14E}".split("E")
            return f"{mantissa.rstrip('0').rstrip('.')}E{exponent}"
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.isoformat(" ", "milliseconds" if value.microsecond else "seconds")
    if isinstance(value, date):
        return f"{value.isoformat()} 00:00:00"
    if isinstance(value, time):
        return value.isoformat("seconds")
    if isinstance(value, timedelta):
        return str(value)
    return str(value)


class XlsxTable(Table):
    """One worksheet of an Excel workbook, read with openpyxl in read-only mode."""

    def __init__(self, path: Path, sheet: str | None) -> None:
        super().__init__(path)
        import openpyxl  # lazy: start-up time matters
        from openpyxl.utils.exceptions import InvalidFileException

        self._wb: Any = None
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                self._wb = openpyxl.load_workbook(
                    path, read_only=True, data_only=True, keep_links=False
                )
            names = [ws.title for ws in self._wb.worksheets]
            if not names:
                raise self._error("the workbook has no worksheet")
            if sheet is None:
                sheet = names[0]
            elif sheet not in names:
                listed = ", ".join(repr(n) for n in names)
                raise self._error(f"no sheet named {sheet!r}; the sheets are: {listed}")
            self.sheet = sheet
            self._ws = self._wb[sheet]
            self._max_row: int | None = self._ws.max_row
            self._ws.reset_dimensions()  # the stored size may be wrong: read every row
            self._read_header()
        except InputFileError:
            self.close()
            raise
        except zipfile.BadZipFile as exc:
            self.close()
            raise self._error(
                "not an .xlsx workbook (an old .xls or a password-protected file?); save it "
                "as .xlsx or as CSV UTF-8"
            ) from exc
        except (OSError, InvalidFileException, KeyError, ValueError, SyntaxError) as exc:
            self.close()
            raise self._error(f"cannot read the workbook: {exc}") from exc

    def close(self) -> None:
        super().close()
        if self._wb is not None:
            self._wb.close()
            self._wb = None

    def _records(self) -> Generator[tuple[int, list[str]], None, None]:
        line = 0
        try:
            for line, values in enumerate(self._ws.iter_rows(values_only=True), 1):
                yield line, [xlsx_cell_text(v) for v in values]
        except (OSError, zipfile.BadZipFile, ValueError, SyntaxError) as exc:
            raise self._error(f"cannot read the sheet {self.sheet!r}: {exc}", line + 1) from exc

    def _too_wide(self, line: int, cells: list[str]) -> InputFileError:
        idx = next(i for i in range(len(self.headers), len(cells)) if cells[i].strip())
        cell = f"{column_letter(idx)}{line}"
        return self._error(
            f"cell {cell} holds {cells[idx][:40]!r} but column {column_letter(idx)} has no "
            f"header (the header has {len(self.headers)} columns); name the column or clear it",
            line,
        )

    def estimate_rows(self) -> int | None:
        if self._max_row is None or self._max_row <= self.header_line:
            return None
        return self._max_row - self.header_line
