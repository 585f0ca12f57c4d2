"""What every spreadsheet format shares: choosing the sheet, merged cells, cells read faithfully.

``SpreadsheetTable`` is the ``Table`` (contract in ``rescheduler.read.reader``) for workbooks;
a format supplies ``_cells()``: the rows present in the sheet, in order, as
``(line, cells, unreadable)`` with every cell already text and ``unreadable`` mapping a
0-based column to the reason the cell cannot be read faithfully (``Row.unreadable``).

Rules every format keeps:

- The sheet: ``--sheet NAME`` reads that sheet, hidden or not; otherwise the first *visible*
  worksheet. Hidden ("hidden" and "very hidden") sheets and chart sheets are never read by
  default. ``other_sheets`` lists the sheets not read, with their visibility, for the summary.
- Merged cells count for every row they cover: the value Excel shows (the top-left cell's)
  fills the first column of the range on each of its rows. The other columns a range covers
  show no value of their own: those cells are unreadable, so a row is never sent with a value
  the sheet does not show where a person looks.
- A cell longer than ``MAX_CELL_CHARS`` refuses the file, naming the cell (the CSV rule).
- Rows absent from the file are blank rows: they count for line numbers and ``blank_rows``.
- Hidden rows (hidden by hand or filtered out by an AutoFilter) come as ``Row.hidden`` (what is
  done with them is ``input.hidden_rows``); a filled cell of a hidden column is unreadable
  (``hidden_column``): a person checking the sheet does not see it, so it is not sent.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from rescheduler.errors import InputFileError
from rescheduler.i18n import N_, _
from rescheduler.models import Mark, Row
from rescheduler.read.columns import column_letter
from rescheduler.read.reader import MAX_CELL_CHARS, Table

VISIBLE, HIDDEN, VERY_HIDDEN = "visible", N_("hidden"), N_("very hidden")  # shown through _()
Cells = tuple[int, list[str], dict[int, str]]


@dataclass(frozen=True, slots=True)
class SheetEntry:
    """A sheet of the workbook as listed in it: name, visibility, whether it holds cells."""

    name: str
    visibility: str = VISIBLE
    worksheet: bool = True


def choose_sheet(
    path: Path, sheets: Sequence[SheetEntry], requested: str | None
) -> tuple[SheetEntry, tuple[tuple[str, str], ...]]:
    """The sheet to read and the others ``(name, visibility)``; ``InputFileError`` if none."""
    if requested is not None:
        chosen = next((s for s in sheets if s.name == requested), None)
        if chosen is None:
            listed = ", ".join(_describe(s) for s in sheets) or _("none")
            raise InputFileError(
                str(path),
                _("no sheet named {name}; the sheets are: {listed}").format(
                    name=repr(requested), listed=listed
                ),
            )
        if not chosen.worksheet:
            raise InputFileError(
                str(path),
                _("sheet {name} is a chart, not a sheet of cells; name another with --sheet")
                .format(name=repr(requested)),
            )  # fmt: skip
    else:
        chosen = next((s for s in sheets if s.worksheet and s.visibility == VISIBLE), None)
        if chosen is None:
            hidden = [s for s in sheets if s.worksheet]
            if not hidden:
                raise InputFileError(str(path), _("the workbook has no worksheet"))
            raise InputFileError(
                str(path),
                _(
                    "the workbook has no visible sheet (hidden: {listed}); hidden sheets are "
                    "read only when named: give --sheet NAME"
                ).format(listed=", ".join(repr(s.name) for s in hidden)),
            )
    others = tuple((s.name, s.visibility) for s in sheets if s is not chosen)
    return chosen, others


def _describe(sheet: SheetEntry) -> str:
    return repr(sheet.name) + ("" if sheet.visibility == VISIBLE else f" ({sheet.visibility})")


def cell_ref(col: int, line: int) -> str:
    """0-based column and spreadsheet line -> ``D7``."""
    return f"{column_letter(col)}{line}"


def parse_ref(ref: str) -> tuple[int, int]:
    """``D7`` -> (0-based row, 0-based column); ``ValueError`` if it is not a cell reference."""
    letters = ref.rstrip("0123456789")
    digits = ref[len(letters) :]
    if not (letters.isascii() and letters.isalpha() and digits.isdigit()) or len(letters) > 3:
        raise ValueError(ref)
    col = 0
    for ch in letters.upper():
        col = col * 26 + ord(ch) - 64
    return int(digits) - 1, col - 1


@dataclass(frozen=True, slots=True)
class Merge:
    """A merged range, 0-based and inclusive: rows ``top..bottom``, columns ``left..right``."""

    top: int
    left: int
    bottom: int
    right: int

    @property
    def ref(self) -> str:
        return f"{cell_ref(self.left, self.top + 1)}:{cell_ref(self.right, self.bottom + 1)}"


class MergeFill:
    """Applies merged ranges to rows as they stream past (rows in ascending order)."""

    def __init__(self, merges: Sequence[Merge]) -> None:
        self._pending = sorted((m for m in merges if m.bottom > m.top or m.right > m.left),
                               key=lambda m: m.top, reverse=True)  # fmt: skip
        self._active: list[tuple[Merge, str, str | None]] = []

    def apply(self, row: int, cells: list[str], unreadable: dict[int, str]) -> None:
        """Fill row ``row`` (0-based) in place."""
        self._active = [a for a in self._active if a[0].bottom >= row]
        while self._pending and self._pending[-1].top <= row:
            merge = self._pending.pop()
            if merge.bottom < row:
                continue  # the range's rows were all absent from the file
            top = merge.left < len(cells) and merge.top == row
            value = cells[merge.left] if top else ""
            self._active.append((merge, value, unreadable.get(merge.left) if top else None))
        for merge, value, why in self._active:
            if merge.right >= len(cells):
                cells.extend([""] * (merge.right + 1 - len(cells)))
            if row > merge.top:
                cells[merge.left] = value
                if why is not None:
                    unreadable[merge.left] = why
            for col in range(merge.left + 1, merge.right + 1):
                cells[col] = ""
                unreadable[col] = _(
                    "cell {cell} is covered by the merged cell {range}: it shows no value of its "
                    "own; unmerge the cells and fill in each one"
                ).format(cell=cell_ref(col, row + 1), range=merge.ref)


def too_long(path: Path, col: int, line: int, length: int) -> InputFileError:
    """The error for a cell over ``MAX_CELL_CHARS`` (the same limit as CSV)."""
    return InputFileError(
        str(path),
        _("cell {cell} holds {length:,} characters; a cell may hold at most {limit:,}").format(
            cell=cell_ref(col, line), length=length, limit=MAX_CELL_CHARS
        ),
        line=line,
    )


class HiddenRows:
    """The line numbers of a sheet's hidden rows, compactly (a filter may hide 900,000)."""

    def __init__(self) -> None:
        self._lines = array("i")
        self._sorted = True

    def add(self, line: int) -> None:
        if self._lines and line <= self._lines[-1]:
            self._sorted = False
        self._lines.append(line)

    def __len__(self) -> int:
        return len(self._lines)

    def __contains__(self, line: object) -> bool:
        if not self._lines or not isinstance(line, int):
            return False
        if not self._sorted:
            self._lines = array("i", sorted(set(self._lines)))
            self._sorted = True
        at = bisect_left(self._lines, line)
        return at < len(self._lines) and self._lines[at] == line


