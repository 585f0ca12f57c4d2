"""Pure change rules and wall-clock time: --set, --shift, --move-to-date, times for the sheet."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest

from rescheduler.read.times import AppointTimeError, parse_appoint_time
from rescheduler.state.rules import (
    RuleError,
    Rules,
    Shift,
    parse_date,
    parse_sets,
    parse_shift,
)
from rescheduler.state.wall import format_wall, move_to_date, shift_days, wall_date

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
T = parse_appoint_time("2030-01-01 09:30", SHANGHAI)


def ny(text: str) -> int:
    return parse_appoint_time(text, NEW_YORK)


# writing times for the sheet ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ms", "zone", "expected"),
    [
        (T, SHANGHAI, "2030-01-01 09:30:00"),
        (T + 250, SHANGHAI, "2030-01-01 09:30:00.250"),
        (T, ZoneInfo("UTC"), "2030-01-01 01:30:00"),
        # 01:30 happens twice in New York on 2030-11-03: the offset says which
        (ny("2030-11-03T01:30:00-04:00"), NEW_YORK, "2030-11-03 01:30:00-04:00"),
        (ny("2030-11-03T01:30:00-05:00"), NEW_YORK, "2030-11-03 01:30:00-05:00"),
    ],
)
def test_format_wall_reads_back_as_the_same_instant(ms: int, zone: ZoneInfo, expected: str) -> None:
    assert format_wall(ms, zone) == expected
    assert parse_appoint_time(expected, zone) == ms


def test_wall_date() -> None:
    assert wall_date(T, SHANGHAI) == date(2030, 1, 1)
    assert wall_date(T, ZoneInfo("America/Los_Angeles")) == date(2029, 12, 31)


# moving and shifting -----------------------------------------------------------------------------


def test_move_to_date_keeps_the_time_of_day_in_the_zone() -> None:
    moved = move_to_date(T, date(2030, 1, 2), SHANGHAI)
    assert format_wall(moved, SHANGHAI) == "2030-01-02 09:30:00"
    # across a daylight-saving change the wall time stays, the UTC time moves
    summer = move_to_date(ny("2030-03-01 09:00"), date(2030, 3, 20), NEW_YORK)
    assert format_wall(summer, NEW_YORK) == "2030-03-20 09:00:00"
    assert summer - ny("2030-03-01 09:00") == 19 * 86_400_000 - 3_600_000


@pytest.mark.parametrize(
    ("start", "day", "message"),
    [
        ("2030-03-01 02:30", date(2030, 3, 10), "does not exist in America/New_York"),
        ("2030-03-01 01:30", date(2030, 11, 3), "is ambiguous in America/New_York"),
        # from the second 01:30 of one fold to the next fold: still refused, not taken as fold 1
        ("2029-11-04T01:30:00-05:00", date(2030, 11, 3), "is ambiguous in America/New_York"),
    ],
)
def test_move_to_date_refuses_gaps_and_folds(start: str, day: date, message: str) -> None:
    with pytest.raises(AppointTimeError, match=message):
        move_to_date(ny(start), day, NEW_YORK)


def test_shift_days_are_calendar_days_hours_are_elapsed_time() -> None:
    start = ny("2030-03-09 09:00")
    day = Rules(shift=Shift(1, "d")).new_time(start, NEW_YORK)
    hours = Rules(shift=Shift(24, "h")).new_time(start, NEW_YORK)
    assert format_wall(day, NEW_YORK) == "2030-03-10 09:00:00"
    assert format_wall(hours, NEW_YORK) == "2030-03-10 10:00:00"  # 24 h later, clocks moved on
    back = Rules(shift=Shift(-30, "m")).new_time(T, SHANGHAI)
    assert format_wall(back, SHANGHAI) == "2030-01-01 09:00:00"
    with pytest.raises(AppointTimeError, match="does not exist"):
        shift_days(ny("2030-03-09 02:30"), 1, NEW_YORK)


def test_rules_without_a_time_rule_leave_the_time() -> None:
    rules = Rules(sets=(("userAccount", "zhao.lei"),))
    assert rules.new_time(T, SHANGHAI) == T
    assert (rules.changes_time, rules.time_rule) == (False, "")
    assert (rules.value("userAccount"), rules.value("remark")) == ("zhao.lei", None)


def test_shift_and_move_together_are_refused() -> None:
    with pytest.raises(RuleError, match="cannot be used together"):
        Rules(shift=Shift(1, "d"), move_to=date(2030, 1, 2))


# parsing the flags -------------------------------------------------------------------------------


def test_parse_sets() -> None:
    assert parse_sets(["userAccount=zhao.lei", "REMARK=客户改约 = ok", "workno=125"]) == (
        ("userAccount", "zhao.lei"),
        ("remark", "客户改约 = ok"),
        ("workNo", "125"),
    )


@pytest.mark.parametrize(
    ("specs", "message"),
    [
        (["appointTime=2030-01-01"], "--set 'appointTime=2030-01-01': write FIELD=VALUE with FIELD "
         "one of userAccount, workNo, remark"),
        (["userAccount"], "write FIELD=VALUE"),
        (["remark="], "--set remark= needs a value (an empty cell leaves the field unchanged)"),
        (["remark=a", "remark=b"], "--set remark is given twice"),
        (["userAccount= li"], "--set userAccount: ' li' has spaces or an apostrophe at an edge"),
    ],
)  # fmt: skip
def test_parse_sets_refuses(specs: list[str], message: str) -> None:
    with pytest.raises(RuleError) as caught:
        parse_sets(specs)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("+1d", Shift(1, "d")), ("-2h", Shift(-2, "h")), ("+30m", Shift(30, "m")),
     (" -0d ", Shift(0, "d"))],
)  # fmt: skip
def test_parse_shift(text: str, expected: Shift) -> None:
    assert parse_shift(text) == expected


@pytest.mark.parametrize("text", ["1d", "+1w", "+d", "+1.5h", "+1d2h", ""])
def test_parse_shift_refuses(text: str) -> None:
    with pytest.raises(RuleError, match="write a sign, a number and d, h or m"):
        parse_shift(text)


def test_parse_date() -> None:
    assert parse_date("2030-01-02") == date(2030, 1, 2)
    assert parse_date("2030/1/2") == date(2030, 1, 2)
    for bad in ("2030-02-30", "02.01.2030", "2030-01-02 10:00"):
        with pytest.raises(RuleError, match="write a date as YYYY-MM-DD"):
            parse_date(bad)
