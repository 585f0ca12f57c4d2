"""Pure rules that turn an export into a change file: ``--set``, ``--shift``, ``--move-to-date``.

- ``--set userAccount=NAME``, ``--set workNo=ID``, ``--set remark=TEXT``: that column becomes
  the value on every row that can be rescheduled. The value must be written as a sheet would
  keep it (no surrounding spaces; not empty: an empty cell means "leave unchanged").
  Without ``--set remark``, an export with any rule sends no remark: its remark column is left
  empty (``changefile``), so ``run`` sends only what the rules change.
- ``--shift +1d`` / ``-2h`` / ``+30m``: days are calendar days in the configured zone (same time
  of day, so a shift across a daylight-saving change keeps 09:00 at 09:00); hours and minutes
  are elapsed time.
- ``--move-to-date 2030-01-02``: the same time of day, in the configured zone, on that date.

A time rule that lands on a wall time the clocks skip or repeat is refused for that row
(``AppointTimeError``; the export marks the row and says why), never guessed. ``--shift`` and
``--move-to-date`` together are refused: which comes first would change the answer.
Parsing errors are ``RuleError`` (a ``ValueError``) naming the flag and what to write.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from rescheduler.i18n import _
from rescheduler.models import REMARK, USER_ACCOUNT, WORK_NO
from rescheduler.read.validate import clean_cell
from rescheduler.state.wall import move_to_date, shift_days

SETTABLE = (USER_ACCOUNT, WORK_NO, REMARK)
_SHIFT = re.compile(r"([+-])(\d{1,6})([dhm])")
_DATE = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})")
_UNIT_MS = {"h": 3_600_000, "m": 60_000}


class RuleError(ValueError):
    """A rule as written on the command line cannot be used; the message says what to write."""


@dataclass(frozen=True, slots=True)
class Shift:
    amount: int  # signed
    unit: str  # "d", "h" or "m"

    def __str__(self) -> str:
        return f"{self.amount:+d}{self.unit}"


@dataclass(frozen=True, slots=True)
class Rules:
    """What to change on every row that can be rescheduled. Empty: a plain export."""

    sets: tuple[tuple[str, str], ...] = ()
    shift: Shift | None = None
    move_to: date | None = None

    def __post_init__(self) -> None:
        if self.shift is not None and self.move_to is not None:
            raise RuleError(_("--shift and --move-to-date cannot be used together; use one"))

    @property
    def changes_time(self) -> bool:
        return self.shift is not None or self.move_to is not None

    @property
    def given(self) -> bool:
        """Whether any rule was given (else the export is the plain "edit by hand" file)."""
        return bool(self.sets) or self.changes_time

    @property
    def time_rule(self) -> str:
        """The time rule as written (for notes), or ""."""
        if self.shift is not None:
            return f"--shift {self.shift}"
        if self.move_to is not None:
            return f"--move-to-date {self.move_to.isoformat()}"
        return ""

    def value(self, name: str) -> str | None:
        """The value ``--set`` gives field ``name``, or None."""
        for key, value in self.sets:
            if key == name:
                return value
        return None

    def new_time(self, ms: int, zone: ZoneInfo) -> int:
        """``ms`` after the time rule (unchanged without one); ``AppointTimeError`` if refused."""
        if self.move_to is not None:
            return move_to_date(ms, self.move_to, zone)
        if self.shift is None:
            return ms
        if self.shift.unit == "d":
            return shift_days(ms, self.shift.amount, zone)
        return ms + self.shift.amount * _UNIT_MS[self.shift.unit]


def parse_sets(specs: tuple[str, ...] | list[str]) -> tuple[tuple[str, str], ...]:
    """``["userAccount=zhao.lei", ...]`` -> ``(("userAccount", "zhao.lei"), ...)``."""
    out: dict[str, str] = {}
    for spec in specs:
        name, sep, value = spec.partition("=")
        canonical = {n.casefold(): n for n in SETTABLE}.get(name.strip().casefold())
        if not sep or canonical is None:
            raise RuleError(
                _("--set {spec}: write FIELD=VALUE with FIELD one of {fields}").format(
                    spec=repr(spec), fields=", ".join(SETTABLE)
                )
            )
        if canonical in out:
            raise RuleError(_("--set {field} is given twice").format(field=canonical))
        if not value:
            raise RuleError(
                _("--set {field}= needs a value (an empty cell leaves the field unchanged)").format(
                    field=canonical
                )
            )
        if clean_cell(value) != value:
            raise RuleError(
                _(
                    "--set {field}: {value} has spaces or an apostrophe at an edge, which a sheet "
                    "cell does not keep; write the value without them"
                ).format(field=canonical, value=repr(value))
            )
        out[canonical] = value
    return tuple(out.items())


def parse_shift(text: str) -> Shift:
    """``+1d``, ``-2h``, ``+30m`` -> ``Shift``."""
    m = _SHIFT.fullmatch(text.strip())
    if m is None:
        raise RuleError(
            _("--shift {text}: write a sign, a number and d, h or m, e.g. +1d, -2h or +30m").format(
                text=repr(text)
            )
        )
    sign, number, unit = m.groups()
    return Shift(int(number) * (-1 if sign == "-" else 1), unit)


def parse_date(text: str) -> date:
    """``2030-01-02`` (or with ``/``) -> ``date``."""
    m = _DATE.fullmatch(text.strip())
    try:
        if m is None:
            raise ValueError
        return datetime(int(m[1]), int(m[2]), int(m[3])).date()
    except ValueError:
        raise RuleError(
            _("--move-to-date {text}: write a date as YYYY-MM-DD, e.g. 2030-01-02").format(
                text=repr(text)
            )
        ) from None
