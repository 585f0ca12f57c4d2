"""times.py: every accepted form, DST gaps and folds, Excel serials, refusals."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from rescheduler.read.times import (
    AppointTimeError,
    excel_serial_to_datetime,
    format_utc,
    parse_appoint_time,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")


def ms(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> int:
    return int(datetime(year, month, day, hour, minute, second, tzinfo=UTC).timestamp() * 1000)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1749204000000", 1749204000000),  # the API doc's example
        ("174920400000", 174920400000),  # 12 digits
        ("2025-06-06 18:00", ms(2025, 6, 6, 10)),
        ("2025-06-06 18:00:00", ms(2025, 6, 6, 10)),
        ("2025/6/6 18:00:30", ms(2025, 6, 6, 10, 0, 30)),
        ("2025-06-06T18:00:00", ms(2025, 6, 6, 10)),
        ("2025-06-06 18:00:00.5", ms(2025, 6, 6, 10) + 500),
        ("2025-06-06T10:00:00Z", ms(2025, 6, 6, 10)),
        ("2025-06-06T12:00:00+02:00", ms(2025, 6, 6, 10)),
        ("2025-06-06 05:30-0430", ms(2025, 6, 6, 10)),
        ("20250606T100000Z", ms(2025, 6, 6, 10)),
        ("2025-06-06T18", ms(2025, 6, 6, 10)),
        ("46000.5", ms(2025, 12, 9, 4)),  # Excel serial: 2025-12-09 12:00 Shanghai
        ("46000.4375", ms(2025, 12, 9, 2, 30)),
    ],
)
def test_accepted_forms(text: str, expected: int) -> None:
    assert parse_appoint_time(text, SHANGHAI) == expected


def test_excel_serial_1900_rules() -> None:
    assert excel_serial_to_datetime(1) == datetime(1900, 1, 1)
    assert excel_serial_to_datetime(59) == datetime(1900, 2, 28)
    assert excel_serial_to_datetime(61) == datetime(1900, 3, 1)
    assert excel_serial_to_datetime(45000.75) == datetime(2023, 3, 15, 18)
    assert excel_serial_to_datetime(2958465) == datetime(9999, 12, 31)
    with pytest.raises(AppointTimeError, match="60 is 1900-02-29, a day that did not exist"):
        excel_serial_to_datetime(60.5)
    with pytest.raises(AppointTimeError, match="out of range"):
        excel_serial_to_datetime(0.5)
    with pytest.raises(AppointTimeError, match="out of range"):
        parse_appoint_time("2958466.5", SHANGHAI)


def test_excel_serial_minutes_round_to_whole_milliseconds() -> None:
    # 10:31 is not exact in binary; it must not come out as 10:30:59.999
    assert excel_serial_to_datetime(46000 + (10 * 60 + 31) / 1440) == datetime(2025, 12, 9, 10, 31)


def test_dst_gap_is_invalid() -> None:
    with pytest.raises(AppointTimeError) as info:
        parse_appoint_time("2026-03-08 02:30", NEW_YORK)
    assert str(info.value) == (
        "2026-03-08 02:30:00 does not exist in America/New_York (the clocks skip it for "
        "daylight saving time); give another time or write it with an offset"
    )


def test_dst_fold_is_invalid_and_offset_resolves_it() -> None:
    with pytest.raises(AppointTimeError) as info:
        parse_appoint_time("2026-11-01 01:30", NEW_YORK)
    assert str(info.value) == (
        "2026-11-01 01:30:00 is ambiguous in America/New_York (it happens twice when the "
        "clocks go back); write it with an offset, e.g. 2026-11-01T01:30:00-04:00 or "
        "2026-11-01T01:30:00-05:00"
    )
    assert parse_appoint_time("2026-11-01T01:30:00-05:00", NEW_YORK) == ms(2026, 11, 1, 6, 30)
    assert parse_appoint_time("2026-11-01 00:59", NEW_YORK) == ms(2026, 11, 1, 4, 59)
    assert parse_appoint_time("2026-11-01 02:00", NEW_YORK) == ms(2026, 11, 1, 7)


def test_dst_applies_to_excel_serials_too() -> None:
    # serial 46089.0625 = 2026-03-08 01:30 exists; 46089.1041666 = 02:30 does not
    assert parse_appoint_time("46089.0625", NEW_YORK) == ms(2026, 3, 8, 6, 30)
    with pytest.raises(AppointTimeError, match="does not exist"):
        parse_appoint_time("46089.10416666667", NEW_YORK)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "1749204000",
            "'1749204000' looks like epoch seconds; give epoch milliseconds (13 digits)",
        ),
        ("12345678901234", "'12345678901234' is not a time; use YYYY-MM-DD HH:MM[:SS]"),
        ("20261201", "'20261201' is not a time; use"),
        ("2026-12-01", "'2026-12-01' has no time of day; add one, e.g. 2026-12-01 10:00"),
        ("2026-02-30 10:00", "'2026-02-30 10:00' is not a real date and time (day is out of"),
        ("2026-12-01 24:00", "'2026-12-01 24:00' is not a real date and time (hour must be"),
        ("2026-12-01T10:00+25:00", "offset '+25:00' is out of range"),
        (
            "next tuesday",
            "'next tuesday' is not a time; use YYYY-MM-DD HH:MM[:SS] (or with / or T), ISO 8601"
            " with an offset (2026-12-01T10:00:00+08:00), epoch milliseconds (13 digits) or an"
            " Excel date cell",
        ),
        ("１２:００", "is not a time"),
        ("2026-12-01 10:00 PM", "is not a time"),
    ],
)
def test_refusals(text: str, message: str) -> None:
    with pytest.raises(AppointTimeError) as info:
        parse_appoint_time(text, SHANGHAI)
    assert message in str(info.value)
    assert isinstance(info.value, ValueError)


def test_format_utc() -> None:
    assert format_utc(ms(2026, 12, 1, 2)) == "2026-12-01T02:00:00Z"
    assert format_utc(ms(2026, 12, 1, 2) + 250) == "2026-12-01T02:00:00.250Z"
    assert format_utc(0) == "1970-01-01T00:00:00Z"
