"""Pure row validation: ``Row`` -> ``UpdateRequest`` or every ``Problem`` the row has.

Choices (the README's "Preparing your file" explains them to supervisors):

- Every cell is cleaned first (``clean_cell``): surrounding whitespace, non-breaking and
  ideographic spaces and zero-width characters go, then one leading apostrophe (Excel's text
  marker; write two to keep one). Characters inside a cell are never changed.
- A blank optional cell means "leave unchanged": the field is left out of the request body.
- ``appointId``: 1..64 ASCII digits. Scientific notation, a decimal point, or more than 15
  significant digits followed only by zeros (what Excel leaves of a long number) are refused
  with a message telling the user to format the column as Text and re-enter the IDs.
- The agent field of the deployment is required (``standard``: userAccount, ``op-independent``:
  workNo); the other one is sent when given. Either is refused when it looks like a number
  Excel converted (``1.23456789012346E+16``, as for appointId); otherwise the server judges.
- A reader's ``Mark`` with ``text_only`` (a number whose format shows it otherwise, such as
  ``000000``) makes the row invalid only in a text field, not in appointTime or vdnId.
- A row needs nothing besides appointId and the agent field: that request (re)assigns the
  reservation to that agent, so there is no "nothing to change" rule.
- ``appointTime``: see ``times.py``; a time before ``now_ms`` or more than
  ``max_days_ahead`` days after it is refused.
- ``vdnId``: a whole number 1..9999; blank means the configured default (always set on the
  ``UpdateRequest``, so the duplicate key and the URL never depend on a missing value).
- ``remark``: any text, kept as written inside the cell; the server judges characters and
  length (it answers 02000002 / 02000003).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from rescheduler.i18n import _
from rescheduler.models import (
    APPOINT_ID,
    APPOINT_TIME,
    REMARK,
    USER_ACCOUNT,
    VDN_ID,
    WORK_NO,
    Problem,
    Row,
    UpdateRequest,
)
from rescheduler.read.columns import INVISIBLE, ColumnMap, strip_edges
from rescheduler.read.times import AppointTimeError, format_utc, parse_appoint_time, parse_usual

STANDARD = "standard"
OP_INDEPENDENT = "op-independent"
AGENT_FIELD: Mapping[str, str] = {STANDARD: USER_ACCOUNT, OP_INDEPENDENT: WORK_NO}
MAX_ID_DIGITS = 64
VDN_MIN, VDN_MAX = 1, 9999

_NUMBERISH = re.compile(r"[+-]?\d+(?:[.,]\d*)?[eE][+-]?\d+|[+-]?\d+[.,]\d+")
_EXCEL_LOST_DIGITS = re.compile(r"[1-9]\d{0,14}0+")
_LEADING = INVISIBLE + "'"
_NOT_TEXT = frozenset({APPOINT_TIME, VDN_ID})  # fields read as numbers, not as text
_DAY_MS = 86_400_000


@dataclass(frozen=True, slots=True)
class ValidationRules:
    """What a valid row needs: the deployment's agent field, the timezone, now, the VDN."""

    deployment: str
    timezone: ZoneInfo
    now_ms: int
    default_vdn_id: int
    max_days_ahead: int = 366  # input.max_days_ahead: later appointTimes are misreadings

    def __post_init__(self) -> None:
        if self.deployment not in AGENT_FIELD:
            raise ValueError(f"deployment must be one of {', '.join(AGENT_FIELD)}")
        if not VDN_MIN <= self.default_vdn_id <= VDN_MAX:
            raise ValueError(f"default_vdn_id must be {VDN_MIN}..{VDN_MAX}")

    @property
    def agent_field(self) -> str:
        """userAccount (standard) or workNo (op-independent)."""
        return AGENT_FIELD[self.deployment]


def required_columns(deployment: str) -> dict[str, str]:
    """The columns a file must have, with the reason; for ``columns.resolve_columns``."""
    agent = AGENT_FIELD[deployment]
    return {
        APPOINT_ID: "",
        agent: _("the {deployment} deployment requires {field} on every row").format(
            deployment=repr(deployment), field=agent
        ),
    }


