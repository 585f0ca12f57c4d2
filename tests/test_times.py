"""times.py: every accepted form, DST gaps and folds, Excel serials, refusals."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from rescheduler.read.daynumber import excel_serial_to_datetime
from rescheduler.read.times import AppointTimeError, format_utc, parse_appoint_time

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
        ("2026-02-30 10:00", "'2026-02-30 10:00' is not a real date and time (2026-02 has no day"),
        ("2026-12-01 24:00", "'2026-12-01 24:00' is not a real date and time (there is no hour"),
        ("2026-12-01T10:00+25:00", "'+25:00' is no time zone's offset"),
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


# --- issue 9: the horizon and day numbers that are not plainly day numbers -----------------

NOW = ms(2026, 11, 30, 2)  # 2026-11-30 10:00 in Shanghai


def read(text: str, days: int = 366) -> int:
    return parse_appoint_time(text, SHANGHAI, now_ms=NOW, max_days_ahead=days)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # times typed as digits: as day numbers they were sent as 2154 and 2173
        (
            "093000",
            "'093000' looks like a time typed as digits (09:30) with no date; write the date "
            "and time, e.g. 2026-12-01 09:30",
        ),
        ("100000", "'100000' looks like a time typed as digits (10:00) with no date"),
        ("0930", "'0930' looks like a time typed as digits (09:30)"),
        # a date typed as digits (DDMMYY), year 2721 as a day number
        (
            "300115",
            "'300115' is not a time: read as an Excel day number it would be 2721-09-07, more "
            "than 366 days from now (input.max_days_ahead); write the date and time as "
            "YYYY-MM-DD HH:MM, e.g. 2026-12-01 10:00",
        ),
        # a day number with a fraction, year 7087
        ("1894675.2", "would be 7087-06-10 04:48, more than 366 days from now"),
        # day numbers without a time of day are dates without a time, like 2030-01-15
        (
            "47498",
            "'47498' is an Excel day number for 2030-01-15 with no time of day; write the date "
            "and time, e.g. 2030-01-15 10:00",
        ),
        ("46400.000", "'46400.000' is an Excel day number for 2027-01-13 with no time of day"),
        # a day number with a fraction beyond the horizon
        ("47498.4375", "would be 2030-01-15 10:30, more than 366 days from now"),
    ],
)
def test_day_numbers_only_when_plainly_one(text: str, message: str) -> None:
    with pytest.raises(AppointTimeError) as info:
        read(text)
    assert message in str(info.value)


def test_day_number_with_a_fraction_inside_the_horizon_is_read() -> None:
    assert read("46400.4375") == ms(2027, 1, 13, 2, 30)  # 10:30 in Shanghai
    assert read("47498.4375", days=3660) == ms(2030, 1, 15, 2, 30)


@pytest.mark.parametrize(
    "text",
    [
        "2154-08-14 10:00",
        "2027-12-02 10:00",  # one day past the horizon
        "2154-08-14T10:00:00+08:00",
        "21540814T100000Z",
        "5804611200000",  # epoch ms, 2153
    ],
)
def test_every_form_beyond_the_horizon_is_refused_naming_the_key(text: str) -> None:
    with pytest.raises(AppointTimeError) as info:
        read(text)
    assert str(info.value) == (
        f"{text!r} is more than 366 days ahead (input.max_days_ahead); write a date up to "
        "2027-12-01, or, if the date is right, raise input.max_days_ahead in the config"
    )


def test_the_horizon_is_inclusive_and_configurable() -> None:
    assert read("2027-12-01 10:00") == NOW + 366 * 86_400_000
    with pytest.raises(AppointTimeError, match="more than 30 days ahead"):
        read("2027-01-01 10:00", days=30)
    assert read("2100-08-14 10:00", days=36_500) == ms(2100, 8, 14, 2)


def test_spreadsheet_cells_as_the_reader_renders_them() -> None:
    """The contract with the XLSX/ODS reader: date+time cells are times, date-only cells not."""
    assert read("2027-01-13 10:30:00") == ms(2027, 1, 13, 2, 30)
    assert read("2027-01-13 00:00:00") == ms(2027, 1, 12, 16)  # a time of day, even 00:00
    assert read("2027-01-13 10:30:00.250") == ms(2027, 1, 13, 2, 30) + 250
    with pytest.raises(AppointTimeError, match="has no time of day; add one"):
        read("2027-01-13")


@pytest.mark.parametrize(
    "text",
    [
        "2027-01-15T09:30+23:59",
        "2027-01-15T09:30-23:59",
        "2027-01-15T09:30:00+08:00:30",
        "2027-01-15T09:30+14:15",
        "2027-01-15 09:30-12:30",
        "2027-01-15 09:30+0810",
    ],
)
def test_an_offset_no_time_zone_uses_is_refused(text: str) -> None:
    # +23:59, -23:59 and +08:00:30 were sent (the hostile review, p01)
    with pytest.raises(AppointTimeError) as info:
        parse_appoint_time(text, ZoneInfo("UTC"))
    assert info.value.code == "appointTime.bad_offset"
    assert "is no time zone's offset: real offsets run from -12:00 to +14:00" in str(info.value)


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("2027-01-15T09:30+14:00", "2027-01-14T19:30:00Z"),
        ("2027-01-15T09:30-12:00", "2027-01-15T21:30:00Z"),
        ("2027-01-15T09:30+05:45", "2027-01-15T03:45:00Z"),
        ("2027-01-15 09:30-0330", "2027-01-15T13:00:00Z"),
        ("20270115T093000+0845", "2027-01-15T00:45:00Z"),
    ],
)
def test_real_offsets_are_read(text: str, utc: str) -> None:
    assert format_utc(parse_appoint_time(text, ZoneInfo("UTC"))) == utc
