"""The fast paths in validate.py and times.py give exactly what the plain definitions give."""

from __future__ import annotations

import re

from hypothesis import example, given
from hypothesis import strategies as st

from rescheduler.read.columns import INVISIBLE, strip_edges
from rescheduler.read.validate import check_appoint_id, clean_cell

EDGES = " \t\n\u00a0\u3000'" + INVISIBLE
texts = st.text(alphabet=st.sampled_from(EDGES) | st.characters(), max_size=12)


def slow_clean_cell(text: str) -> str:
    text = strip_edges(text)
    if text.startswith("'"):
        text = strip_edges(text[1:])
    return text


@given(st.tuples(texts, texts, texts).map("".join))
def test_clean_cell_matches_the_plain_definition(text: str) -> None:
    assert clean_cell(text) == slow_clean_cell(text)


EXCEL = re.compile(r"[1-9]\d{0,14}0+")


@given(st.text(alphabet="0123456789", min_size=1, max_size=40))
def test_excel_check_needs_a_trailing_zero(text: str) -> None:
    why = check_appoint_id(text, "appointId")
    lost = len(text) > 15 and EXCEL.fullmatch(text) is not None
    assert (why is not None and "Excel" in why) == lost


@given(st.integers(min_value=-62_135_596_800_000, max_value=253_402_300_799_999))
def test_format_utc_matches_datetime(ms: int) -> None:
    from datetime import UTC, datetime, timedelta

    from rescheduler.read.times import format_utc

    moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)
    expected = moment.strftime("%Y-%m-%dT%H:%M:%S")
    expected += f".{ms % 1000:03d}Z" if ms % 1000 else "Z"
    assert format_utc(ms) == expected


ZONES = ["UTC", "Asia/Shanghai", "America/New_York", "Australia/Lord_Howe", "Europe/London"]
digit = st.sampled_from("0123456789")
usual_texts = st.builds(
    "{}-{}{}-{}{}{}{}{}:{}{}:{}{}".format,
    st.integers(0, 9999).map("{:04d}".format) | st.integers(1990, 2100).map(str),
    digit, digit, digit, digit,
    st.sampled_from(" T"),
    digit, digit, digit, digit, digit, digit,
)  # fmt: skip
epoch_texts = st.integers(0, 10**13 - 1).map(str)
USUAL = re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d", re.ASCII)
near_texts = st.text(alphabet=st.sampled_from("0123456789-:T /.Z+٣"), min_size=12, max_size=20)


@given(usual_texts | epoch_texts | near_texts, st.sampled_from(ZONES))
@example("2026-03-08 02:30:00", "America/New_York")  # a DST gap: refused
@example("2026-11-01T01:30:00", "America/New_York")  # a DST fold: refused
@example("2026-10-04 02:10:00", "Australia/Lord_Howe")  # a half-hour gap
@example("2026-04-05 01:45:00", "Australia/Lord_Howe")  # a half-hour fold
@example("2026-06-01 23:59:60", "UTC")  # a leap second: no such time here
@example("2026-02-29 10:00:00", "UTC")  # no such day
@example("0000-01-01 00:00:00", "UTC")  # no year 0
@example("2026-06-01 24:00:00", "UTC")
def test_parse_usual_gives_what_parse_appoint_time_gives(text: str, zone: str) -> None:
    """Whenever the fast form parser answers, the general parser gives the same instant."""
    from zoneinfo import ZoneInfo

    from rescheduler.read.times import AppointTimeError, parse_appoint_time, parse_usual

    tz = ZoneInfo(zone)
    fast = parse_usual(text, tz)
    try:
        expected: int | None = parse_appoint_time(text, tz)
    except AppointTimeError:
        expected = None
    if fast is not None:
        assert fast == expected
    plain = USUAL.fullmatch(text) is not None and 1900 <= int(text[:4]) <= 9000
    usual = plain or (text.isascii() and text.isdigit() and len(text) in (12, 13))
    if usual and expected is not None:
        assert fast == expected  # the usual forms do take the fast path


def test_a_row_validator_gives_what_validate_row_gives_row_after_row() -> None:
    """The validator remembers times per text: a repeated time, valid or not, a time past the
    horizon and one in the past each give the same answer as a fresh ``validate_row``."""
    from zoneinfo import ZoneInfo

    from rescheduler.models import Row
    from rescheduler.read.columns import resolve_columns
    from rescheduler.read.validate import RowValidator, ValidationRules, validate_row

    headers = ("appointId", "userAccount", "appointTime", "vdnId")
    columns = resolve_columns(headers, {}, "in.csv")
    rules = ValidationRules("standard", ZoneInfo("America/New_York"), 1_780_000_000_000, 7, 30)
    times = [
        "2026-06-01 10:00:00", "2026-06-01 10:00:00", "2026-06-01T10:00:00", "1780100000000",
        "2027-06-01 10:00:00", "2020-06-01 10:00:00", "2026-11-01 01:30:00", "2026-02-30 10:00:00",
        "2026-06-01 10:00:00.5", "46000.5", "x", "", "2026-06-01 10:00:00", "1780100000000",
    ]  # fmt: skip
    validator = RowValidator(columns, rules)
    for line, text in enumerate(times, 2):
        row = Row(line, ("12", "agent", text, ""))
        assert validator(row) == validate_row(row, columns, rules), text
    assert validator(Row(99, ("12",))) == validate_row(Row(99, ("12",)), columns, rules)