def clean_cell(text: str) -> str:
    """Strip surrounding (also non-breaking, ideographic, zero-width) spaces and one leading '."""
    if not text:
        return text
    first, last = text[0], text[-1]
    if not (first.isspace() or last.isspace() or first in _LEADING or last in INVISIBLE):
        return text  # the usual cell: nothing to strip (str.strip uses str.isspace's set)
    text = strip_edges(text)
    if text.startswith("'"):
        text = strip_edges(text[1:])
    return text


def quote(text: str, limit: int = 40) -> str:
    """A value for a message: quoted, invisible characters escaped, truncated when long."""
    return repr(text if len(text) <= limit else text[:limit] + "…")


def _describe(char: str) -> str:
    name = unicodedata.name(char, "")
    return f"{char!r} (U+{ord(char):04X}{' ' + name if name else ''})"


def check_appoint_id(text: str, header: str) -> str | None:
    """Why ``text`` (cleaned, non-empty) is not a reservation ID, or None when it is one."""
    why = appoint_id_problem(text, header)
    return None if why is None else why[1]


def _excel_number(text: str) -> bool:
    """Scientific notation, a decimal, or 16+ digits ending in the zeros Excel leaves."""
    is_digits = text.isascii() and text.isdigit()
    return bool(
        (not is_digits and _NUMBERISH.fullmatch(text))
        or (
            is_digits
            and len(text) > 15
            and text[-1] == "0"
            and _EXCEL_LOST_DIGITS.fullmatch(text)
        )
    )


def appoint_id_problem(text: str, header: str) -> tuple[str, str] | None:
    """``check_appoint_id`` as ``(error code, message)``."""
    is_digits = text.isascii() and text.isdigit()
    if (not is_digits and _NUMBERISH.fullmatch(text)) or (
        is_digits and len(text) > 15 and text[-1] == "0" and _EXCEL_LOST_DIGITS.fullmatch(text)
    ):
        return "appointId.excel_number", _(
            "looks like a number Excel converted ({text}): format the {column} column as Text "
            "and re-enter the IDs"
        ).format(text=quote(text)[1:-1], column=header)
    if not is_digits:
        bad = next(c for c in text if not ("0" <= c <= "9"))
        return "appointId.not_digits", _(
            "{text} is not a reservation ID: use digits only (found {char})"
        ).format(text=quote(text), char=_describe(bad))
    if len(text) > MAX_ID_DIGITS:
        return "appointId.too_long", _(
            "{text} has {n} digits; a reservation ID has at most {max}"
        ).format(text=quote(text), n=len(text), max=MAX_ID_DIGITS)
    return None


def _unreadable_problems(row: Row, validator: RowValidator) -> UpdateRequest | list[Problem]:
    """A row with unreadable cells: one in a column that would be sent makes it invalid.

    Unreadable cells in other columns (copied to the report, never sent) do not matter.
    """
    columns = validator.columns
    fields = {index: name for name, index in columns.index.items()}
    problems = [
        Problem(columns.headers[i], why, f"{fields[i]}.{getattr(why, 'code', 'unreadable')}")
        for i, why in row.unreadable
        if i in fields and not (getattr(why, "text_only", False) and fields[i] in _NOT_TEXT)
    ]
    rest = validator(Row(row.line, row.values))
    if not problems:
        return rest
    if isinstance(rest, list):
        flagged = {p.column for p in problems}
        problems += [p for p in rest if p.column not in flagged]
    return problems


def validate_row(
    row: Row, columns: ColumnMap, rules: ValidationRules
) -> UpdateRequest | list[Problem]:
    """Validate one row; collect every problem, each naming the column as written.

    For many rows of one table, make a ``RowValidator`` once and call it per row.
    """
    return RowValidator(columns, rules)(row)


