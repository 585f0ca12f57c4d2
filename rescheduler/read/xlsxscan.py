"""The cells of an XLSX sheet that python-calamine cannot describe, found fast in the sheet's XML.

calamine gives a cell's value but not whether it is a formula without a saved value or an
error (both read as empty), nor the number format beyond "a date" (a date-only cell and a
time at 00:00 are both a ``date``). ``special_cells`` finds exactly those cells: three
literal-prefixed patterns (which the regex engine scans at memory speed) locate formula
elements, error types and the styles whose format shows a date only, a time only or a
duration; only the cells they hit are parsed. It yields ``(row, column, reason, kind)``
(0-based), in the sheet's order, with ``reason`` set for an unreadable cell and ``kind`` for a
cell whose number format decides how its date reads; ``(row, -1, None, None)`` marks the last
row of each piece of XML read, so a caller that needs only the first rows stops reading there.

A cell without an ``r`` reference cannot be placed without counting every cell before it:
``Unplaceable`` tells the caller to read the sheet with the streaming reader instead.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterable, Mapping
from re import Pattern

from rescheduler.read.cellvalue import error_reason, no_saved_value
from rescheduler.read.numfmt import NumberKind

__all__ = ["CELL", "Unplaceable", "iso_date_kind", "special_cells"]

Special = tuple[int, int, str | None, NumberKind | None]

_ANY_UNTIL_CELL_END = r"([^<]*(?:<(?!/(?:\w+:)?c>)[^<]*)*)</(?:\w+:)?c>"
CELL = re.compile(
    # the usual cell: r, s, t in this order, a plain <v> or inline <is><t>, else any body
    r'<c r="([A-Z]{1,3})(\d+)"(?: s="(\d+)")?(?: t="(\w+)")?'
    r"(?:/>|><v>([^<]*)</v></c>|><is><t>([^<]*)</t></is></c>|>" + _ANY_UNTIL_CELL_END + ")"
    # any other cell: other attributes, another order, quotes, a namespace prefix
    r"|<(?:\w+:)?c(?=[\s/>])([^>]*?)(?:/>|>" + _ANY_UNTIL_CELL_END + ")"
)
ATTR = re.compile(r"""([\w:]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
FORMULA = re.compile(r"<(?:\w+:)?f[\s/>]")
VALUE = re.compile(r"<(?:\w+:)?v(?:\s[^>]*)?(?:/>|>(.*?)</(?:\w+:)?v>)", re.DOTALL)
_ERROR_TYPE = re.compile(r"""t=["'][ed]["']""")  # an error cell, or an ISO date cell
_CELL_TAG = re.compile(r"<(?:\w+:)?c[\s/>]")
_REF = re.compile(r"([A-Za-z]{1,3})(\d+)")
_ROOT = re.compile(r"<(\w+:)?worksheet\b")
_ROW_NUMBER = re.compile(r"""[^>]*?\br\s*=\s*["'](\d+)""")


class Unplaceable(Exception):
    """A special cell has no ``r`` reference; the sheet must be read cell by cell."""


def column_index(letters: str) -> int:
    col = 0
    for ch in letters.upper():
        col = col * 26 + ord(ch) - 64
    return col - 1


def special_patterns(kinds: Mapping[str, NumberKind], prefix: bytes) -> list[Pattern[bytes]]:
    """Patterns that find, in raw sheet XML, every place ``special_cells`` would look at."""
    styled = [s for s, k in kinds.items() if k is not NumberKind.DATETIME]
    formula = re.compile(b"<" + re.escape(prefix) + rb"f[\s/>]")
    found = [re.compile(rb"""t=["'][ed]["']"""), formula]
    if styled:
        ids = "|".join(sorted(styled, key=len, reverse=True)).encode("ascii")
        found.append(re.compile(rb"s=[\"'](?:" + ids + rb")[\"']"))
    return found


def special_cells(
    pieces: Iterable[str], kinds: Mapping[str, NumberKind], full_calc: bool
) -> Generator[Special, None, None]:
    """The special cells of the sheet whose XML comes in ``pieces`` (each ending a row)."""
    styled = [s for s, k in kinds.items() if k is not NumberKind.DATETIME]
    patterns: list[Pattern[str]] = [_ERROR_TYPE]
    if styled:
        ids = "|".join(sorted(styled, key=len, reverse=True))
        patterns.append(re.compile(rf"""s=["'](?:{ids})["']"""))
    prefix: str | None = None
    for piece in pieces:
        if prefix is None:  # the sheet's namespace prefix, so every pattern starts with a literal
            root = _ROOT.search(piece)
            prefix = root.group(1) or "" if root else ""
            patterns.append(re.compile(rf"<{re.escape(prefix)}f[\s/>]"))
            row_tag = f"<{prefix}row"
        hits = sorted({m.start() for p in patterns for m in p.finditer(piece)})
        done = -1
        for pos in hits:
            start = _cell_start(piece, pos)
            if start is None or start <= done:
                continue
            done = start
            found = _special(piece, start, kinds, full_calc)
            if found is not None:
                yield found
        last = piece.rfind(row_tag)
        number = _ROW_NUMBER.match(piece, last + len(row_tag)) if last >= 0 else None
        if number is not None:  # every row up to here is done: the caller need not read on
            yield int(number.group(1)) - 1, -1, None, None


def _cell_start(piece: str, pos: int) -> int | None:
    """Where the cell element holding position ``pos`` starts (None: not inside a cell)."""
    start = pos
    while (start := piece.rfind("<", 0, start)) >= 0:
        if _CELL_TAG.match(piece, start):
            return start
        if piece.startswith("<row", start) or piece.startswith("</c>", start):
            return None
        name = piece[start + 1 : start + 12]
        if ":row" in name[:8] or (":c>" in name[:6] and name.startswith("/")):
            return None
    return None


def _special(
    piece: str, start: int, kinds: Mapping[str, NumberKind], full_calc: bool
) -> Special | None:
    m = CELL.match(piece, start)
    if m is None:
        return None
    letters, digits, s, t, v, _inline, body, gattrs, gbody = m.groups()
    if not letters:
        attrs = {k.rsplit(":", 1)[-1]: a or b for k, a, b in ATTR.findall(gattrs)}
        ref = _REF.fullmatch(attrs.get("r", ""))
        if ref is None:
            raise Unplaceable(piece[start : start + 80])
        letters, digits = ref.groups()
        s, t, body = attrs.get("s", ""), attrs.get("t", ""), gbody or ""
    row, col = int(digits) - 1, column_index(letters)
    saved: str | None = v or None
    has_formula = bool(body) and FORMULA.search(body) is not None
    if body:
        value = VALUE.search(body)
        saved = value.group(1) if value is not None else None
    if t == "e":
        return row, col, error_reason(saved or ""), None
    if has_formula and (full_calc or saved is None or (saved == "" and t != "str")):
        return row, col, no_saved_value(), None
    kind = kinds.get(s)
    if t == "d":  # an ISO 8601 date cell: without a time of day it is a date only
        kind = iso_date_kind(saved or "") or kind
    if kind is None or kind is NumberKind.DATETIME:
        return None
    return row, col, None, kind


def iso_date_kind(value: str) -> NumberKind | None:
    """``DATE`` for the text of an ISO 8601 date cell (``t="d"``) that holds no time of day."""
    return NumberKind.DATE if "T" not in value and ":" not in value else None
