"""Pure time parsing: an ``appointTime`` cell -> epoch milliseconds UTC.

Accepted forms (anything else is an ``AppointTimeError`` that says what to write instead):

- epoch milliseconds, 12 or 13 digits (absolute). 10 digits look like epoch *seconds* and are
  refused rather than guessed; other digit counts are refused too.
- ``YYYY-MM-DD HH:MM[:SS[.fff]]``, also with ``/`` between the date parts or ``T`` before the
  time; optionally followed by ``Z`` or an offset (``+08:00``, ``+0800``) -> absolute.
  Without an offset it is wall time in ``tz``. Any other ISO 8601 text ``datetime.fromisoformat``
  reads (e.g. ``20261201T100000Z``) is accepted on the same terms. A date without a time of day
  (``2030-01-15``; also how a spreadsheet date cell formatted date-only is read) is refused: a
  reservation needs a time.
- an Excel day number written as text (``46000.5``: from a CSV Excel wrote, or a number typed
  into a cell not formatted as a date), only when it is plainly one: it has a fraction (the
  time of day; ``46000`` or ``46000.0`` is a date without a time) and, when ``now_ms`` is
  given, it lands within the horizon. 1900 date system: serial 1 = 1900-01-01, serial 60 is
  Excel's fictitious 1900-02-29 (refused), serial 61 = 1900-03-01; wall time in ``tz``, rounded
  to the millisecond. Digits that only make sense as a misreading (``093000``, a time typed as
  digits, would be the year 2154) are refused with a message saying what to write.

The horizon: with ``now_ms``, any reading later than ``max_days_ahead`` days after it
(``input.max_days_ahead``, default 366) is refused, whatever its form: the year 2154 is a
misreading, not a reservation. Times in the past are refused by validation, not here.

Excel day numbers and the horizon are ``daynumber``'s; the error is ``timeerror``'s (and
importable from here, as ``AppointTimeError``).

A wall time that does not exist in ``tz`` (the hour skipped when clocks go forward) or exists
twice (the hour repeated when clocks go back) is refused: write it with an offset instead.
"""

from __future__ import annotations

import calendar
import re
import time
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from rescheduler.i18n import _
from rescheduler.read.daynumber import Horizon, excel_serial_to_datetime
from rescheduler.read.timeerror import AppointTimeError as AppointTimeError
from rescheduler.read.timeerror import not_a_time, quoted

DEFAULT_MAX_DAYS_AHEAD = 366

_DATETIME = re.compile(
    r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})[T ]\s*(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?"
    r"\s*(Z|z|[+-]\d{2}:?\d{2})?"
)
_PLAIN = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d", re.ASCII)  # parse_usual's form
_DATE_ONLY = re.compile(r"\d{4}[-/]\d{1,2}[-/]\d{1,2}")
_SERIAL = re.compile(r"\d{1,7}\.\d+")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_NAIVE = datetime(1970, 1, 1)
_FROM_ISO = datetime.fromisoformat
_MS = timedelta(milliseconds=1)
_QUARTER_HOUR = timedelta(minutes=15)
_GMTIME_MAX_MS = 32_503_680_000_000  # 3000-01-01: time.gmtime's range on every platform


def format_utc(ms: int) -> str:
    """Epoch milliseconds as ISO 8601 UTC: ``2026-12-01T02:00:00Z`` (``.250Z`` if not whole)."""
    if 0 <= ms < _GMTIME_MAX_MS:  # the fast path (once per row): years 1970..2999
        text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000))
    else:
        text = (_EPOCH + timedelta(milliseconds=ms)).strftime("%Y-%m-%dT%H:%M:%S")
    if ms % 1000:
        text += f".{ms % 1000:03d}"
    return text + "Z"


def _to_ms(dt: datetime) -> int:
    return (dt - _EPOCH) // _MS


def wall_time_ms(naive: datetime, tz: ZoneInfo) -> int:
    """A naive wall time in ``tz`` -> epoch ms; refuses DST gaps and folds."""
    first = naive.replace(tzinfo=tz)
    offset = first.utcoffset()
    second = naive.replace(tzinfo=tz, fold=1)
    if offset is None or offset != second.utcoffset():
        shown = naive.isoformat(" ", "seconds")
        back = first.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
        if back != naive:
            raise AppointTimeError(
                _(
                    "{time} does not exist in {zone} (the clocks skip it for daylight saving "
                    "time); give another time or write it with an offset"
                ).format(time=shown, zone=tz.key),
                "appointTime.dst_gap",
            )
        raise AppointTimeError(
            _(
                "{time} is ambiguous in {zone} (it happens twice when the clocks go back); "
                "write it with an offset, e.g. {first} or {second}"
            ).format(time=shown, zone=tz.key, first=first.isoformat(), second=second.isoformat()),
            "appointTime.dst_ambiguous",
        )
    try:
        return (naive - offset - _EPOCH_NAIVE) // _MS
    except OverflowError:
        raise AppointTimeError(
            _("{time} is out of range").format(time=naive.isoformat(" ")),
            "appointTime.out_of_range",
        ) from None


def _parse_offset(text: str) -> timedelta:
    if text in ("Z", "z"):
        return timedelta(0)
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return check_offset(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])), text)


def check_offset(offset: timedelta, text: str) -> timedelta:
    """``offset`` if a real time zone uses it: -12:00..+14:00 in whole quarter hours."""
    if timedelta(hours=-12) <= offset <= timedelta(hours=14) and not offset % _QUARTER_HOUR:
        return offset
    raise AppointTimeError(
        _(
            "{offset} is no time zone's offset: real offsets run from -12:00 to +14:00 in "
            "quarter hours (+08:00, +05:45, -03:30); write the time with its zone's offset"
        ).format(offset=repr(text)),
        "appointTime.bad_offset",
    )


