"""The worker pool: the project's only task group.

    source (lazy rows) ──next()──> N workers ──> on_complete (journal) ──> reorder ──> sink (report)

* Each worker pulls its next row straight from the shared source iterator: a synchronous
  ``next()`` in a single-threaded loop, so no queue is needed between reader and workers and at
  most ``concurrency`` rows are out of the file at once (plus the bounded reorder window).
  Rows decided without sending (invalid, skipped) go straight to the writer side.
* A result is handed to ``on_complete`` (the journal) the moment it is final, then to ``sink``
  (the report) in input order. Both run synchronously on the loop: no stream, no writer task.
  (anyio memory streams cost a few microseconds per item in context checks; at 8,000 rows/s
  that was the pool's largest cost.)
* At most ``concurrency`` requests are in flight (one per worker).
* Every attempt takes its start from the shared ``RateLimiter`` (waiting only when that start
  is not due yet), then is signed afresh by ``send``.
* The retry policy (pure) decides each next step; ``Retry-After`` pauses every worker.
* ``StopControl.request(reason)`` (HTTP 401, an untrusted TLS certificate, too many failures,
  ``max(20, 2 x concurrency)`` rows in a row with no answer at all, a failed write, a signal,
  the Stop button): no new request starts, requests in flight finish, every row not attempted
  becomes ``not_sent``. The report still holds every row.
* ``StopControl.abandon()`` (a second signal): the same, but requests in flight are not
  awaited: their rows are ``failed`` ("the server may have applied it"), so the report is
  still complete at once. A third signal cancels everything (``hard``): the engine then keeps
  the rows written so far beside the results file, and ``--resume`` finishes. A row is
  delivered whatever it was waiting for when cancelled (a send, a backoff, the rate limiter).
* An exception from ``send`` (a bug: the transport maps every network error) fails that row
  and stops the run with ``Crashed``; the rest of the report is written as usual.

Each row's final ``RowResult`` (answered, stopped, abandoned, crashed) is made by
``send.rowresults``; stopping and signals are ``send.stop``.
"""

from __future__ import annotations

import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, replace
from functools import partial

import anyio
import anyio.lowlevel

from rescheduler.errors import (
    CertificateRejected,
    CredentialsRejected,
    RunAborted,
    ServerUnreachable,
    TooManyFailures,
)
from rescheduler.i18n import _
from rescheduler.models import Outcome, OutcomeKind, RowResult, Status, WireRequest
from rescheduler.quickinit import quick_init
from rescheduler.send.ratelimit import RateLimiter
from rescheduler.send.retry import RetryPolicy
from rescheduler.send.rowresults import RETRY_AFTER_TOO_LONG, abandoned, crashed, final
from rescheduler.send.stop import FailureLimit as FailureLimit
from rescheduler.send.stop import StopControl as StopControl
from rescheduler.send.stop import watch_signals
from rescheduler.write.reorder import Reorder

log = logging.getLogger("rescheduler")


@quick_init
@dataclass(frozen=True, slots=True)
class WorkItem:
    """A row to send."""

    wire: WireRequest
    values: tuple[str, ...]
    key: str
    sent_time_utc: str
    seq: int = 0


@quick_init
@dataclass(frozen=True, slots=True)
class Done:
    """A row's final result, with what the journal needs to identify it."""

    result: RowResult
    key: str = ""
    payload_hash: str = ""
    seq: int = 0


_FATAL = frozenset({OutcomeKind.UNAUTHORIZED, OutcomeKind.CERTIFICATE})


