"""The input file as a lazy table of text cells: CSV family (.csv .tsv .txt) and workbooks.

``open_table(path)`` returns a ``Table`` (a context manager; ``close()`` also works) whose
``rows()`` may be called any number of times; each call streams the file again and yields
``Row(line, values)`` with every cell as text in header order. Nothing holds the whole file.

- Line numbers are the row numbers a spreadsheet shows: records, not physical lines (a quoted
  cell with line breaks is one row); blank rows are skipped but still count. Blank rows between
  data rows are counted in ``blank_rows`` (after a full pass); trailing ones are ignored.
- The header is the first non-blank row; its cells are stripped of BOM, spaces and zero-width
  characters, trailing empty header cells are dropped. An empty header between named ones, or
  two headers equal after ``normalise_header``, is an ``InputFileError``.
- CSV rows are checked for their length. A row with fewer cells than the header is padded
  with "" but its last cell and the missing ones are unreadable (``Mark`` code ``row_short``):
  a line break inside an unquoted cell splits a row, and "missing" must never be taken for
  "leave unchanged". A file whose last line has no line break may have been cut short there:
  if that line is short the file is refused, otherwise its last cell is unreadable
  (``cut_short``). Extra cells beyond the header are dropped when empty and an
  ``InputFileError`` (line and count) otherwise: it usually means a wrong delimiter.
- CSV (``csvtable.py``): the encoding is decided before any row is produced, never guessed
  (``encoding.py``: byte-order marks, strict UTF-8, then GB18030 or Windows-1252 only when
  exactly one reads as real text; otherwise the file is refused and ``--encoding`` asked for).
  Records come from ``csvrecords.py``: RFC 4180 quoting; a quote never closed, a quoted cell
  that swallowed lines looking like rows, or a cell over ``MAX_CELL_CHARS`` refuses the file.
- Workbooks (.xlsx .xlsm: ``xlsx.py``; .xls: ``xls.py``, xlrd; .xlsb .ods: ``sheet.py``):
  the first visible sheet or ``sheet=``; cells become what they show (``cellvalue.py``), and a
  cell that cannot be read faithfully (a formula without a saved value, an error cell, a cell
  covered by a merged range, a time without a date) is listed in ``Row.unreadable``
  (``spreadsheet.py`` has the rules every format shares). The stored dimension only feeds
  ``estimate_rows``.
- ``MAX_CELL_CHARS`` (Excel's 32,767) is the one cell-size limit of every input format; a
  longer cell refuses the file, naming the cell.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from pathlib import Path
from types import TracebackType

from rescheduler.errors import InputFileError
from rescheduler.i18n import _
from rescheduler.models import Mark, Row
from rescheduler.read.columns import column_letter, normalise_header, strip_edges

CSV_SUFFIXES = (".csv", ".tsv", ".txt")
MAX_CELL_CHARS = 32_767  # Excel's own cell maximum: the one cell-size limit of every format
XLSX_SUFFIXES = (".xlsx", ".xlsm")
OTHER_SHEET_SUFFIXES = (".xls", ".xlsb", ".ods")
SHEET_SUFFIXES = XLSX_SUFFIXES + OTHER_SHEET_SUFFIXES
ZIP_SHEET_SUFFIXES = (*XLSX_SUFFIXES, ".xlsb", ".ods")  # workbooks that are zip archives


class Table:
    """An open input table. Subclasses provide ``_records``: ``(line, cells)`` incl. blanks."""

    path: Path
    headers: tuple[str, ...] = ()
    header_line: int = 1
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    other_sheets: tuple[tuple[str, str], ...] = ()  # (name, visibility) of sheets not read
    ends_with_newline: bool = True  # False: a CSV whose last line has no line break

    def __init__(self, path: Path) -> None:
        self.path = path
        self.blank_rows = 0
        self._closed = False

    def __enter__(self) -> Table:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Release the file (idempotent)."""
        self._closed = True

    def estimate_rows(self) -> int | None:
        """A cheap estimate of the data rows (for progress), or None when unknown."""
        return None

    def _records(self) -> Generator[tuple[int, list[str]], None, None]:
        raise NotImplementedError

    def _too_wide(self, line: int, cells: list[str]) -> InputFileError:
        raise NotImplementedError

    def _error(self, message: str, line: int | None = None) -> InputFileError:
        return InputFileError(str(self.path), message, line=line)

    def _read_header(self) -> None:
        records = self._records()
        try:
            found = next(((n, c) for n, c in records if any(x.strip() for x in c)), None)
        finally:
            records.close()
        if found is None:
            raise self._error(_("the file is empty: no header row"))
        line, cells = found
        headers = [strip_edges(c) for c in cells]
        while headers and not headers[-1]:
            headers.pop()
        seen: dict[str, int] = {}
        for idx, header in enumerate(headers):
            where = {"n": idx + 1, "letter": column_letter(idx)}
            if not header:
                raise self._error(
                    _("column {n} ({letter}) has no header; name it or delete the column").format(
                        **where
                    ),
                    line,
                )
            key = normalise_header(header)
            if key in seen:
                first = seen[key]
                raise InputFileError(
                    str(self.path),
                    _(
                        "column {n} ({letter}) repeats the header of column {first} "
                        "({first_header}); rename or delete one of them"
                    ).format(**where, first=first + 1, first_header=repr(headers[first])),
                    line=line,
                    column=header,
                )
            seen[key] = idx
        self.headers, self.header_line = tuple(headers), line

    def rows(self) -> Iterator[Row]:
        """Stream the data rows (each call reads the file again)."""
        if self._closed:
            raise ValueError("Table is closed")
        width, blank, pending = len(self.headers), 0, 0
        records = self._records()
        ahead = next(records, None)
        while ahead is not None:
            line, cells = ahead
            ahead = next(records, None)
            if line <= self.header_line:
                continue
            if not (cells and cells[0].strip()) and not any(c.strip() for c in cells):
                pending += 1
                continue
            blank, pending = blank + pending, 0
            if len(cells) == width and (ahead is not None or self.ends_with_newline):
                yield Row(line, tuple(cells))  # the usual row
                continue
            # the file's last line without a line break may be cut short in its last cell;
            # a row whose line goes on with empty cells past the header ended before them
            cut = ahead is None and not self.ends_with_newline and len(cells) <= width
            marks: dict[int, str] = {}
            if len(cells) < width:
                if cut:
                    raise self._cut_short(line, len(cells))
                marks = self._short_row(line, len(cells))
                cells = cells + [""] * (width - len(cells))
            elif len(cells) > width:
                if any(c.strip() for c in cells[width:]):
                    raise self._too_wide(line, cells)
                cells = cells[:width]
            if cut and not marks:
                marks = {width - 1: self._last_cell_cut()}
            yield Row(line, tuple(cells), tuple(sorted(marks.items())))
        self.blank_rows = blank

    def _short_row(self, line: int, count: int) -> dict[int, str]:
        """A row with fewer cells than the header: its last cell may be cut short (a line
        break inside a cell that was not quoted) and the cells after it are missing."""
        width = len(self.headers)
        shape = ",".join(["a"] * count + [""] * (width - count))
        last = Mark(
            _(
                "the row has {cells} cells but the header has {headers}, so this cell, the "
                "row's last, may be cut short (a line break inside a cell that is not in "
                'quotes?): write every cell of the row, even empty ones ("{shape}"), or save '
                "the file again from Excel"
            ).format(cells=count, headers=width, shape=shape),
            "row_short",
        )
        missing = Mark(
            _(
                "the row has {cells} cells but the header has {headers}: this cell is missing, "
                "not empty; write every cell of the row, even empty ones"
            ).format(cells=count, headers=width),
            "row_short",
        )
        return {count - 1: last, **dict.fromkeys(range(count, width), missing)}

    def _last_cell_cut(self) -> Mark:
        return Mark(
            _(
                "the file ends in this cell without a line break, so it may have been cut "
                "short (an interrupted copy or download): check the cell, and end the file "
                "with a line break (open it in Excel and save it again)"
            ),
            "cut_short",
        )

    def _cut_short(self, line: int, count: int) -> InputFileError:
        return self._error(
            _(
                "the file ends in the middle of a row: its last line has {cells} cells but "
                "the header has {headers}, and no line break at the end, so the copy was "
                "probably cut short. Copy the file again (nothing was sent)"
            ).format(cells=count, headers=len(self.headers)),
            line,
        )


def open_table(path: Path, *, encoding: str | None = None, sheet: str | None = None) -> Table:
    """Open an input file (format by extension); raises ``InputFileError`` for any problem."""
    path = path if isinstance(path, Path) else Path(path)  # an InputPath stays one (pinned)
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        from rescheduler.read.csvtable import CsvTable

        return CsvTable(path, encoding)
    if suffix in XLSX_SUFFIXES:
        from rescheduler.read.xlsx import XlsxTable  # imported only when needed

        return XlsxTable(path, sheet)
    if suffix == ".xls":
        from rescheduler.read.xls import XlsTable  # xlrd only when needed

        return XlsTable(path, sheet)
    if suffix in OTHER_SHEET_SUFFIXES:
        from rescheduler.read.sheet import CalamineTable  # python-calamine only when needed

        return CalamineTable(path, sheet)
    known = ", ".join(CSV_SUFFIXES + SHEET_SUFFIXES)
    raise InputFileError(
        str(path),
        _("unknown file type {suffix}; use one of {known}").format(
            suffix=repr(suffix) if suffix else _("(none)"), known=known
        ),
    )
