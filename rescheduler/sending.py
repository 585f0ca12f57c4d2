"""The sending half of a run: transport + pool, each final row to the journal and the files.

Once sending may have started, nothing is allowed to end the run as "nothing was sent":

* a write that fails (disk full, a file-size limit) stops the run like any other abort: no
  new request starts, the requests in flight finish and reach the journal, the rows left
  are ``not_sent`` wherever they can still be written, and the run ends in ``OutputFailed``
  (exit 3) saying what to free and to ``--resume``;
* an unexpected exception (a bug) fails the row it hit and stops the run (``Crashed``, exit
  3); if it escaped the pool, the rows not written yet are written ``not_sent`` from a fresh
  read of the input, so the report still holds every row once.

Afterwards ``publish`` decides whether the report is complete and may replace the old one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path

from rescheduler.config import Config, Secret
from rescheduler.errors import Crashed, OutputError, OutputFailed, ReschedulerError
from rescheduler.i18n import _
from rescheduler.read.pinned import PinnedInput, changed_while_sending
from rescheduler.read.reader import Table
from rescheduler.send.pool import Done, FailureLimit, Pool, StopControl, WorkItem
from rescheduler.write.journal import Journal
from rescheduler.write.runfiles import RunFiles, failure_hint

log = logging.getLogger("rescheduler")
COMMIT_EVERY = 500  # rows; the pool also flushes (and so commits) every half second
WATCH_EVERY = 64  # rows between looks at the input (and at every flush): two stat calls


class SendPhase:
    def __init__(
        self,
        config: Config,
        credentials: tuple[str, Secret],
        files: RunFiles,
        journal: Journal | None,
        stop: StopControl,
        handle_signals: bool,
        *,
        hide_access_key: bool = False,
        pinned: PinnedInput | None = None,
    ) -> None:
        """``pinned``: the input as the run read it (``read.pinned``); when the file changes
        under its name the run stops (``InputChanged``), checked at every flush."""
        self.config = config
        self.pinned = pinned
        self._rows = 0
        self.hide_access_key = hide_access_key
        self.credentials = credentials
        self.files = files
        self.journal = journal
        self.stop = stop
        self.handle_signals = handle_signals
        self.journal_failure: OutputError | None = None
        files.on_failure = self._write_failed

    # -- what the pool calls, synchronously, per row ------------------------------------------
    def record(self, done: Done) -> None:
        # As soon as the row is final (not when the report reaches it in input order),
        # so a crash only costs the rows in flight and the last uncommitted batch.
        journal = self.journal
        if journal is not None:
            journal.record(done.key, done.payload_hash, done.result)
            if journal.pending >= COMMIT_EVERY:
                self._commit()
        self._rows += 1
        if not self._rows % WATCH_EVERY:
            self._watch()

    def flush(self) -> None:
        self.files.flush()
        self._commit()
        self._watch()

    def _watch(self) -> None:
        """Stop when the input changed (every ``WATCH_EVERY`` rows and at every flush)."""
        if self.pinned is not None and not self.stop.requested:
            how = self.pinned.changed()
            if how is not None:
                self._input_changed(how)

    def _input_changed(self, how: str) -> None:
        log.error("input changed: %s", how)
        self.stop.request(changed_while_sending(self.files.input_name, how))

    def _commit(self) -> None:
        if self.journal is None:
            return
        try:
            self.journal.commit()
        except OutputError as exc:  # kept pending: a later commit (or the close) retries
            if self.journal_failure is None:
                self.journal_failure = exc
                self._write_failed(exc)

    def _write_failed(self, exc: OutputError) -> None:
        if not self.stop.requested:
            log.error("%s", exc)
        self.stop.request(OutputFailed(self.failure_message(exc)))

    def failure_message(self, exc: OutputError) -> str:
        journal = self.journal.path if self.journal is not None else None
        return failure_message(exc, journal, journal_failed=exc is self.journal_failure)

    # -- the run ------------------------------------------------------------------------------
    async def run(
        self,
        source: Iterator[WorkItem | Done],
        sink: Callable[[Done], None],
        reopen: Callable[[], Table],
    ) -> None:
        """Send every row of ``source``. Raises ``Crashed`` on an unexpected error (a bug)."""
        if self.pinned is not None and not self.pinned.copied:  # read in place: watch each row
            source = self.pinned.guard(source, self._rows_lost)
        try:
            await self._send_all(source, sink)
        except BaseExceptionGroup as group:
            raise self._crashed(first_error(group), reopen)  # noqa: B904 (keeps its __cause__)
        except ReschedulerError:
            raise
        except Exception as exc:
            raise self._crashed(exc, reopen)  # noqa: B904

    def _rows_lost(self, how: str) -> None:
        """The file read in place changed: the rows after this point are not read at all."""
        self.files.missing_rows = True
        self._input_changed(how)

    async def _send_all(
        self, source: Iterator[WorkItem | Done], sink: Callable[[Done], None]
    ) -> None:
        from rescheduler.send.ratelimit import RateLimiter
        from rescheduler.send.retry import RetryPolicy
        from rescheduler.send.transport import Transport

        cfg = self.config
        access_key, secret = self.credentials
        async with Transport(cfg.server, access_key, secret, cfg.send.concurrency) as transport:
            pool = Pool(
                send=transport.send,
                sink=sink,
                on_complete=self.record,
                flush=self.flush,
                concurrency=cfg.send.concurrency,
                limiter=RateLimiter(cfg.send.rate_per_s),
                policy=RetryPolicy(
                    cfg.send.max_attempts,
                    cfg.send.backoff_base_s,
                    cfg.send.backoff_cap_s,
                    cfg.send.max_retry_after_s,
                ),
                stop=self.stop,
                failure_limit=FailureLimit(cfg.send.max_failures),
                access_key="***" if self.hide_access_key else access_key,
                handle_signals=self.handle_signals,
            )
            await pool.run(source)

    def _crashed(self, exc: BaseException, reopen: Callable[[], Table]) -> BaseException:
        """The error to raise for ``exc``: ``Crashed`` for a bug, after completing the report."""
        if not isinstance(exc, Exception) or isinstance(exc, ReschedulerError):
            return exc  # Ctrl-C, cancellation, or one of ours: as it is
        log.debug("internal error during the run", exc_info=exc)
        # Only the type: the exception's text may hold anything, and this goes in the report.
        note = _("not sent: the run stopped on an internal error ({kind})").format(
            kind=type(exc).__name__
        )
        try:
            with reopen() as table:
                self.files.fill(table.rows(), note, Crashed.code)
        except Exception as again:  # the input cannot be read again: the report stays partial
            log.debug("could not complete the report", exc_info=again)
            self.files.missing_rows = True
        crash = Crashed.of(exc, _("the run stopped"))
        self.stop.request(crash)
        return crash


def publish(files: RunFiles, stop: StopControl, journal: Path | None) -> None:
    """Replace the old results with the new ones, but only when they are complete.

    Complete and published: return (the caller reports ``stop.reason``, if any), except
    after a bug (``Crashed`` is raised). Not complete: the old files stay, the partial files
    are kept (a dry run's are removed) and the reason is raised.
    """
    reason = stop.reason
    sent = journal is not None
    if files.complete and not stop.hard:
        try:
            files.finish(publish=True)
        except OutputError as exc:
            if not sent:
                raise
            raise OutputFailed(_("{error}; run again with --resume").format(error=exc)) from exc
        if isinstance(reason, Crashed):  # the report is complete, but a bug is no mere abort
            raise Crashed.of(
                reason.__cause__ or reason,
                _(
                    "the run stopped; {results} holds every row (those not attempted are "
                    "not_sent): run again with --resume"
                ).format(results=files.results),
            )
        return
    files.finish(publish=False)
    failure = files.failure
    if failure is not None and not sent:
        raise failure
    if failure is not None:
        text = failure_message(failure, journal, journal_failed=False)
        reason = OutputFailed(text)
    elif reason is None:
        reason = OutputFailed(_("the results could not be completed"))
    kept = ", ".join(str(p) for p in files.partials())
    where = _("; the rows written so far are in {files}").format(files=kept) if kept else ""
    if isinstance(reason, Crashed):
        detail = _("the run stopped; {results} was not replaced{where}; run again with --resume")
        raise Crashed.of(
            reason.__cause__ or reason, detail.format(results=files.results, where=where)
        )
    raise type(reason)(
        _("{reason}; {results} was not replaced{where}").format(
            reason=reason, results=files.results, where=where
        )
    ) from reason.__cause__


def failure_message(exc: OutputError, journal: Path | None, *, journal_failed: bool) -> str:
    """The one line for a write that failed after sending started: what, and what to do."""
    text = _("{error}: the run stopped; {hint}, then run again with --resume").format(
        error=exc, hint=failure_hint(exc)
    )
    if journal is not None and not journal_failed:
        text += _(" (the journal {journal} holds every row answered so far)").format(
            journal=journal
        )
    elif journal is not None:
        text += _(" (rows the journal could not record will be sent again: that is safe)")
    return text


def first_error(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """Unwrap a task group's exception group to the one error worth showing."""
    leaves: list[BaseException] = []

    def walk(exc: BaseException) -> None:
        if isinstance(exc, BaseExceptionGroup):
            for inner in exc.exceptions:
                walk(inner)
        else:
            leaves.append(exc)

    walk(group)
    for leaf in leaves:
        if isinstance(leaf, ReschedulerError):
            return leaf
    for leaf in leaves:
        if isinstance(leaf, Exception):
            return leaf
    return leaves[0] if leaves else group
