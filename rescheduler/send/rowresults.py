"""A sent row's final ``RowResult``, as the pool (``send.pool``) hands it on: answered (with
the server's code and text, and the attempts it took), stopped before it was sent or retried,
abandoned on its way (a second Ctrl-C), or failed by a bug. Pure: no anyio, no aiohttp.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rescheduler.errors import Crashed
from rescheduler.i18n import _
from rescheduler.models import Outcome, OutcomeKind, RowResult, Status
from rescheduler.servercodes import describe_outcome

if TYPE_CHECKING:
    from rescheduler.send.pool import WorkItem

INTERRUPTED_IN_FLIGHT = "interrupted_in_flight"  # error_code: no answer awaited
RETRY_AFTER_TOO_LONG = "retry_after_too_long"  # error_code: Retry-After over the cap


def final(
    item: WorkItem, outcome: Outcome | None, attempts: int, note: str = "", code: str = ""
) -> RowResult:
    """The row's result; ``note`` and ``code`` say why it was not (re)tried."""
    if outcome is None:
        return RowResult(item.wire.line, Status.NOT_SENT, item.values, error=note, error_code=code)
    ok = outcome.kind == OutcomeKind.SUCCEEDED
    error = ""
    if not ok:
        code, error = describe_outcome(outcome, item.wire.body)
    if note:
        error = _("{error} ({note})").format(error=error, note=note) if error else note
    if not ok and attempts > 1 and not note:
        error = _("{error} (after {attempts} attempts)").format(error=error, attempts=attempts)
    return RowResult(
        line=item.wire.line,
        status=Status.SUCCEEDED if ok else Status.FAILED,
        values=item.values,
        http_status=outcome.http_status,
        result_code=outcome.result_code,
        result_desc=outcome.result_desc,
        return_code=outcome.return_code,
        return_desc=outcome.return_desc,
        attempts=attempts,
        error=error,
        sent_time_utc=item.sent_time_utc,
        error_code="" if ok else code,
    )


def abandoned(item: WorkItem, attempts: int, why: str) -> RowResult:
    note = _(
        "no answer awaited: the run stopped ({why}) while this request was on its way, so the "
        "server may or may not have applied it; --resume sends it again"
    ).format(why=why)
    return _unanswered(item, attempts, note, INTERRUPTED_IN_FLIGHT)


def crashed(item: WorkItem, attempts: int, exc: Exception) -> tuple[RowResult, Crashed]:
    # The exception's text stays out of the report: it may hold anything (the crash log has it).
    note = _(
        "internal error while sending this row ({kind}); the server may or may not have "
        "applied it; --resume sends it again"
    ).format(kind=type(exc).__name__)
    result = _unanswered(item, attempts, note, Crashed.code)
    return result, Crashed.of(exc, _("the run stopped"))


def _unanswered(item: WorkItem, attempts: int, note: str, code: str) -> RowResult:
    """A row sent without an answer to show: failed, saying why (``note``, ``code``)."""
    return RowResult(
        item.wire.line,
        Status.FAILED,
        item.values,
        attempts=attempts,
        error=note,
        sent_time_utc=item.sent_time_utc,
        error_code=code,
    )
