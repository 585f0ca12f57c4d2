"""Pure: Excel day numbers written as text, and the horizon that tells one from a misreading.

``excel_serial_to_datetime`` reads a day number of the 1900 date system (serial 1 =
1900-01-01, serial 60 is Excel's fictitious 1900-02-29, serial 61 = 1900-03-01) to the
millisecond. ``Horizon`` is ``now_ms`` + ``input.max_days_ahead``: the latest plausible time,
and the message that says why a number that is not plainly a day number (no time of day, far
from now, a time typed as digits) is refused, with what to write instead. ``times`` uses both.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from rescheduler.i18n import _
from rescheduler.read.timeerror import AppointTimeError, not_a_time, quoted

__all__ = ["EXCEL_SERIAL_MAX", "HORIZON_KEY", "Horizon", "excel_serial_to_datetime"]

EXCEL_SERIAL_MAX = 2958466  # exclusive: serial 2958465 is 9999-12-31
HORIZON_KEY = "input.max_days_ahead"
_DAY_MS = 86_400_000
_CLOCK_DIGITS = re.compile(r"([01]\d|2[0-3])([0-5]\d)([0-5]\d)?")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EXCEL_BASE = datetime(1899, 12, 30)  # serial 61 and later: base + serial days


def excel_serial_to_datetime(serial: float) -> datetime:
    """An Excel (1900 system) serial day number -> naive datetime, to the millisecond."""
    if not 1 <= serial < EXCEL_SERIAL_MAX:
        raise AppointTimeError(
            _("Excel day number {serial} is out of range").format(serial=repr(serial)),
            "appointTime.out_of_range",
        )
    day = int(serial)
    if day == 60:
        raise AppointTimeError(
            _("Excel day number 60 is 1900-02-29, a day that did not exist"),
            "appointTime.no_such_date",
        )
    if day < 60:
        day += 1  # Excel counts the fictitious 1900-02-29; earlier serials are one day off
    ms = round((serial - int(serial)) * 86_400_000)
    return _EXCEL_BASE + timedelta(days=day, milliseconds=ms)


class Horizon:
    """``now_ms`` + ``max_days_ahead``: the latest plausible time, and messages about it."""

    def __init__(self, tz: ZoneInfo, now_ms: int | None, days: int) -> None:
        self.tz, self.now_ms, self.days = tz, now_ms, days
        self.latest_ms = None if now_ms is None else now_ms + days * _DAY_MS

    def within(self, ms: int) -> bool:
        return self.latest_ms is None or ms <= self.latest_ms

    def check(self, ms: int, text: str) -> int:
        if self.within(ms):
            return ms
        raise AppointTimeError(
            _(
                "{text} is more than {days} days ahead ({key}); write a date up to {latest}, "
                "or, if the date is right, raise {key} in the config"
            ).format(text=quoted(text), days=self.days, key=HORIZON_KEY, latest=self._latest()),
            "appointTime.beyond_horizon",
        )

    def _local(self, ms: int) -> datetime:
        return (_EPOCH + timedelta(milliseconds=ms)).astimezone(self.tz)

    def _latest(self) -> str:
        assert self.latest_ms is not None
        return self._local(self.latest_ms).strftime("%Y-%m-%d")

    def _example_day(self) -> str:
        if self.now_ms is None:
            return "2026-12-01"
        return self._local(self.now_ms + _DAY_MS).strftime("%Y-%m-%d")

    def _plausible_day(self, day: datetime) -> bool:
        """A date within ten years (or the horizon) of now (any of 1950..2100 without now)."""
        if self.now_ms is None:
            return 1950 <= day.year <= 2100
        now = self._local(self.now_ms).replace(tzinfo=None)
        return abs(day - now) <= timedelta(days=max(self.days, 3653))

    def digits_refusal(self, text: str) -> AppointTimeError:
        """Why a day number that is not plainly one is refused, and what to write instead."""
        try:
            day: datetime | None = excel_serial_to_datetime(float(text))
        except AppointTimeError:
            day = None
        fraction = "." in text and bool(text.split(".")[1].strip("0"))
        clock = None if "." in text else _CLOCK_DIGITS.fullmatch(text)
        plausible = day is not None and self._plausible_day(day)
        example = self._example_day()
        if clock is not None and not plausible:
            hh, mm = clock.group(1), clock.group(2)
            return AppointTimeError(
                _(
                    "{text} looks like a time typed as digits ({hh}:{mm}) with no date; write "
                    "the date and time, e.g. {day} {hh}:{mm}"
                ).format(text=quoted(text), hh=hh, mm=mm, day=example),
                "appointTime.time_without_date",
            )
        if day is None:
            return not_a_time(text)
        date = day.strftime("%Y-%m-%d")
        if plausible and not fraction:
            return AppointTimeError(
                _(
                    "{text} is an Excel day number for {date} with no time of day; write the "
                    "date and time, e.g. {date} 10:00"
                ).format(text=quoted(text), date=date),
                "appointTime.no_time_of_day",
            )
        shown = day.strftime("%Y-%m-%d %H:%M") if fraction else date
        return AppointTimeError(
            _(
                "{text} is not a time: read as an Excel day number it would be {shown}, more "
                "than {days} days from now ({key}); write the date and time as "
                "YYYY-MM-DD HH:MM, e.g. {day} 10:00"
            ).format(text=quoted(text), shown=shown, days=self.days, key=HORIZON_KEY, day=example),
            "appointTime.beyond_horizon",
        )
