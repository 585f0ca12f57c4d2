"""Pure: the error an ``appointTime`` cell is refused with (``times``, ``daynumber``)."""

from __future__ import annotations

from rescheduler.i18n import N_, _

__all__ = ["ACCEPTED_FORMS", "AppointTimeError", "not_a_time", "quoted"]

ACCEPTED_FORMS = N_(
    "use YYYY-MM-DD HH:MM[:SS] (or with / or T), ISO 8601 with an offset "
    "(2026-12-01T10:00:00+08:00), epoch milliseconds (13 digits) or an Excel date cell"
)


class AppointTimeError(ValueError):
    """The text is not a usable appointment time; the message says why (no column name).

    ``code`` is the stable reason (``appointTime.<reason>``) for the ``error_code`` column.
    """

    def __init__(self, message: str, code: str = "appointTime.not_a_time") -> None:
        super().__init__(message)
        self.code = code


def not_a_time(text: str) -> AppointTimeError:
    return AppointTimeError(
        _("{text} is not a time; {forms}").format(text=quoted(text), forms=_(ACCEPTED_FORMS))
    )


def quoted(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:40] + "…")