@dataclass
class Pool:
    send: Callable[[WireRequest], Awaitable[Outcome]]
    sink: Callable[[Done], None]
    concurrency: int
    limiter: RateLimiter
    policy: RetryPolicy
    stop: StopControl
    failure_limit: FailureLimit
    access_key: str = ""
    random: Callable[[], float] = random.random
    flush: Callable[[], None] = lambda: None
    on_complete: Callable[[Done], None] = lambda done: None
    flush_every_s: float = 0.5
    reorder_window: int = 4096
    handle_signals: bool = False

    failed: int = 0
    answered: int = 0
    _silent_rows: int = 0

    async def run(self, source: Iterator[WorkItem | Done]) -> None:
        self._rows = enumerate(source)
        self._order = Reorder[Done](self.sink, self.reorder_window)
        self._last_flush = time.monotonic()
        self._working = self.concurrency
        try:
            async with anyio.create_task_group() as tg:
                if self.handle_signals:
                    tg.start_soon(watch_signals, self.stop, tg.cancel_scope)
                for _ in range(self.concurrency):
                    tg.start_soon(self._work, tg.cancel_scope)
        finally:  # after a hard stop too: every result that is final reaches the report
            self._order.drain()
            self.flush()

    def _why(self) -> str:
        reason = self.stop.reason
        if reason is None:
            return ""
        return _("run stopped before this row was sent: {reason}").format(reason=reason)

    def _stop_code(self) -> str:
        return self.stop.reason.code if self.stop.reason is not None else ""

    async def _work(self, everything: anyio.CancelScope) -> None:
        while True:  # a new scope after each abandon(): the rows left still go through
            with anyio.CancelScope() as scope:
                self.stop.worker_scopes.add(scope)
                try:
                    await self._work_rows()
                finally:
                    self.stop.worker_scopes.discard(scope)
            if not scope.cancelled_caught:
                break
        self._working -= 1
        if self._working == 0 and self.handle_signals:
            everything.cancel()  # the rows are done: stop watching for signals

    async def _work_rows(self) -> None:
        unsent = 0
        for seq, item in self._rows:  # shared: each next() runs whole, no await inside
            if isinstance(item, Done):
                self._deliver(Done(item.result, item.key, item.payload_hash, seq))
            elif self.stop.requested:
                result = final(item, None, 0, self._why(), self._stop_code())
                self._deliver(Done(result, item.key, item.wire.payload_hash, seq))
            else:
                result = await self._attempts(item, seq)
                self._deliver(Done(result, item.key, item.wire.payload_hash, seq))
                unsent = 0
                continue
            unsent += 1
            if unsent % 256 == 0:  # a long run of rows not sent: let the loop breathe
                await anyio.lowlevel.checkpoint()

    async def _attempts(self, item: WorkItem, seq: int) -> RowResult:
        outcome: Outcome | None = None
        attempt = 0
        in_flight = False
        try:
            while True:
                due = self.limiter.take()  # None, the usual answer: go now, without awaiting
                if due is not None and not await self.stop.interruptible(
                    partial(self.limiter.wait, due)
                ):
                    return self._stopped(item, outcome, attempt)
                if self.stop.requested:
                    return self._stopped(item, outcome, attempt)
                attempt += 1
                in_flight = True
                try:
                    outcome = await self.send(item.wire)
                except Exception as exc:  # a bug below us: fail this row, stop the run cleanly
                    log.debug("internal error sending line %d", item.wire.line, exc_info=exc)
                    result, crash = crashed(item, attempt, exc)
                    self.stop.request(crash)
                    return result
                in_flight = False
                if outcome.kind is OutcomeKind.SUCCEEDED:  # the usual answer: nothing to decide
                    self._silent_rows = 0
                    return final(item, outcome, attempt)
                if outcome.kind in _FATAL:
                    self.stop.request(self._fatal(outcome))
                    return final(item, outcome, attempt)
                delay = self.policy.next_delay(attempt, outcome, self.random)
                if outcome.retry_after_s is not None and delay is not None:
                    self.limiter.pause_for(outcome.retry_after_s)
                if delay is None:
                    self._note_silence(outcome)
                    refused = self.policy.refusal(outcome)
                    if refused:
                        result = final(item, outcome, attempt, refused)
                        return replace(result, error_code=RETRY_AFTER_TOO_LONG)
                    return final(item, outcome, attempt)
                if not await self.stop.interruptible(partial(anyio.sleep, delay)):
                    return self._stopped(item, outcome, attempt)
        except anyio.get_cancelled_exc_class():
            # abandon() or the whole pool cancelled: this row is final as it stands, and the
            # report gets it before the cancellation goes on (a row is never lost)
            with contextlib.suppress(Exception):
                if in_flight:
                    result = abandoned(item, attempt, self._reason_text())
                else:
                    result = self._stopped(item, outcome, attempt)
                self._deliver(Done(result, item.key, item.wire.payload_hash, seq))
            raise

    def _fatal(self, outcome: Outcome) -> RunAborted:
        """The run-stopping answers: every other row would fail the same way."""
        if outcome.kind == OutcomeKind.CERTIFICATE:
            return CertificateRejected(outcome.message)
        return CredentialsRejected(
            _(
                "the server rejected access key {key} (HTTP 401); check "
                "auth.access_key and the secret key"
            ).format(key=repr(self.access_key))
        )

    def _note_silence(self, outcome: Outcome) -> None:
        """Count rows in a row that never got any answer; stop when the server is clearly gone."""
        if outcome.kind not in (OutcomeKind.CONNECTION, OutcomeKind.TIMEOUT):
            self._silent_rows = 0
            return
        self._silent_rows += 1
        limit = max(20, 2 * self.concurrency)
        if self._silent_rows >= limit:
            self.stop.request(
                ServerUnreachable(
                    _(
                        "{n} rows in a row got no answer from the server ({error}); check "
                        "server.base_url and the network"
                    ).format(n=self._silent_rows, error=outcome.message)
                )
            )

    def _stopped(self, item: WorkItem, outcome: Outcome | None, attempts: int) -> RowResult:
        if outcome is None:
            why = self._why() or _("the run stopped before this row was sent")
            return final(item, None, 0, why, self._stop_code())
        note = _("not retried: {reason}").format(reason=self._reason_text())
        return final(item, outcome, attempts, note)

    def _reason_text(self) -> str:
        return str(self.stop.reason) if self.stop.reason is not None else _("cancelled")

    def _deliver(self, done: Done) -> None:
        self._count(done.result.status)
        self.on_complete(done)
        self._order.add(done)
        now = time.monotonic()
        if now - self._last_flush >= self.flush_every_s:
            self.flush()
            self._last_flush = now

    def _count(self, status: Status) -> None:
        if status not in (Status.SUCCEEDED, Status.FAILED):
            return
        self.answered += 1
        if status == Status.FAILED:
            self.failed += 1
            if self.failure_limit.tripped(self.failed, self.answered):
                self.stop.request(
                    TooManyFailures(
                        _(
                            "{failed} of {answered} rows failed, reaching --max-failures {limit}"
                        ).format(
                            failed=self.failed,
                            answered=self.answered,
                            limit=self.failure_limit.spec,
                        )
                    )
                )