def _from_match(m: re.Match[str], text: str, tz: ZoneInfo) -> int:
    year, month, day, hour, minute, second, fraction, offset_text = m.groups()
    micro = int(fraction[:6].ljust(6, "0")) if fraction else 0
    parts = int(year), int(month), int(day), int(hour), int(minute), int(second or 0)
    try:
        naive = datetime(*parts, micro)
    except ValueError:
        raise AppointTimeError(
            _("{text} is not a real date and time ({reason})").format(
                text=quoted(text), reason=_impossible(*parts)
            ),
            "appointTime.no_such_date",
        ) from None
    if offset_text is None:
        return wall_time_ms(naive, tz)
    offset = _parse_offset(offset_text)
    try:
        return _to_ms(naive.replace(tzinfo=UTC) - offset)
    except OverflowError:
        raise AppointTimeError(
            _("{text} is out of range").format(text=quoted(text)), "appointTime.out_of_range"
        ) from None


def _impossible(year: int, month: int, day: int, hour: int, minute: int, second: int) -> str:
    """Which part of a date and time that ``datetime`` refused does not exist."""
    if not 1 <= month <= 12:
        return _("there is no month {month}").format(month=month)
    if not 1 <= year <= 9999:
        return _("there is no year {year}").format(year=year)
    if not 1 <= day <= calendar.monthrange(year, month)[1]:
        return _("{year}-{month:02d} has no day {day}").format(year=year, month=month, day=day)
    if hour > 23:
        return _("there is no hour {hour}").format(hour=hour)
    if minute > 59:
        return _("there is no minute {minute}").format(minute=minute)
    return _("there is no second {second}").format(second=second)


def parse_usual(text: str, tz: ZoneInfo) -> int | None:
    """The two usual forms, fast: epoch milliseconds (12 or 13 ASCII digits) and
    ``YYYY-MM-DD HH:MM:SS`` (or with ``T``: how a date-and-time cell reads) without an offset.

    Returns what ``parse_appoint_time`` returns for ``text`` *before* its horizon check, or None
    when ``text`` is another form or that refuses it (an impossible date, a DST gap or fold):
    then ``parse_appoint_time`` says why. The caller checks the horizon.
    """
    if len(text) == 19:
        if _PLAIN.fullmatch(text) is None or text[11:13] > "23":  # hour 24: the general path
            return None
        try:
            naive = _FROM_ISO(text)  # the form is checked above: this is only the C parser
        except ValueError:  # no such date or time
            return None
        if not 1900 <= naive.year <= 9000:  # near datetime's limits: the general path says why
            return None
        offset = tz.utcoffset(naive)  # ZoneInfo reads the wall time and its fold
        if offset is None or offset != tz.utcoffset(naive.replace(fold=1)):
            return None  # a DST gap or fold (what wall_time_ms checks)
        return (naive - offset - _EPOCH_NAIVE) // _MS
    if 12 <= len(text) <= 13 and text.isdigit() and text.isascii():
        return int(text)
    return None


@lru_cache(maxsize=4096)
def parse_appoint_time(
    text: str,
    tz: ZoneInfo,
    *,
    now_ms: int | None = None,
    max_days_ahead: int = DEFAULT_MAX_DAYS_AHEAD,
) -> int:
    """Parse one cleaned, non-empty ``appointTime`` cell to epoch milliseconds UTC.

    With ``now_ms``, a reading more than ``max_days_ahead`` days after it is refused.
    Cached (bounded): bulk reschedules repeat the same few times; errors are not cached.
    """
    horizon = Horizon(tz, now_ms, max_days_ahead)
    if text.isascii() and text.isdigit():
        if len(text) in (12, 13):
            return horizon.check(int(text), text)
        if len(text) <= 7:
            raise horizon.digits_refusal(text)
        if len(text) == 10:
            raise AppointTimeError(
                _("{text} looks like epoch seconds; give epoch milliseconds (13 digits)").format(
                    text=quoted(text)
                ),
                "appointTime.epoch_seconds",
            )
        raise not_a_time(text)
    if text.isascii() and _SERIAL.fullmatch(text):
        if not text.split(".")[1].strip("0"):
            raise horizon.digits_refusal(text)
        ms = wall_time_ms(excel_serial_to_datetime(float(text)), tz)
        if not horizon.within(ms):
            raise horizon.digits_refusal(text)
        return ms
    m = _DATETIME.fullmatch(text)
    if m is not None:
        return horizon.check(_from_match(m, text, tz), text)
    if _DATE_ONLY.fullmatch(text):
        raise AppointTimeError(
            _("{text} has no time of day; add one, e.g. {date} 10:00").format(
                text=quoted(text), date=text
            ),
            "appointTime.no_time_of_day",
        )
    if text.isascii() and "T" in text.upper():
        try:
            dt = datetime.fromisoformat(text)
        except ValueError:
            pass
        else:
            if dt.tzinfo is not None:
                offset = dt.utcoffset()
                assert offset is not None
                check_offset(offset, _offset_text(text))
            ms = wall_time_ms(dt, tz) if dt.tzinfo is None else _to_ms(dt)
            return horizon.check(ms, text)
    raise not_a_time(text)


def _offset_text(text: str) -> str:
    """The offset part of an ISO 8601 text (what follows the time's last + or -)."""
    cut = max(text.rfind("+"), text.rfind("-"))
    return text[cut:] if cut > text.upper().find("T") else text


def wall_time_ms_or_none(naive: datetime, tz: ZoneInfo) -> int | None:
    """``wall_time_ms``, or None where that refuses (a DST gap or fold, out of range)."""
    try:
        return wall_time_ms(naive, tz)
    except AppointTimeError:
        return None
