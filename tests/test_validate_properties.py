"""Properties: valid field values come through validation unchanged; times round-trip."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from rescheduler.models import Row, UpdateRequest
from rescheduler.read.columns import resolve_columns
from rescheduler.read.times import AppointTimeError, format_utc, parse_appoint_time, wall_time_ms
from rescheduler.read.validate import (
    ValidationRules,
    _excel_number,
    check_appoint_id,
    clean_cell,
)

NOW = 1_780_000_000_000  # 2026-05-28
HEADERS = ("appointId", "userAccount", "workNo", "appointTime", "remark", "vdnId")
COLUMNS = resolve_columns(HEADERS, {}, "in.csv")
ZONES = ["Asia/Shanghai", "America/New_York", "Europe/London", "Australia/Lord_Howe", "UTC"]

clean_text = st.text(
    alphabet=st.characters(exclude_categories=["Cs"]), min_size=1, max_size=40
).filter(lambda s: clean_cell(s) == s and s != "")
agent_text = clean_text.filter(lambda s: not _excel_number(s))  # those are invalid: tested apart
appoint_ids = st.text(alphabet="0123456789", min_size=1, max_size=64).filter(
    lambda s: check_appoint_id(s, "appointId") is None
)
future_ms = st.integers(min_value=NOW, max_value=NOW + 366 * 86_400_000)  # the horizon


@settings(max_examples=200, deadline=None)
@given(
    appoint_id=appoint_ids,
    deployment=st.sampled_from(["standard", "op-independent"]),
    user_account=st.none() | agent_text,
    work_no=st.none() | agent_text,
    when=st.none() | future_ms,
    as_iso=st.booleans(),
    remark=st.none() | clean_text,
    vdn=st.none() | st.integers(1, 9999),
    zone=st.sampled_from(ZONES),
)
def test_valid_values_come_through(
    appoint_id: str,
    deployment: str,
    user_account: str | None,
    work_no: str | None,
    when: int | None,
    as_iso: bool,
    remark: str | None,
    vdn: int | None,
    zone: str,
) -> None:
    rules = ValidationRules(deployment, ZoneInfo(zone), NOW, 42)
    if deployment == "standard":
        assume(user_account is not None)
    else:
        assume(work_no is not None)
    time_text = "" if when is None else (format_utc(when) if as_iso else str(when))
    values = (
        appoint_id,
        user_account or "",
        work_no or "",
        time_text,
        remark or "",
        "" if vdn is None else str(vdn),
    )
    result = validate_row_checked(Row(9, values), rules)
    assert result == UpdateRequest(
        line=9,
        appoint_id=appoint_id,
        vdn_id=42 if vdn is None else vdn,
        user_account=user_account,
        work_no=work_no,
        appoint_time_ms=when,
        remark=remark,
    )


def validate_row_checked(row: Row, rules: ValidationRules) -> UpdateRequest:
    from rescheduler.read.validate import validate_row

    result = validate_row(row, COLUMNS, rules)
    assert isinstance(result, UpdateRequest), result
    return result


@settings(max_examples=300, deadline=None)
@given(
    naive=st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1)),
    zone=st.sampled_from(ZONES),
)
def test_wall_time_round_trips_or_is_refused(naive: datetime, zone: str) -> None:
    naive = naive.replace(microsecond=naive.microsecond // 1000 * 1000)
    tz = ZoneInfo(zone)
    text = naive.isoformat(" ", "milliseconds")
    try:
        ms = parse_appoint_time(text, tz)
    except AppointTimeError as exc:
        message = str(exc)
    else:
        message = ""
    if message:
        assert "does not exist" in message or "is ambiguous" in message
        return
    assert ms == wall_time_ms(naive, tz)
    back = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)
    assert back.astimezone(tz).replace(tzinfo=None) == naive
    assert parse_appoint_time(format_utc(ms), tz) == ms


# --- issue 9: every accepted appointTime is the instant it says; nothing beyond the horizon --

HORIZON_MS = 366 * 86_400_000
EXCEL_EPOCH = datetime(1899, 12, 30)


@settings(max_examples=300, deadline=None)
@given(
    offset_ms=st.integers(min_value=0, max_value=HORIZON_MS // 60_000).map(lambda m: m * 60_000),
    zone=st.sampled_from(ZONES),
    form=st.sampled_from(["wall", "iso-offset", "utc", "epoch-ms", "day-number"]),
)
def test_every_accepted_form_is_the_instant_shown_in_utc(
    offset_ms: int, zone: str, form: str
) -> None:
    tz = ZoneInfo(zone)
    instant = NOW + offset_ms
    local = (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=instant)).astimezone(tz)
    naive = local.replace(tzinfo=None)
    text = {
        "wall": naive.strftime("%Y-%m-%d %H:%M:%S"),
        "iso-offset": local.isoformat(),
        "utc": format_utc(instant),
        "epoch-ms": str(instant),
        "day-number": repr((naive - EXCEL_EPOCH) / timedelta(days=1)),
    }[form]
    try:
        ms: int | None = parse_appoint_time(text, tz, now_ms=NOW, max_days_ahead=366)
        why = ""
    except AppointTimeError as exc:
        ms, why = None, str(exc)
    if ms is None:
        # only a wall time the clocks skip or repeat, or a day number at exactly midnight
        assert form in ("wall", "day-number"), (text, why)
        assert any(w in why for w in ("does not exist", "ambiguous", "no time of day")), why
        return
    assert abs(ms - instant) <= (1 if form == "day-number" else 0)  # float day numbers: 1 ms
    assert parse_appoint_time(format_utc(ms), tz, now_ms=NOW) == ms  # appointTime_utc


@settings(max_examples=300, deadline=None)
@given(text=st.from_regex(r"\A\d{1,8}(\.\d{1,6})?\Z"), zone=st.sampled_from(ZONES))
def test_no_number_is_read_beyond_the_horizon_or_without_a_time(text: str, zone: str) -> None:
    try:
        ms = parse_appoint_time(text, ZoneInfo(zone), now_ms=NOW, max_days_ahead=366)
    except AppointTimeError:
        return  # refused (the message is checked in test_times)
    assert ms <= NOW + HORIZON_MS
    assert "." in text  # a bare number is never a time (no day numbers without a fraction)
    assert text.split(".")[1].strip("0")
