"""Plain data passed between the stages. No behaviour beyond tiny helpers, no I/O."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from rescheduler.quickinit import quick_init


class Status(StrEnum):
    """Final outcome of one input row (design.md section 5)."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    INVALID = "invalid"
    SKIPPED = "skipped"
    NOT_SENT = "not_sent"


# Canonical field names, as the API spells them.
APPOINT_ID = "appointId"
USER_ACCOUNT = "userAccount"
WORK_NO = "workNo"
APPOINT_TIME = "appointTime"
REMARK = "remark"
VDN_ID = "vdnId"
FIELDS: tuple[str, ...] = (APPOINT_ID, USER_ACCOUNT, WORK_NO, APPOINT_TIME, REMARK, VDN_ID)
# Not an API field: "no" in this column makes ``run`` skip the row (``export`` writes it).
CAN_RESCHEDULE = "can_reschedule"
COLUMNS: tuple[str, ...] = (*FIELDS, CAN_RESCHEDULE)  # every column the reader recognises


class Mark(str):
    """Why a cell is unreadable (an entry of ``Row.unreadable``), with a stable ``code``.

    A plain ``str`` there means the code ``unreadable``; validation reports the cell's problem
    as ``<field>.<code>`` (``remark.row_short``). ``text_only``: the cell reads fine as a time
    or a VDN (a number in a ``0.000`` format) but not as text (``workNo`` 1001 shown 001001).
    """

    code: str
    text_only: bool  # only a problem in a text field (appointId, agents, remark)

    def __new__(cls, text: str, code: str = "unreadable", *, text_only: bool = False) -> Mark:
        mark = super().__new__(cls, text)
        mark.code = code
        mark.text_only = text_only
        return mark


@quick_init
@dataclass(frozen=True, slots=True)
class Row:
    """One data row as read: every cell as text, exactly as written (never type-guessed).

    ``line`` is the row number a spreadsheet shows (header = 1, first data row = 2).
    ``values`` follows the order of the input headers.
    ``unreadable`` lists the cells the reader could not read faithfully, as
    ``(column index, reason)``: a formula with no saved value, an error cell (``#N/A``), a
    quoted cell that swallowed what look like rows. Their text in ``values`` is whatever the
    file holds (often ""), so it must never be taken for "leave unchanged": validation makes
    the row invalid when such a cell is in a column that would be sent. An entry's reason may
    be a ``Mark`` carrying a more precise code than ``unreadable``.
    ``hidden``: the row is hidden in the workbook (filtered out, or hidden by hand); what is
    done with it is ``input.hidden_rows`` (``rows.py``).
    """

    line: int
    values: tuple[str, ...]
    unreadable: tuple[tuple[int, str], ...] = ()
    hidden: bool = False


@quick_init
@dataclass(frozen=True, slots=True)
class Problem:
    """One reason a row is invalid; ``column`` is the header as written in the file.

    ``message`` is in the reader's language; ``code`` is stable English for scripts,
    ``<field>.<reason>`` with the API's field name (``appointTime.past``), whatever the header.
    """

    column: str
    message: str
    code: str = ""

    def __str__(self) -> str:
        return f"{self.column}: {self.message}"


@quick_init
@dataclass(frozen=True, slots=True)
class UpdateRequest:
    """A validated change to one reservation. ``None`` means "leave unchanged" (not sent)."""

    line: int
    appoint_id: str
    vdn_id: int | None = None
    user_account: str | None = None
    work_no: str | None = None
    appoint_time_ms: int | None = None
    remark: str | None = None

    def body(self) -> dict[str, str | int]:
        """The JSON body: only the fields that are set, in the documented order."""
        out: dict[str, str | int] = {"appointId": self.appoint_id}
        if self.user_account is not None:
            out["userAccount"] = self.user_account
        if self.work_no is not None:
            out["workNo"] = self.work_no
        if self.appoint_time_ms is not None:
            out["appointTime"] = self.appoint_time_ms
        if self.remark is not None:
            out["remark"] = self.remark
        return out


@quick_init
@dataclass(frozen=True, slots=True)
class WireRequest:
    """What is sent for one row: the URL path and the body bytes (serialised once)."""

    line: int
    appoint_id: str
    vdn_id: int
    path: str
    body: bytes
    payload_hash: str


@quick_init
@dataclass(frozen=True, slots=True)
class Outcome:
    """The classified result of one attempt (transport.py builds these)."""

    kind: str  # one of OutcomeKind
    http_status: int | None = None
    result_code: str = ""
    result_desc: str = ""
    return_code: str = ""
    return_desc: str = ""
    message: str = ""
    retry_after_s: float | None = None


class OutcomeKind(StrEnum):
    SUCCEEDED = "succeeded"  # HTTP 200 + 0200000
    REJECTED = "rejected"  # HTTP 200 + another code
    UNAUTHORIZED = "unauthorized"  # HTTP 401
    HTTP_ERROR = "http_error"  # any other HTTP status
    BAD_RESPONSE = "bad_response"  # not JSON / missing fields
    TOO_LARGE = "too_large"  # HTTP 200 with an answer over the transport's limit: final
    CONNECTION = "connection"  # refused, reset, DNS, TLS handshake
    CERTIFICATE = "certificate"  # the server's TLS certificate is not trusted: final, stops
    TIMEOUT = "timeout"  # no answer in time


@quick_init
@dataclass(frozen=True, slots=True)
class RowResult:
    """The final outcome of one input row, as the report writes it."""

    line: int
    status: Status
    values: tuple[str, ...] = ()
    http_status: int | None = None
    result_code: str = ""
    result_desc: str = ""
    return_code: str = ""
    return_desc: str = ""
    attempts: int = 0
    error: str = ""
    sent_time_utc: str = ""  # the appointTime sent, as ISO 8601 UTC (report column)
    error_code: str = ""  # stable English code(s) of ``error``, joined by ";" (report column)
    extra: tuple[str, ...] = ()  # the cells of the report columns a stage adds (before_* ...)


ERROR_CODE_SEPARATOR = ";"


def join_codes(codes: Iterable[str]) -> str:
    """Several problems' codes as one ``error_code`` cell: each once, in order, ``;``-joined."""
    return ERROR_CODE_SEPARATOR.join(dict.fromkeys(c for c in codes if c))
