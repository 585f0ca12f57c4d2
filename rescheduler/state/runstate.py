"""The snapshot around one run: what the server holds before, verdicts, ``before_*``, undo, verify.

The engine calls, in order::

    take()     before sending: store the rows to send, list their reservations (``snapshot``),
               write ``<stem>.before.csv`` (not for ``plan``)
    wrap()     around pass two: each row's verdict (``compare.judge``): ``already_so`` rows are
               ``skipped``, automatic and expired ones ``invalid``, the rest go on (``plan``:
               nothing is sent, every row gets its verdict and its changes)
    settle()   each final row: its ``before_*`` cells; which rows changed the server
    finish()   after sending: ``--verify`` (list again, ``verified`` column), the undo file

Listing failures are the caller's (``take`` raises what the pager raises). What happened is in
``info`` (``SnapshotInfo``), for the summary and the run record.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

from rescheduler.config import Config, Secret, resolve_timezone
from rescheduler.i18n import _
from rescheduler.models import Problem, RowResult, Status
from rescheduler.read.reader import Table
from rescheduler.rows import ALREADY_SUCCEEDED, DRY_RUN
from rescheduler.send.pool import Done, StopControl, WorkItem
from rescheduler.state import compare
from rescheduler.state.compare import BEFORE, Verdict
from rescheduler.state.listing import Item
from rescheduler.state.snapinfo import SnapshotInfo, side_path
from rescheduler.state.snapshot import Scope, gather, list_into
from rescheduler.state.statedb import CHANGED, EARLIER, UNCERTAIN, PlanRow, StateDB
from rescheduler.state.verify import Verification
from rescheduler.write.outputs import Outputs
from rescheduler.write.targets import check_target

log = logging.getLogger("rescheduler")
VERDICT, CHANGES = "verdict", "changes"  # plan's report columns
ALREADY_SO = "already_so"  # the error code of a row the server already shows
_COMMIT_ROWS, _COMMIT_S = 500, 0.5


class RunState:
    def __init__(
        self,
        config: Config,
        credentials: tuple[str, Secret],
        results: Path,
        *,
        resume: bool = False,
        plan: bool = False,
        verify: bool = False,
        handle_signals: bool = False,
        hide_access_key: bool = False,
    ) -> None:
        self.config = config
        self.credentials = credentials
        self.resume = resume
        self.handle_signals = handle_signals
        self.hide_access_key = hide_access_key
        self.zone, _label = resolve_timezone(config.input.timezone)
        self.deployment = config.server.deployment
        self.db_path = side_path(results, "snapshot").with_suffix(".sqlite")
        self.staging_path = side_path(results, "snapshot.list").with_suffix(".sqlite")
        self.info = SnapshotInfo(plan=plan, verify=verify and not plan)
        if not plan:
            self.info.before_path = side_path(results, "before")
            self.info.undo_path = side_path(results, "undo")
        self.db = StateDB(self.db_path, resume=resume and not plan)
        self.fields: tuple[str, ...] = ()
        self.scope: Scope | None = None
        self._pending: dict[int, tuple[str, ...]] = {}  # line -> before cells, while in flight
        self._outcomes: list[tuple[int, int]] = []
        self._committed = time.monotonic()
        self._outputs: Outputs | None = None

    # -- before anything is opened ------------------------------------------------------------
    def register(self, outputs: Outputs) -> None:
        """Name the files for the run record (the undo file once it is written: a run that
        changed nothing leaves an earlier one as it is)."""
        self._outputs = outputs
        outputs.add("before", self.info.before_path)
        if not self.info.plan:
            outputs.add("snapshot", self.db_path)

    def check(self) -> None:
        for path in (self.info.before_path, self.info.undo_path, self.db_path):
            if path is not None:
                check_target(path)

    @property
    def columns(self) -> tuple[str, ...]:
        """The report columns the snapshot adds."""
        before = tuple(BEFORE + name for name in self.fields)
        return (*before, VERDICT, CHANGES) if self.info.plan else before

    # -- before sending -----------------------------------------------------------------------
    async def take(
        self,
        source: Iterator[WorkItem | Done],
        table: Table,
        stop: StopControl,
        on_page: Callable[[], None] = lambda: None,
    ) -> None:
        """Store the rows ``source`` (pass two, nothing sent) would send; list them; the before
        file. Raises what the listing raises."""
        import anyio.to_thread

        self.db.open()
        scope = await anyio.to_thread.run_sync(gather, self.db, table, source, self.config)
        self.scope = scope
        self.info.rows = scope.rows
        listing = await list_into(
            self.db,
            "listed",
            self.config,
            self.credentials,
            scope.hints,
            staging_path=self.staging_path,
            stop=stop,
            handle_signals=self.handle_signals,
            hide_access_key=self.hide_access_key,
            on_page=on_page,
        )
        self.info.listing = listing
        self.db.keep_before()
        self.fields = compare.before_columns(listing.fields, self.deployment)
        self._seen = listing.fields
        if self.info.before_path is not None:
            await anyio.to_thread.run_sync(self._write_before)

    def _write_before(self) -> None:
        from rescheduler.state.beforefile import write_before

        assert self.info.before_path is not None
        assert self.scope is not None
        write_before(
            self.info.before_path,
            self.db.before_items(),
            self._seen,
            self.config,
            self.zone,
            vdn=self.scope.hints.vdns != [self.config.server.vdn_id],
        )

    # -- the rows -----------------------------------------------------------------------------
    def wrap(self, source: Iterator[WorkItem | Done], header: str) -> Iterator[WorkItem | Done]:
        """Pass two with verdicts; ``header`` is the appointId column as written."""
        rows = self.db.plan()
        try:
            entry: PlanRow | None = next(rows, None)
            for item in source:
                line = item.wire.line if isinstance(item, WorkItem) else item.result.line
                while entry is not None and entry.line < line:
                    entry = next(rows, None)
                found = entry if entry is not None and entry.line == line else None
                yield self._decide(item, found, header)
        finally:
            rows.close()

    def _cells(self, item: Item | None) -> tuple[str, ...]:
        return compare.before_cells(item, self.fields, self.deployment, self.zone)

    def _decide(self, item: WorkItem | Done, row: PlanRow | None, header: str) -> WorkItem | Done:
        if row is None:
            return item
        if isinstance(item, Done):
            result = item.result
            if result.error_code == ALREADY_SUCCEEDED:  # changed by an earlier run (--resume)
                earlier = row.before if (row.before_run or self.db.run) < self.db.run else None
                self._outcome(row.line, EARLIER)
                return Done(replace(result, extra=self._cells(earlier)))
            if result.error_code != DRY_RUN:
                return item
        verdict = compare.judge(row.body, row.current, self.deployment)
        self.info.verdicts[verdict] += 1
        cells = self._cells(row.before)
        if self.info.plan:
            cells += (str(verdict), compare.changes(row.body, row.current, self.deployment,
                                                    self.zone))  # fmt: skip
        values = item.values if isinstance(item, WorkItem) else item.result.values
        sent = item.sent_time_utc if isinstance(item, WorkItem) else item.result.sent_time_utc
        if verdict is Verdict.ALREADY_SO:
            if self._earlier_change(row):
                self._outcome(row.line, EARLIER)
            note = _("already so: the server already has every value this row sends; not sent")
            return Done(
                RowResult(row.line, Status.SKIPPED, values, error=note, sent_time_utc=sent,
                          error_code=ALREADY_SO, extra=cells)
            )  # fmt: skip
        if verdict in (Verdict.AUTOMATIC, Verdict.EXPIRED):
            problem = Problem(header, compare.cannot_reschedule(verdict), str(verdict))
            return Done(
                RowResult(row.line, Status.INVALID, values, error=str(problem),
                          sent_time_utc=sent, error_code=str(verdict), extra=cells)
            )  # fmt: skip
        if isinstance(item, Done):  # plan: will change, or not found
            result = item.result
            if verdict is Verdict.NOT_FOUND:
                result = replace(result, error=_(
                    "not listed on the server: a run sends it, and the server will most likely "
                    "answer 04000004 (the reservation does not exist)"
                ))  # fmt: skip
            return Done(replace(result, extra=cells))
        self._pending[row.line] = cells
        return item

    def _earlier_change(self, row: PlanRow) -> bool:
        """Whether an earlier run of this ``--resume`` chain listed other values for the row:
        it changed them (its journal may have lost the row), so the undo file puts them back."""
        if row.before is None or (row.before_run or self.db.run) >= self.db.run:
            return False
        return compare.judge(row.body, row.before, self.deployment) is Verdict.WILL_CHANGE

    def settle(self, result: RowResult) -> RowResult:
        """A row as the report gets it (its ``before_*`` cells); note if it changed the server."""
        cells = self._pending.pop(result.line, None)
        if cells is not None:
            result = replace(result, extra=cells)
            if result.status is Status.SUCCEEDED:
                self._outcome(result.line, CHANGED)
            elif result.status is Status.FAILED and _maybe_applied(result):
                self._outcome(result.line, UNCERTAIN)
        return result

    def _outcome(self, line: int, flag: int) -> None:
        self._outcomes.append((line, flag))
        now = time.monotonic()
        if len(self._outcomes) >= _COMMIT_ROWS or now - self._committed >= _COMMIT_S:
            self._flush()

    def _flush(self) -> None:
        outcomes, self._outcomes = self._outcomes, []
        self._committed = time.monotonic()
        if outcomes:
            self.db.add_outcomes(outcomes)

    def close(self) -> None:
        """Let go of the store (idempotent); plan's is removed."""
        if self.info.plan:
            self.db.discard()
        else:
            self.db.close()

    # -- after sending ------------------------------------------------------------------------
    async def finish(self, files: object, aborted: bool) -> None:
        """Verify (``--verify``, unless the run was aborted), then the undo file; the store is
        left with what a ``--resume`` needs. ``OutputError`` if the undo file cannot be written."""
        if self.info.plan:
            self.db.discard()
            return
        self._flush()
        if self.info.verify:
            from rescheduler.write.runfiles import RunFiles

            check = Verification(self.info, self.deployment, self.zone)
            if aborted:
                check.not_run(_("the run stopped before every row was sent"))
            else:
                await check.run(
                    self.db,
                    self.config,
                    self.credentials,
                    self.staging_path,
                    handle_signals=self.handle_signals,
                    hide_access_key=self.hide_access_key,
                )
            assert isinstance(files, RunFiles)
            files.amendment = check.amendment()
        try:
            self._write_undo()
        finally:
            self.db.finish()

    def _write_undo(self) -> None:
        from rescheduler.state.beforefile import write_undo

        assert self.info.undo_path is not None
        assert self.scope is not None
        written = write_undo(
            self.info.undo_path,
            self.db.changed,
            self.scope.sent_fields,
            self.config,
            self.zone,
            run=self.db.run,
            vdn=self.scope.hints.vdns != [self.config.server.vdn_id],
        )
        self.info.undo_rows, self.info.undo_held = written.rows, written.held
        self.info.undo_partial, self.info.undo_kept = written.partial, written.kept
        if self.info.undo_rows and self._outputs is not None:
            self._outputs.add("undo", self.info.undo_path)


def _maybe_applied(result: RowResult) -> bool:
    """A failed row the server may have applied: no answer, or an answer without a code that
    is not a plain refusal (a 5xx from a gateway, a 200 that could not be read)."""
    if result.result_code:
        return False
    status = result.http_status
    return status is None or not 300 <= status < 500
