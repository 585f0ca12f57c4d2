"""numfmt.py: what a number format shows, read the way Excel reads a format code."""

from __future__ import annotations

import pytest

from rescheduler.read.numfmt import NumberKind, builtin_kind, format_kind

SHAPED, INVISIBLE = NumberKind.SHAPED, NumberKind.INVISIBLE
DATE, DATETIME, TIME, DURATION, NUMBER = (
    NumberKind.DATE, NumberKind.DATETIME, NumberKind.TIME, NumberKind.DURATION, NumberKind.NUMBER,
)  # fmt: skip


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("General", NUMBER),
        ("0.00", SHAPED),  # not a date; shows a number otherwise than as its digits
        ("#,##0", SHAPED),
        ("0.00E+00", SHAPED),  # the E of scientific notation is not an era year
        ("@", NUMBER),
        ('0"天"', SHAPED),  # a quoted literal is not a token
        ("[Red]0.00;[Blue]-0.00", SHAPED),
        ("000000", SHAPED),  # 1001 shows 001001 (the hostile review)
        ("0", NUMBER),
        ("[Red]0", NUMBER),
        (";;;", INVISIBLE),  # shows nothing at all
        (";;", INVISIBLE),
        ("0;-0;;@", NUMBER),
        ('"moved"', NumberKind.LITERAL),  # a date shown as the word 'moved'
        ('"No. "General', SHAPED),
        ("yyyy-mm-dd", DATE),
        ("d-mmm", DATE),
        ("mmm-yy", DATE),
        ('yyyy"年"m"月"d"日"', DATE),
        ("[$-411]ge.m.d", DATE),  # Japanese era
        ("[$-F800]dddd, mmmm dd, yyyy", DATE),
        ("yyyy\\-mm\\-dd", DATE),  # LibreOffice escapes separators
        ("yyyy-mm-dd hh:mm", DATETIME),
        ("yyyy\\-mm\\-dd\\ h:mm:ss", DATETIME),
        ("m/d/yy h:mm", DATETIME),
        ("yyyy/m/d h:mm;@", DATETIME),  # only the first section counts
        ("yyyy-mm-dd 00:00", DATE),  # literal zeros are no time of day
        ("h:mm", TIME),
        ("mm:ss", TIME),  # m before s is minutes
        ("h:mm AM/PM", TIME),
        ("hh:mm:ss.000", TIME),
        ('上午/下午h"时"mm"分"', TIME),
        ("[h]:mm:ss", DURATION),
        ("[mm]:ss", DURATION),
    ],
)
def test_format_kind(code: str, kind: NumberKind) -> None:
    assert format_kind(code) is kind


@pytest.mark.parametrize(
    ("format_id", "kind"),
    [(0, NUMBER), (1, NUMBER), (2, SHAPED), (3, SHAPED), (9, SHAPED), (14, DATE), (17, DATE),
     (22, DATETIME), (20, TIME), (21, TIME), (46, DURATION), (31, DATE), (32, TIME),
     (57, DATE), (49, NUMBER), (164, NUMBER)],
)  # fmt: skip
def test_builtin_kind(format_id: int, kind: NumberKind) -> None:
    assert builtin_kind(format_id) is kind
