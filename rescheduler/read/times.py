"""Pure time parsing: an ``appointTime`` cell -> epoch milliseconds UTC.

Accepted forms (anything else is an ``AppointTimeError`` listing them):

- epoch milliseconds, 12 or 13 digits (absolute). 10 digits look like epoch *seconds* and are
  refused rather than guessed; other digit counts are refused too.
- an Excel serial day number, up to 7 digits with an optional decimal part (``46000.5``, from
  a numeric date cell or a CSV Excel wrote), 1 <= serial < 2958466, 1900 date system:
  serial 1 = 1900-01-01, serial 60 is Excel's fictitious 1900-02-29 (refused), serial 61 =
  1900-03-01. Read as wall time in ``tz``,
  rounded to the millisecond.
- ``YYYY-MM-DD HH:MM[:SS[.fff]]``, also with ``/`` between the date parts or ``T`` before the
  time; optionally followed by ``Z`` or an offset (``+08:00``, ``+0800``) -> absolute.
  Without an offset it is wall time in ``tz``. Any other ISO 8601 text ``datetime.fromisoformat``
  reads (e.g. ``20261201T100000Z``) is accepted on the same terms. A date without a time of day
  is refused (a reservation needs a time).

A wall time that does not exist in ``tz`` (the hour skipped when clocks go forward) or exists
twice (the hour repeated when clocks go back) is refused: write it with an offset instead.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

ACCEPTED_FORMS = (
    "use YYYY-MM-DD HH:MM[:SS] (or with / or T), ISO 8601 with an offset "
    "(2026-12-01T10:00:00+08:00), epoch milliseconds (13 digits) or an Excel date cell"
)
EXCEL_SERIAL_MAX = 2958466  # exclusive: serial 2958465 is 9999-12-31

_DATETIME = re.compile(
    r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})[T ]\s*(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?"
    r"\s*(Z|z|[+-]\d{2}:?\d{2})?"
)
_DATE_ONLY = re.compile(r"\d{4}[-/]\d{1,2}[-/]\d{1,2}")
_SERIAL = re.compile(r"\d{1,7}\.\d+")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_NAIVE = datetime(1970, 1, 1)
_MS = timedelta(milliseconds=1)
_EXCEL_BASE = datetime(1899, 12, 30)  # serial 61 and later: base + serial days
_GMTIME_MAX_MS = 32_503_680_000_000  # 3000-01-01: time.gmtime's range on every platform


class AppointTimeError(ValueError):
    """The text is not a usable appointment time; the message says why (no column name)."""


def format_utc(ms: int) -> str:
    """Epoch milliseconds as ISO 8601 UTC: ``2026-12-01T02:00:00Z`` (``.250Z`` if not whole)."""
    if 0 <= ms < _GMTIME_MAX_MS:  # the fast path (once per row): years 1970..2999
        text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000))
    else:
        text = (_EPOCH + timedelta(milliseconds=ms)).strftime("%Y-%m-%dT%H:%M:%S")
    if ms % 1000:
        text += f".{ms % 1000:03d}"
    return text + "Z"


def _q(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:40] + "…")


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
                f"{shown} does not exist in {tz.key} (the clocks skip it for daylight saving "
                "time); give another time or write it with an offset"
            )
        raise AppointTimeError(
            f"{shown} is ambiguous in {tz.key} (it happens twice when the clocks go back); "
            f"write it with an offset, e.g. {first.isoformat()} or {second.isoformat()}"
        )
    try:
        return (naive - offset - _EPOCH_NAIVE) // _MS
    except OverflowError:
        raise AppointTimeError(f"{naive.isoformat(' ')} is out of range") from None


def _parse_offset(text: str) -> timedelta:
    if text in ("Z", "z"):
        return timedelta(0)
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:])
    if hours > 23 or minutes > 59:
        raise AppointTimeError(f"offset {text!r} is out of range")
    return sign * timedelta(hours=hours, minutes=minutes)


def _from_match(m: re.Match[str], text: str, tz: ZoneInfo) -> int:
    year, month, day, hour, minute, second, fraction, offset_text = m.groups()
    micro = int(fraction[:6].ljust(6, "0")) if fraction else 0
    try:
        naive = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second or 0), micro
        )
    except ValueError as exc:
        raise AppointTimeError(f"{_q(text)} is not a real date and time ({exc})") from None
    if offset_text is None:
        return wall_time_ms(naive, tz)
    offset = _parse_offset(offset_text)
    try:
        return _to_ms(naive.replace(tzinfo=UTC) - offset)
    except OverflowError:
        raise AppointTimeError(f"{_q(text)} is out of range") from None


def excel_serial_to_datetime(serial: float) -> datetime:
    """An Excel (1900 system) serial day number -> naive datetime, to the millisecond."""
    if not 1 <= serial < EXCEL_SERIAL_MAX:
        raise AppointTimeError(f"Excel day number {serial!r} is out of range")
    day = int(serial)
    if day == 60:
        raise AppointTimeError("Excel day number 60 is 1900-02-29, a day that did not exist")
    if day < 60:
        day += 1  # Excel counts the fictitious 1900-02-29; earlier serials are one day off
    ms = round((serial - int(serial)) * 86_400_000)
    return _EXCEL_BASE + timedelta(days=day, milliseconds=ms)


@lru_cache(maxsize=4096)
def parse_appoint_time(text: str, tz: ZoneInfo) -> int:
    """Parse one cleaned, non-empty ``appointTime`` cell to epoch milliseconds UTC.

    Cached (bounded): bulk reschedules repeat the same few times; errors are not cached.
    """
    if text.isascii() and text.isdigit():
        if len(text) in (12, 13):
            return int(text)
        if len(text) <= 7:
            return wall_time_ms(excel_serial_to_datetime(float(text)), tz)
        if len(text) == 10:
            raise AppointTimeError(
                f"{_q(text)} looks like epoch seconds; give epoch milliseconds (13 digits)"
            )
        raise AppointTimeError(f"{_q(text)} is not a time; {ACCEPTED_FORMS}")
    if text.isascii() and _SERIAL.fullmatch(text):
        return wall_time_ms(excel_serial_to_datetime(float(text)), tz)
    m = _DATETIME.fullmatch(text)
    if m is not None:
        return _from_match(m, text, tz)
    if _DATE_ONLY.fullmatch(text):
        raise AppointTimeError(f"{_q(text)} has no time of day; add one, e.g. {text} 10:00")
    if text.isascii() and "T" in text.upper():
        try:
            dt = datetime.fromisoformat(text)
        except ValueError:
            pass
        else:
            if dt.tzinfo is None:
                return wall_time_ms(dt, tz)
            return _to_ms(dt)
    raise AppointTimeError(f"{_q(text)} is not a time; {ACCEPTED_FORMS}")
