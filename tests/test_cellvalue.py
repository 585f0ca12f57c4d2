"""cellvalue.py: a cell's value as the text it shows, or the reason it cannot be sent."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from rescheduler.read.cellvalue import Unreadable, render, serial_to_datetime
from rescheduler.read.numfmt import NumberKind

ID = "174729926098016859445364892091"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        ("  kept as is ", "  kept as is "),
        (ID, ID),
        (125, "125"),
        (10**30, "1" + "0" * 30),
        (125.0, "125"),
        (-3.0, "-3"),
        (999999999999999.0, "999999999999999"),
        (1e15, "1E+15"),
        (1.7472992609801686e29, "1.74729926098017E+29"),
        (-2.5e20, "-2.5E+20"),
        (46000.5, "46000.5"),
        (0.1, "0.1"),
        (True, "TRUE"),
        (False, "FALSE"),
        (datetime(2030, 1, 2, 3, 4, 5), "2030-01-02 03:04:05"),
        (datetime(2030, 1, 2, 3, 4, 5, 250000), "2030-01-02 03:04:05.250"),
    ],
)
def test_render_without_a_format(value: object, text: str) -> None:
    assert render(value) == text


def test_the_number_format_decides_how_a_date_reads() -> None:
    assert render(47486.0, NumberKind.DATE) == "2030-01-03"
    assert render(47486.5, NumberKind.DATE) == "2030-01-03"  # the time is not shown: not sent
    assert render(47486.0, NumberKind.DATETIME) == "2030-01-03 00:00:00"  # shows 00:00: a time
    assert render(47486.4375, NumberKind.DATETIME) == "2030-01-03 10:30:00"
    assert render(date(2030, 1, 3), NumberKind.DATETIME) == "2030-01-03 00:00:00"
    assert render(datetime(2030, 1, 3, 10), NumberKind.DATE) == "2030-01-03"
    assert render(46000.5, NumberKind.NUMBER) == "46000.5"


@pytest.mark.parametrize(
    ("value", "kind", "reason"),
    [
        (time(9, 30), None, "a time of day without a date (09:30); write the date and the time"),
        (0.395833333, NumberKind.TIME, "a time of day without a date (09:30)"),
        (47486.5, NumberKind.TIME, "a time of day without a date (12:00)"),
        (timedelta(hours=26), None, "a duration (26:00:00), not a date and time"),
        (1.0833333333, NumberKind.DURATION, "a duration (26:00:00)"),
        (date(2030, 1, 3), None, "the date 2030-01-03 with no time of day, or at 00:00"),
        (60.0, NumberKind.DATETIME, "day number 60 is not a date"),
        (-1.0, NumberKind.DATE, "day number -1 is not a date"),
        (3e6, NumberKind.DATE, "day number 3000000 is not a date"),
    ],
)
def test_cells_that_cannot_be_sent_as_what_they_show(
    value: object, kind: NumberKind | None, reason: str
) -> None:
    with pytest.raises(Unreadable, match=reason.replace("(", r"\(").replace(")", r"\)")):
        render(value, kind)


def test_serial_numbers_in_both_date_systems() -> None:
    assert serial_to_datetime(1.0) == datetime(1900, 1, 1)
    assert serial_to_datetime(61.0) == datetime(1900, 3, 1)
    assert serial_to_datetime(47486.25) == datetime(2030, 1, 3, 6)
    assert serial_to_datetime(0.0, date1904=True) == datetime(1904, 1, 1)
    assert serial_to_datetime(46024.0, date1904=True) == datetime(2030, 1, 3)  # 1,462 days on