class RowValidator:
    """``validate_row`` for the rows of one table: positions and rules looked up once.

    A row that needs a column the row is too short for reads that cell as empty. Times are
    remembered per text (a bulk change repeats a few times); the usual forms are parsed by
    ``times.parse_usual`` and everything else, including every refusal, by
    ``parse_appoint_time``.
    """

    TIMES_KEPT = 4096

    def __init__(self, columns: ColumnMap, rules: ValidationRules) -> None:
        self.columns, self.rules = columns, rules
        get = columns.index.get
        self._id, self._time, self._vdn = get(APPOINT_ID), get(APPOINT_TIME), get(VDN_ID)
        self._user, self._work, self._remark = get(USER_ACCOUNT), get(WORK_NO), get(REMARK)
        self._agent = rules.agent_field
        self._latest_ms = rules.now_ms + rules.max_days_ahead * _DAY_MS
        self._times: dict[str, int] = {}

    def _problem(self, problems: list[Problem], name: str, message: str, code: str) -> None:
        problems.append(Problem(self.columns.header(name), message, code))

    def _time_ms(self, text: str) -> int:
        """``text`` as epoch ms (``AppointTimeError`` as ``parse_appoint_time`` raises it)."""
        ms = self._times.get(text)
        if ms is None:
            rules = self.rules
            ms = parse_usual(text, rules.timezone)
            if ms is None or ms > self._latest_ms:
                ms = parse_appoint_time(
                    text, rules.timezone, now_ms=rules.now_ms, max_days_ahead=rules.max_days_ahead
                )
            if len(self._times) >= self.TIMES_KEPT:
                self._times.clear()
            self._times[text] = ms
        return ms

    def __call__(self, row: Row) -> UpdateRequest | list[Problem]:
        if row.unreadable:
            return _unreadable_problems(row, self)
        values, columns, rules = row.values, self.columns, self.rules
        n = len(values)
        problems: list[Problem] = []

        at = self._id
        appoint_id = clean_cell(values[at]) if at is not None and at < n else ""
        if not appoint_id:
            self._problem(
                problems,
                APPOINT_ID,
                _("is required (the ID of the reservation to change); the cell is empty"),
                "appointId.required",
            )
        elif (why := appoint_id_problem(appoint_id, columns.header(APPOINT_ID))) is not None:
            self._problem(problems, APPOINT_ID, why[1], why[0])

        at = self._user
        user = (clean_cell(values[at]) if at is not None and at < n else "") or None
        at = self._work
        work = (clean_cell(values[at]) if at is not None and at < n else "") or None
        for name, text in ((USER_ACCOUNT, user), (WORK_NO, work)):
            if text is not None and (text[0].isdigit() or text[0] in "+-") and _excel_number(text):
                self._problem(
                    problems,
                    name,
                    _(
                        "looks like a number Excel converted ({text}): format the {column} "
                        "column as Text and re-enter the values"
                    ).format(text=text, column=columns.header(name)),
                    f"{name}.excel_number",
                )
        agent = self._agent
        if (user if agent == USER_ACCOUNT else work) is None:
            if agent in columns:
                message = _(
                    "is required: the {deployment} deployment needs {field} on every row; "
                    "the cell is empty"
                )
            else:
                message = _(
                    "is required: the {deployment} deployment needs {field} on every row; "
                    "the file has no column"
                )
            self._problem(
                problems,
                agent,
                message.format(deployment=repr(rules.deployment), field=agent),
                f"{agent}.required",
            )

        appoint_time_ms: int | None = None
        at = self._time
        if text := (clean_cell(values[at]) if at is not None and at < n else ""):
            try:
                appoint_time_ms = self._time_ms(text)
            except AppointTimeError as exc:
                self._problem(problems, APPOINT_TIME, str(exc), exc.code)
            else:
                if appoint_time_ms < rules.now_ms:
                    self._problem(
                        problems,
                        APPOINT_TIME,
                        _("{text} is in the past ({utc}); give a future time").format(
                            text=quote(text), utc=format_utc(appoint_time_ms)
                        ),
                        "appointTime.past",
                    )

        vdn_id = rules.default_vdn_id
        at = self._vdn
        if text := (clean_cell(values[at]) if at is not None and at < n else ""):
            if text.isascii() and text.isdigit() and VDN_MIN <= int(text) <= VDN_MAX:
                vdn_id = int(text)
            else:
                self._problem(
                    problems,
                    VDN_ID,
                    _("{text} is not a VDN ID: use a whole number from {min} to {max}").format(
                        text=quote(text), min=VDN_MIN, max=VDN_MAX
                    ),
                    "vdnId.invalid",
                )

        if problems:
            return problems
        at = self._remark
        remark = (clean_cell(values[at]) if at is not None and at < n else "") or None
        return UpdateRequest(row.line, appoint_id, vdn_id, user, work, appoint_time_ms, remark)
