"""CSV records with the checks Python's csv module does not make: stray quotes, huge cells.

``csv_records`` yields ``(record number, cells)`` like ``enumerate(csv.reader(...), 1)``
(blank lines included, so record numbers are the rows a spreadsheet shows) and raises
``InputFileError`` — the file is refused, nothing is sent — when:

- a quote opens a cell and is never closed (the csv module would silently take everything
  to the end of the file as one cell);
- a quoted cell runs over text lines that look like rows of their own (as many separators as
  the header, an ID-shaped first cell): a stray quote swallowed reservations. Refusing the
  file, rather than marking one row invalid, is deliberate: the swallowed rows would be in no
  report at all, and the cells after the quote belong to another row;
- a cell is longer than ``MAX_CELL_CHARS`` (Excel's own limit), with the line and column.

A cell whose text is ``="001001"`` (Excel's way of keeping text that looks like a number,
which exports use for IDs and job numbers; quoted in the file as CSV quotes any cell with a
quote mark) is read as Excel shows it, ``001001``: the formula returns exactly its quoted
text, so there is nothing to guess.
Any other cell starting with ``=`` is kept as written.

Each error names the text line where the quote opened (text lines are what a text editor
shows; they equal spreadsheet rows until a cell holds a line break).
"""

from __future__ import annotations

import csv
import itertools
import re
from collections.abc import Callable, Generator, Iterable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path

from rescheduler.errors import InputFileError
from rescheduler.i18n import _
from rescheduler.read.columns import column_letter
from rescheduler.read.reader import MAX_CELL_CHARS

# Appended after the last line: it ends up inside a cell only when a quote is still open.
_END = "\ue000rescheduler: end of file\ue000"
_NEWLINE = re.compile(r"\r\n|\r|\n")
_ID = re.compile(r"\d{1,64}")
_TEXT_IDIOM = re.compile(r'="((?:[^"]|"")*)"', re.DOTALL)  # Excel's ="…": a text formula


def _column(index: int, headers: Sequence[str]) -> str:
    letter = column_letter(index)
    return f"{headers[index]!r} ({letter})" if index < len(headers) else letter


def csv_records(
    lines: Iterable[str],
    delimiter: str,
    path: Path,
    headers: Sequence[str],
    reopen: Callable[[], AbstractContextManager[Iterable[str]]],
) -> Generator[tuple[int, list[str]], None, None]:
    """The records of ``lines`` (a text file opened with ``newline=""``), checked.

    ``headers`` (empty while the header itself is read) name columns in messages and give
    the separator count of a row; ``reopen`` reads the file again to locate a huge cell.
    """
    reader = csv.reader(itertools.chain(lines, (_END,)), delimiter=delimiter)
    separators = len(headers) - 1
    record, before = 0, 0  # ``before``: text lines consumed before this record
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise _csv_error(exc, path, before + 1, reopen, delimiter, headers) from None
        if cells == [_END]:
            return
        record += 1
        first = before + 1
        if cells and cells[-1].endswith(_END):
            opened = first + sum(_lines_in(c) for c in cells[:-1])
            raise InputFileError(
                str(path),
                _(
                    'text line {line}: the quote (") that opens the cell in column {column} '
                    "is never closed, so everything after it would be one cell. Close it, or "
                    'write a quote mark that belongs to the text twice ("")'
                ).format(line=opened, column=_column(len(cells) - 1, headers)),
            )
        if reader.line_num - before > 1 and separators > 0:
            _check_swallowed(cells, first, delimiter, separators, path, headers)
        if cells and max(map(len, cells)) > MAX_CELL_CHARS:
            index = next(i for i, c in enumerate(cells) if len(c) > MAX_CELL_CHARS)
            line = first + sum(_lines_in(c) for c in cells[:index])
            raise _too_long(path, line, _column(index, headers), len(cells[index]))
        before = reader.line_num
        if '="' in "".join(cells):
            cells = [_shown(cell) for cell in cells]
        yield record, cells


def _shown(cell: str) -> str:
    """What Excel shows for a cell written with its text idiom: ``="001001"`` shows 001001."""
    m = _TEXT_IDIOM.fullmatch(cell)
    return cell if m is None else m.group(1).replace('""', '"')


def _lines_in(cell: str) -> int:
    return len(_NEWLINE.findall(cell)) if "\n" in cell or "\r" in cell else 0


