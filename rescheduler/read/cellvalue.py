"""Pure: a spreadsheet cell's value as text, by what the cell shows, or why it cannot be read.

``render(value, kind)`` takes a value as a workbook library gives it (str, int, float, bool,
datetime, date, time, timedelta) and the kind of the cell's number format when it is known
(``numfmt.NumberKind``; ``None`` when the format does not say, as in .xls/.xlsb/.ods files):

- text as written; bool -> ``TRUE``/``FALSE``; int -> digits;
- float: integral and below 1e15 -> digits; at or above 1e15 -> scientific
  (``1.74729926098017E+29``: Excel already lost digits, validation refuses it as an ID);
  others -> ``repr`` (``46000.5``);
- a date and time -> ``YYYY-MM-DD HH:MM:SS[.fff]`` (naive wall time; the configured time zone
  applies later); a cell whose format shows a date only -> ``YYYY-MM-DD`` (refused later: a
  date without a time); a cell whose format shows a time of day is a time, even at 00:00;
- refused (``Unreadable``, the reason says what to write instead): a time of day without a
  date, a duration, a day number that is no date, and — where the format is unknown — a date
  at midnight, which could be a date-only cell or 00:00.
"""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta

from rescheduler.i18n import _
from rescheduler.models import Mark
from rescheduler.read.numfmt import NumberKind

__all__ = [
    "Unreadable",
    "error_reason",
    "format_mark",
    "no_saved_value",
    "render",
    "serial_to_datetime",
]

_BASE_1900 = datetime(1899, 12, 30)
_BASE_1904 = datetime(1904, 1, 1)
SERIAL_MAX = 2958466  # exclusive: 9999-12-31 is serial 2958465


_AS_NUMBER = (None, NumberKind.NUMBER, NumberKind.SHAPED, NumberKind.INVISIBLE, NumberKind.LITERAL)


class Unreadable(ValueError):
    """The cell cannot be read faithfully; ``str(exc)`` is the reason for ``Row.unreadable``."""


def no_saved_value() -> str:
    return _("formula without a saved value: open the file in Excel and save it")


def error_reason(shown: str) -> str:
    return _("the cell shows {error}: correct the formula or type the value").format(
        error=shown or "#ERROR"
    )


def serial_to_datetime(serial: float, date1904: bool = False) -> datetime:
    """An Excel day number -> naive datetime, to the millisecond; ``Unreadable`` if no date."""
    if not math.isfinite(serial) or serial < 0 or serial >= SERIAL_MAX:
        raise Unreadable(_day_number_reason(serial))
    day = int(serial)
    ms = round((serial - day) * 86_400_000)
    if date1904:
        return _BASE_1904 + timedelta(days=day, milliseconds=ms)
    if day == 60:
        raise Unreadable(_day_number_reason(serial))  # Excel's fictitious 1900-02-29
    if day < 60:
        day += 1  # Excel counts 1900-02-29: earlier day numbers are one day off
    return _BASE_1900 + timedelta(days=day, milliseconds=ms)


def _day_number_reason(serial: float) -> str:
    return _("the cell's day number {value} is not a date Excel can show").format(
        value=number_text(serial)
    )


def number_text(value: float) -> str:
    if not math.isfinite(value):
        return repr(value)
    if abs(value) >= 1e15:
        mantissa, exponent = f"{value:.14E}".split("E")
        return f"{mantissa.rstrip('0').rstrip('.')}E{exponent}"
    return str(int(value)) if value.is_integer() else repr(value)


def datetime_text(value: datetime) -> str:
    return value.isoformat(" ", "milliseconds" if value.microsecond else "seconds")


def render(value: object, kind: NumberKind | None = None, *, date1904: bool = False) -> str:
    """The text of one cell value; ``Unreadable`` when it cannot be sent as what it shows."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        if kind in _AS_NUMBER:
            return str(value) if isinstance(value, int) else number_text(value)
        if kind is NumberKind.DURATION and math.isfinite(value) and abs(value) < SERIAL_MAX:
            return render(timedelta(milliseconds=round(value * 86_400_000)), kind)
        if kind is NumberKind.TIME and 0 <= value < 1:
            return render(_BASE_1900 + timedelta(milliseconds=round(value * 86_400_000)), kind)
        return render(serial_to_datetime(float(value), date1904), kind)
    if kind is NumberKind.TIME or isinstance(value, time):
        shown = value.strftime("%H:%M") if isinstance(value, time | datetime) else str(value)
        raise Unreadable(
            _(
                "the cell holds a time of day without a date ({time}); write the date and the "
                "time, e.g. 2030-01-15 {time}"
            ).format(time=shown)
        )
    if kind is NumberKind.DURATION or isinstance(value, timedelta):
        raise Unreadable(
            _("the cell holds a duration ({value}), not a date and time").format(
                value=_duration_text(value)
            )
        )
    if isinstance(value, datetime):
        if kind is NumberKind.DATE:
            return value.date().isoformat()
        return datetime_text(value)
    if isinstance(value, date):
        if kind is NumberKind.DATE:
            return value.isoformat()
        if kind is None:
            raise Unreadable(
                _(
                    "the cell holds the date {date} with no time of day, or at 00:00, and this "
                    "kind of file does not say which; type the time as text (e.g. {date} 10:00) "
                    "or save the file as .xlsx"
                ).format(date=value.isoformat())
            )
        return f"{value.isoformat()} 00:00:00"
    return str(value)


def format_mark(kind: NumberKind | None, value: object) -> Mark | None:
    """Why a cell's number format keeps it from being read as the text it holds, or None.

    ``INVISIBLE`` (``;;;``): the cell shows nothing, whatever it holds. ``SHAPED`` on a number:
    the cell shows it otherwise than as its digits (``000000`` shows 1001 as 001001), which
    matters where the number is sent as text (``Mark.text_only``).
    """
    if kind is NumberKind.INVISIBLE and value not in (None, ""):
        return Mark(
            _(
                "the cell's number format (;;;) hides what it holds: Excel shows it empty. "
                "Give the cell a visible format (General), or clear it"
            ),
            "hidden_value",
        )
    if kind is NumberKind.LITERAL and (type(value) in (int, float) or isinstance(value, date)):
        return Mark(
            _(
                "the cell's number format shows a text of its own instead of the cell's value: "
                "give the cell a format that shows the value, or type the value as text"
            ),
            "hidden_value",
        )
    if kind is NumberKind.SHAPED and type(value) in (int, float):
        return Mark(
            _(
                "the cell is a number that its number format shows otherwise (with leading "
                "zeros, decimals, thousands separators or a percent sign): rescheduler cannot "
                "be sure what you see. Format the column as Text and re-enter the values"
            ),
            "number_format",
            text_only=True,
        )
    return None


def _duration_text(value: object) -> str:
    if isinstance(value, timedelta):
        seconds = round(value.total_seconds())
        return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    if isinstance(value, datetime):
        return value.strftime("%H:%M:%S")
    return str(value)
