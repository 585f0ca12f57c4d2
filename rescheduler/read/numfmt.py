"""Pure: what an Excel number format shows — a number, a date, a date and time, a time, a duration.

A spreadsheet stores every date as a day number; only the cell's number format says whether a
person sees ``2030-01-15``, ``2030-01-15 00:00`` or ``09:30``. The reader renders a cell by what
its format shows (``reader`` contract): a date-only cell becomes ``YYYY-MM-DD`` (refused later as
a date without a time), a date-and-time cell ``YYYY-MM-DD HH:MM:SS``, a time-only cell or a
duration is refused.

``format_kind(code)`` reads a format code the way Excel does: quoted literals (``"年"``),
backslash-escaped characters, ``_x``/``*x`` padding and ``[...]`` sections (colour, locale,
condition) are not tokens; ``[h]``/``[mm]``/``[ss]`` are elapsed time (a duration); ``m`` is
minutes right after an hour or right before seconds, months otherwise; ``AM/PM`` and ``A/P``
are a time. Only the first section (positive numbers) counts. ``builtin_kind(id)`` covers the
built-in format ids, including the East Asian (27-36, 50-58) and Thai (71-81) ones.
"""

from __future__ import annotations

import re
from enum import Enum
from functools import lru_cache

__all__ = ["NumberKind", "builtin_kind", "format_kind"]


class NumberKind(Enum):
    """What a number format shows."""

    NUMBER = "number"
    DATE = "date"  # a calendar date without a time of day
    DATETIME = "datetime"  # a date and a time of day
    TIME = "time"  # a time of day without a date
    DURATION = "duration"  # elapsed time ([h]:mm:ss)
    SHAPED = "shaped"  # a number shown otherwise than as its digits: 000000, 0.00, #,##0, 0%
    INVISIBLE = "invisible"  # every section empty (;;;): the cell shows nothing at all
    LITERAL = "literal"  # only quoted text ("moved"): a number or date shows as that text


_BUILTIN: dict[int, NumberKind] = {}
for _ids, _kind in (
    ((*range(2, 14), *range(37, 45), 48), NumberKind.SHAPED),
    ((14, 15, 16, 17, 27, 28, 29, 30, 31, 36, 50, 51, 52, 53, 54, 57, 58), NumberKind.DATE),
    ((71, 72, 73, 74, 81), NumberKind.DATE),
    ((22, 77), NumberKind.DATETIME),
    ((18, 19, 20, 21, 32, 33, 34, 35, 45, 47, 55, 56, 75, 76, 78, 80), NumberKind.TIME),
    ((46, 79), NumberKind.DURATION),
):
    for _id in _ids:
        _BUILTIN[_id] = _kind

_QUOTED = re.compile(r'"[^"]*"|\\.|[_*].', re.DOTALL)
_ELAPSED = re.compile(r"\[(?:h+|m+|s+)\]", re.IGNORECASE)
_BRACKET = re.compile(r"\[[^\]]*\]")
_AMPM = re.compile(r"am/pm|a/p|上午/下午", re.IGNORECASE)
_GENERAL = re.compile(r"general", re.IGNORECASE)
_TOKEN = re.compile(r"y+|d+|m+|h+|s+|e+|g+|b+|0|#|\?|@", re.IGNORECASE)


def builtin_kind(format_id: int) -> NumberKind:
    """The kind of a built-in number format id (0-163); unknown ids are numbers.

    0 (General), 1 (``0``) and 49 (``@``) show a whole number as its digits; 2-13, 37-44 and
    48 (decimals, thousands, currency, percent, scientific, fractions) are ``SHAPED``.
    """
    return _BUILTIN.get(format_id, NumberKind.NUMBER)


_PLAIN = frozenset({"", "general", "0", "#", "@"})  # a whole number shows as its digits


@lru_cache(maxsize=256)
def format_kind(code: str) -> NumberKind:
    """The kind of a custom number format code such as ``yyyy-mm-dd hh:mm``.

    A code whose sections are all empty (``;;;``) is ``INVISIBLE``; a number format that is
    not General, ``0``, ``#`` or ``@`` (``000000``, ``0.00``, ``#,##0``, ``0%``, ``"ID"0``) is
    ``SHAPED``: what the cell shows is not the number's digits; one with no placeholder at all
    (``"moved"``) is ``LITERAL``: the cell shows that text, not its value.
    """
    if not _BRACKET.sub("", code).replace(";", "").strip():
        return NumberKind.INVISIBLE if ";" in code else NumberKind.NUMBER
    kind = _date_kind(code)
    if kind is NumberKind.NUMBER and _shaped(code):
        section = _GENERAL.sub("0", _BRACKET.sub("", _first_section(code)))
        return NumberKind.SHAPED if _TOKEN.search(section) else NumberKind.LITERAL
    return kind


def _shaped(code: str) -> bool:
    """Whether a number format shows a whole number otherwise than as its digits."""
    section = _BRACKET.sub("", code.split(";", 1)[0]).strip().casefold()
    return section not in _PLAIN


def _date_kind(code: str) -> NumberKind:
    section = _first_section(code)
    if _ELAPSED.search(section):
        return NumberKind.DURATION
    section = _GENERAL.sub("", _BRACKET.sub("", section))
    has_time = bool(_AMPM.search(section))
    section = _AMPM.sub("", section)
    tokens = [t.lower() for t in _TOKEN.findall(section)]
    letters = [t for t in tokens if t[0].isalpha()]
    if not letters or (any(t in ("0", "#", "?") for t in tokens) and not _has_date_letter(letters)):
        return NumberKind.TIME if has_time else NumberKind.NUMBER
    has_date = False
    for i, token in enumerate(letters):
        kind = token[0]
        if kind in "ydegb":
            has_date = True
        elif kind in "hs":
            has_time = True
        elif kind == "m":
            after_hour = i > 0 and letters[i - 1][0] == "h"
            before_second = i + 1 < len(letters) and letters[i + 1][0] == "s"
            if after_hour or before_second:
                has_time = True
            else:
                has_date = True
    if has_date:
        return NumberKind.DATETIME if has_time else NumberKind.DATE
    return NumberKind.TIME if has_time else NumberKind.NUMBER


def _has_date_letter(letters: list[str]) -> bool:
    return any(t[0] in "ydmhs" for t in letters)


def _first_section(code: str) -> str:
    """The part of ``code`` before the first unquoted ``;``, literals removed."""
    text = _QUOTED.sub("", code)
    return text.split(";", 1)[0]