def _id_column(headers: Sequence[str]) -> int | None:
    """The appointId column by its built-in names (None: mapped in the config, or absent)."""
    from rescheduler.read.columns import normalise_header

    names = {normalise_header(n) for n in ("appointId", "预约ID", "预约编号")}
    return next((i for i, h in enumerate(headers) if normalise_header(h) in names), None)


def _looks_like_row(fields: list[str], separators: int, id_column: int | None) -> str | None:
    """The ID a swallowed text line starts a row with, or None when it looks like no row.

    A row has the header's separators, or fewer (a writer that leaves out empty cells at the
    end), but at least half of them; its appointId cell (wherever the column is; any cell
    when the config names the column) holds an ID: digits, and at least 6 of them when the
    line is short, so a remark line like ``100, then 200`` is not taken for a row.
    """
    count = len(fields) - 1
    if count > separators or count < max(1, (separators + 1) // 2):
        return None
    least = 1 if count == separators else 6
    cells = fields if id_column is None else fields[id_column : id_column + 1]
    for cell in cells:
        text = cell.strip().strip("\"'").strip()
        if len(text) >= least and _ID.fullmatch(text):
            return text
    return None


def _check_swallowed(
    cells: list[str],
    first: int,
    delimiter: str,
    separators: int,
    path: Path,
    headers: Sequence[str],
) -> None:
    """Refuse a quoted cell whose inner lines look like rows (a stray quote ate them)."""
    line = first
    id_column = _id_column(headers)
    for index, cell in enumerate(cells):
        pieces = _NEWLINE.split(cell)
        for number, piece in enumerate(pieces[1:], 1):
            fields = piece.split(delimiter)
            if number == len(pieces) - 1:  # the line goes on after the closing quote
                fields += cells[index + 1 :]
            start = _looks_like_row(fields, separators, id_column)
            if start is not None:
                raise InputFileError(
                    str(path),
                    _(
                        'text line {line}: the quote (") that opens the cell in column '
                        "{column} runs over the next {count} text line(s), and text line "
                        "{row} looks like a row of its own (with the ID {start}): a quote "
                        "is probably missing or extra. Close the quote where the cell ends, "
                        'or write a quote mark that belongs to the text twice ("")'
                    ).format(
                        line=line,
                        column=_column(index, headers),
                        count=len(pieces) - 1,
                        row=line + number,
                        start=start,
                    ),
                )
        line += len(pieces) - 1


def _too_long(path: Path, line: int, column: str, length: int | None) -> InputFileError:
    if length is None:
        size = _("the cell is longer than {limit:,} characters, the most a cell holds").format(
            limit=MAX_CELL_CHARS
        )
    else:
        size = _("the cell has {n:,} characters; a cell holds at most {limit:,}").format(
            n=length, limit=MAX_CELL_CHARS
        )
    return InputFileError(
        str(path),
        _(
            "text line {line}, column {column}: {size} (Excel's limit). Shorten it, or, if it "
            'should not be that long, look for a quote (") opened there and not closed where '
            "the cell ends"
        ).format(line=line, column=column, size=size),
    )


def _long_cell_column(lines: Iterable[str], delimiter: str) -> int | None:
    """The index of the first cell over the limit in the record ``lines`` start with."""
    column, length, quoted, after_quote = 0, 0, False, False
    for line in lines:
        for ch in line:
            if quoted:
                if ch == '"':
                    quoted, after_quote = False, True
                    continue
                length += 1
            elif ch == '"' and (length == 0 or after_quote):
                quoted = True
                if after_quote:  # "" inside a quoted cell: one quote mark
                    length += 1
                after_quote = False
                continue
            elif ch == delimiter:
                column, length, after_quote = column + 1, 0, False
                continue
            elif ch in "\r\n":
                return None  # the record ended without an over-long cell
            else:
                length, after_quote = length + 1, False
            if length > MAX_CELL_CHARS:
                return column
    return None


def _csv_error(
    exc: csv.Error,
    path: Path,
    line: int,
    reopen: Callable[[], AbstractContextManager[Iterable[str]]],
    delimiter: str,
    headers: Sequence[str],
) -> InputFileError:
    if "field larger than field limit" in str(exc):
        with reopen() as text:
            index = _long_cell_column(itertools.islice(text, line - 1, None), delimiter)
        column = _("(unknown)") if index is None else _column(index, headers)
        return _too_long(path, line, column, None)
    return InputFileError(
        str(path),
        _("text line {line}: cannot read the file: {reason}").format(line=line, reason=exc),
    )
