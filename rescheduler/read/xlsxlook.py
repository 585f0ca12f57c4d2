"""One pass over a worksheet's XML before its rows are read (``xlsx.XlsxTable``).

It finds the stored dimension (the last row, for progress), the merged ranges (listed after
the rows), the hidden rows and columns (a column of width 0 is hidden too), whether the rows
come in order (calamine would keep one of two rows 2, and a row would vanish: refused),
whether every cell carries its reference (``<c r="A1"``, without which calamine's rows and
``xlsxscan``'s cells could not be matched), whether any cell needs ``xlsxscan`` at all, and
(``wellformed``, fed the same chunks) that the XML is as a spreadsheet writes it and whole: a
sheet cut short inside a whole zip archive would otherwise read as the rows before the cut
(calamine refuses it, the streaming reader would not).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import IO

from rescheduler.errors import InputFileError
from rescheduler.i18n import _
from rescheduler.read.numfmt import NumberKind
from rescheduler.read.spreadsheet import HiddenRows, Merge, parse_ref
from rescheduler.read.wellformed import XmlCheck, well_formed
from rescheduler.read.xlsxparts import CHUNK, damaged
from rescheduler.read.xlsxscan import special_patterns

__all__ = ["SheetLook", "first_cell_placed", "look_at_sheet"]

_DIMENSION = re.compile(rb"""<(?:\w+:)?dimension\s+ref\s*=\s*["'][A-Z]*\d*:?[A-Z]*(\d+)["']""")
_ROOT = re.compile(rb"<(\w+:)?worksheet\b")
_MERGE = re.compile(rb"""<(?:\w+:)?mergeCell\s[^>]*?ref\s*=\s*["']([A-Za-z0-9:$]+)["']""")
# A row or column element that hides it (hidden="1"), or a column of width 0.
_HIDDEN_ROW = re.compile(rb"""<(?:\w+:)?row\s[^>]*?\bhidden\s*=\s*["'](?:1|true)["'][^>]*>""")
_COL = re.compile(rb"<(?:\w+:)?col\s[^>]*>")
_ROW_NUMBER = rb"""row\s[^>]*?\br\s*=\s*["'](\d+)"""  # after "<" and the sheet's prefix
_ATTR = re.compile(rb"""(\w+)\s*=\s*["']([^"']*)["']""")
_FIRST_CELL = re.compile(rb"<(?:\w+:)?c(\s[^>]*)?/?>")  # a cell's start tag; group 1: attributes
_PLACED = re.compile(rb"""[^>]*?\br\s*=\s*["']""")
FIRST_CELL_WITHIN = 64 << 10


@dataclass(frozen=True)
class SheetLook:
    """What ``look_at_sheet`` found; rows and columns are 1-based and 0-based, as the table
    keeps them."""

    max_row: int | None
    merges: list[Merge]
    all_placed: bool
    hidden_rows: HiddenRows | frozenset[int]
    hidden_columns: frozenset[int]
    special: bool


def first_cell_placed(stream: IO[bytes]) -> bool:
    """Whether the sheet's first cell (in its first 64 KB of XML) carries its reference
    (``<c r="A1"``): if not, ``look_at_sheet`` will find the cells unplaced and the sheet is
    streamed, so loading it with calamine is not worth starting. ``stream`` is closed here.
    True when no cell is that near the start (then the look decides, as for every sheet)."""
    with stream:
        head = stream.read(FIRST_CELL_WITHIN)
    found = _FIRST_CELL.search(head)
    return found is None or _PLACED.match(found.group(1) or b"") is not None


def _count(data: bytes, tags: tuple[bytes, ...]) -> int:
    return sum(data.count(tag) for tag in tags)


def look_at_sheet(
    stream: IO[bytes],
    dates: Mapping[str, NumberKind],
    error: Callable[[str], InputFileError],
    suffix: str,
) -> SheetLook:
    """One pass over the sheet's XML (``stream``, closed here) before its rows; ``error``
    makes the ``InputFileError`` for a sheet that cannot be read as it is."""
    max_row: int | None = None
    found: list[bytes] = []
    tail = b""
    cells = placed = 0
    tags: tuple[bytes, ...] = ()
    special = False  # any cell xlsxscan would have to look at (a formula, an error, a date)
    patterns: list[re.Pattern[bytes]] = []
    hidden_rows, hidden_cols = HiddenRows(), set[int]()
    last_row = 0
    row_number = re.compile(b"<" + _ROW_NUMBER)
    xml = XmlCheck()
    with stream, well_formed(_("the sheet"), error):
        edge = b""  # the previous chunk's last bytes: a tag may straddle two chunks
        while chunk := stream.read(CHUNK):
            xml.feed(chunk)
            data = tail + chunk
            if not tags:  # the first chunk: the sheet's namespace prefix, its dimension
                root = _ROOT.search(data)
                prefix = root.group(1) or b"" if root else b""
                tags = (b"<" + prefix + b"c ", b"<" + prefix + b"c>", b"<" + prefix + b'c r="')
                patterns = special_patterns(dates, prefix)
                row_number = re.compile(b"<" + re.escape(prefix) + _ROW_NUMBER)
                if m := _DIMENSION.search(data):
                    max_row = int(m.group(1))
            special = special or any(p.search(data) for p in patterns)
            cells += _count(edge + chunk, tags[:2]) - _count(edge, tags[:2])
            placed += _count(edge + chunk, tags[2:]) - _count(edge, tags[2:])
            edge = chunk[-6:]
            end = data.rfind(b">") + 1  # whole tags only; the rest waits in ``tail``
            whole = data[:end]
            _hidden(whole, hidden_rows, hidden_cols, error, suffix)
            last_row = _in_order(whole, last_row, row_number, error)
            if b"mergeCell" in whole:
                found += _MERGE.findall(whole)
            tail = data[end:] if len(data) - end <= 256 else data[-256:]
    with well_formed(_("the sheet"), error):  # also a sheet cut short inside a whole zip
        xml.close()
    merges = []
    for ref in dict.fromkeys(found):
        first, _sep, last = ref.decode("ascii").replace("$", "").partition(":")
        try:
            (top, left), (bottom, right) = parse_ref(first), parse_ref(last or first)
        except ValueError:
            continue
        merges.append(Merge(top, left, bottom, right))
    return SheetLook(
        max_row,
        merges,
        cells == placed,
        hidden_rows if len(hidden_rows) else frozenset(),  # fast when none
        frozenset(hidden_cols),
        special,
    )


def _in_order(
    data: bytes, last: int, pattern: re.Pattern[bytes], error: Callable[[str], InputFileError]
) -> int:
    """The last row number in ``data``; ``InputFileError`` when a row comes twice or out
    of order (calamine would keep one of two rows 2, and a row would vanish)."""
    numbers = list(map(int, pattern.findall(data)))
    if not numbers:
        return last
    if numbers[0] > last and numbers == sorted(set(numbers)):
        return numbers[-1]  # the usual case, checked at C speed
    for number in numbers:
        if number <= last:
            raise error(
                _(
                    "row {row} comes after row {last} in the sheet's data: the file was not "
                    "saved by a spreadsheet program as it is, or is damaged. Open it in "
                    "Excel and save it again"
                ).format(row=number, last=last)
            )
        last = number
    return last


def _hidden(
    data: bytes,
    rows: HiddenRows,
    columns: set[int],
    error: Callable[[str], InputFileError],
    suffix: str,
) -> None:
    """Record the hidden rows and columns whose tags ``data`` holds whole."""
    if b"hidden" in data:
        for tag in _HIDDEN_ROW.findall(data):
            number = dict(_ATTR.findall(tag)).get(b"r", b"")
            if not number.isdigit():  # a hidden row we cannot place: refuse, not guess
                raise error(
                    _("the sheet has a hidden row without a row number: {hint}").format(
                        hint=damaged(suffix)
                    )
                )
            rows.add(int(number))
    if b"<col " in data or b":col " in data:
        for tag in _COL.findall(data):
            attrs = dict(_ATTR.findall(tag))
            hidden = attrs.get(b"hidden", b"") in (b"1", b"true")
            zero_width = b"width" in attrs and not attrs[b"width"].strip(b"0.")
            if hidden or zero_width:
                first, last = attrs.get(b"min", b"0"), attrs.get(b"max", b"0")
                if first.isdigit() and last.isdigit():
                    columns.update(range(int(first) - 1, min(int(last), 16_384)))
