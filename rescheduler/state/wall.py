"""Pure wall-clock time in the configured zone: written for a sheet, moved to a date, shifted.

``format_wall`` is the inverse of ``read.times.parse_appoint_time`` for the times ``export``
writes: ``2030-01-02 10:00:00`` (``.250`` when not whole seconds) in the zone, which reads back
as the same instant. A wall time that happens twice in the zone (the hour repeated when the
clocks go back) is written with its offset (``2030-11-03 01:30:00-04:00``), since the reader
refuses it without one. ``move_to_date`` and ``shift_days`` keep the time of day in the zone
and refuse, as the reader does, a wall time the clocks skip or repeat (``AppointTimeError``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from rescheduler.i18n import _
from rescheduler.read.times import AppointTimeError, wall_time_ms

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _local(ms: int, zone: ZoneInfo) -> datetime:
    # Its wall time is used with fold=0 below: ``wall_time_ms`` must see every wall time as
    # written in a sheet (fold 0) to tell a repeated hour from a plain one.
    return (_EPOCH + timedelta(milliseconds=ms)).astimezone(zone)


def format_wall(ms: int, zone: ZoneInfo) -> str:
    """Epoch milliseconds as the zone's wall time, as a sheet cell the reader reads back exactly."""
    try:
        local = _local(ms, zone)
    except OverflowError:
        return str(ms)
    text = (
        f"{local.year:04d}-{local.month:02d}-{local.day:02d} "
        f"{local.hour:02d}:{local.minute:02d}:{local.second:02d}"
    )
    if ms % 1000:
        text += f".{ms % 1000:03d}"
    # A time converted from UTC is never in a gap; it is ambiguous (happens twice in the zone)
    # exactly when its two folds have different offsets: then the offset says which.
    if local.replace(fold=0).utcoffset() != local.replace(fold=1).utcoffset():
        offset = local.strftime("%z")
        text += f"{offset[:3]}:{offset[3:]}"
    return text


def wall_date(ms: int, zone: ZoneInfo) -> date:
    """The calendar date of ``ms`` in ``zone``."""
    return _local(ms, zone).date()


def move_to_date(ms: int, day: date, zone: ZoneInfo) -> int:
    """The same time of day as ``ms`` (in ``zone``) on ``day``; refuses DST gaps and folds."""
    local = _local(ms, zone).replace(tzinfo=None, fold=0)
    return wall_time_ms(datetime.combine(day, local.time()), zone)


def shift_days(ms: int, days: int, zone: ZoneInfo) -> int:
    """``days`` calendar days later (earlier if negative), same time of day in ``zone``."""
    local = _local(ms, zone).replace(tzinfo=None, fold=0)
    try:
        moved = local + timedelta(days=days)
    except OverflowError:
        raise AppointTimeError(
            _("{days} days from {date} is out of range").format(
                days=days, date=f"{local:%Y-%m-%d}"
            ),
            "appointTime.out_of_range",
        ) from None
    return wall_time_ms(moved, zone)