def hidden_column(col: int) -> Mark:
    """Why a filled cell of a hidden column is not sent: nobody looking at the sheet sees it."""
    return Mark(
        _(
            "column {letter} is hidden in the sheet, so this cell is not what the sheet shows: "
            "unhide the column and check it, or delete the column"
        ).format(letter=column_letter(col)),
        "hidden_column",
    )


class SpreadsheetTable(Table):
    """A worksheet of a workbook; subclasses provide ``_cells`` and may set ``merges``,
    ``hidden_rows`` and ``hidden_columns`` (0-based)."""

    merges: Sequence[Merge] = ()
    hidden_rows: HiddenRows | frozenset[int] = frozenset()
    hidden_columns: frozenset[int] = frozenset()

    def _cells(self) -> Generator[Cells, None, None]:
        raise NotImplementedError

    def _filled(self) -> Generator[Cells, None, None]:
        if not self.merges:
            return self._cells()
        return self._merged()

    def _merged(self) -> Generator[Cells, None, None]:
        fill = MergeFill(self.merges)
        cells = self._cells()
        try:
            for line, values, unreadable in cells:
                fill.apply(line - 1, values, unreadable)
                yield line, values, unreadable
        finally:
            cells.close()

    def _records(self) -> Generator[tuple[int, list[str]], None, None]:
        filled = self._filled()
        try:
            for line, values, _unreadable in filled:
                yield line, values
        finally:
            filled.close()

    def rows(self) -> Iterator[Row]:
        """Stream the data rows (each call reads the sheet again)."""
        if self._closed:
            raise ValueError("Table is closed")
        width, blank, pending, last = len(self.headers), 0, 0, self.header_line
        header_line, hidden_rows, hidden_columns = last, self.hidden_rows, self.hidden_columns
        for line, cells, unreadable in self._filled():
            if line <= header_line:
                continue
            pending += line - last - 1  # rows absent from the file are blank rows
            last = line
            if not (unreadable or (cells and cells[0].strip()) or any(c.strip() for c in cells)):
                pending += 1
                continue
            blank, pending = blank + pending, 0
            if len(cells) < width:
                cells.extend([""] * (width - len(cells)))
            elif len(cells) > width:
                if any(c.strip() for c in cells[width:]) or any(i >= width for i in unreadable):
                    raise self._too_wide(line, cells, unreadable)
                del cells[width:]
            for col in hidden_columns:
                if col < width and col not in unreadable and cells[col].strip():
                    unreadable[col] = hidden_column(col)
            marks = tuple(sorted(unreadable.items())) if unreadable else ()
            yield Row(line, tuple(cells), marks, line in hidden_rows)
        self.blank_rows = blank

    def _too_wide(
        self, line: int, cells: list[str], unreadable: dict[int, str] | None = None
    ) -> InputFileError:
        width = len(self.headers)
        marked = unreadable or {}
        idx = next(
            i for i in range(width, max(len(cells), max(marked, default=width) + 1, width + 1))
            if (i < len(cells) and cells[i].strip()) or i in marked
        )  # fmt: skip
        shown = cells[idx][:40] if idx < len(cells) else ""
        return self._error(
            _(
                "cell {cell} holds {value} but column {column} has no header (the header has "
                "{width} columns); name the column or clear it"
            ).format(
                cell=cell_ref(idx, line), value=repr(shown), column=column_letter(idx), width=width
            ),
            line,
        )
