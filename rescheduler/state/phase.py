"""The snapshot's steps in a run, as the engine calls them (``state.runstate`` does the work).

* ``state_for``: a ``RunState`` for a run that reads the server first (not ``--no-snapshot``,
  not ``validate``; ``plan`` always), its files registered for the run record;
* ``snapshot_phase``: before sending. A listing that fails stops the run before anything is
  sent: a rejected access key or certificate, or Ctrl-C, is an abort (exit 3, every row
  ``not_sent``, as when an update meets them); anything else is ``SnapshotFailed`` (exit 2),
  which says to use ``--no-snapshot``;
* ``after_send``: ``--verify`` and the undo file; one that cannot be written is an abort
  (``OutputFailed``, exit 3): the rows were sent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from rescheduler.config import Secret
from rescheduler.errors import (
    CertificateRejected,
    CredentialsRejected,
    Interrupted,
    ListRefused,
    OutputError,
    OutputFailed,
    RunAborted,
    SnapshotFailed,
)
from rescheduler.i18n import _
from rescheduler.models import RowResult, Status
from rescheduler.read.dedupe import DuplicateScan
from rescheduler.read.reader import Table
from rescheduler.rows import Decided, RowPlanner, pass_two
from rescheduler.send.pool import Done, StopControl
from rescheduler.state.runstate import RunState
from rescheduler.write.runfiles import RunFiles

if TYPE_CHECKING:
    from rescheduler.job import Job, Progress

log = logging.getLogger("rescheduler")
_ABORTS = (CredentialsRejected, CertificateRejected, Interrupted)


def state_for(job: Job, credentials: tuple[str, Secret] | None, results: Path) -> RunState | None:
    if credentials is None or not (job.plan or (job.snapshot and not job.dry_run)):
        return None
    state = RunState(
        job.config,
        credentials,
        results,
        resume=job.resume,
        plan=job.plan,
        verify=job.verify,
        handle_signals=job.handle_signals,
        hide_access_key=job.hide_access_key,
    )
    state.register(job.outputs)
    return state


async def snapshot_phase(
    state: RunState,
    table: Table,
    plan: RowPlanner,
    scan: DuplicateScan,
    stop: StopControl,
    progress: Progress,
    on_progress: Callable[[Progress], None] | None,
) -> None:
    """List what the rows will change. An abort is left in ``stop.reason`` (the caller writes
    every row ``not_sent``); any other failure raises ``SnapshotFailed``."""
    progress.phase = "snapshot"

    def on_page() -> None:
        if on_progress is not None:
            on_progress(progress)

    on_page()
    source = pass_two(table, plan, Decided(scan.decided()), None, False)
    try:
        await state.take(source, table, stop, on_page)
    except _ABORTS as exc:
        log.warning("snapshot stopped: %s", exc)
        if stop.reason is None:
            stop.reason = exc
    except (ListRefused, RunAborted, OutputError) as exc:
        state.db.close()
        if state.info.plan:
            text = _("plan cannot read the server's reservations: {reason}").format(reason=exc)
        else:
            text = _(
                "the snapshot before sending failed: {reason}. Nothing was sent; to send without "
                "reading the server first (no undo file), run again with --no-snapshot"
            ).format(reason=exc)
        raise SnapshotFailed(text) from exc


def not_sent(table: Table, reason: RunAborted, sink: Callable[[Done], None]) -> None:
    """Every row ``not_sent``: the snapshot before sending was stopped."""
    note = _("not sent: the snapshot before sending stopped: {reason}").format(reason=reason)
    for row in table.rows():
        sink(Done(RowResult(row.line, Status.NOT_SENT, row.values, error=note,
                            error_code=reason.code)))  # fmt: skip


async def after_send(
    state: RunState, files: RunFiles, stop: StopControl, progress: Progress
) -> None:
    """``--verify`` and the undo file (plan: the store is removed)."""
    if state.info.verify and stop.reason is None:
        progress.phase = "verifying"
    try:
        await state.finish(files, aborted=stop.reason is not None)
    except OutputError as exc:
        log.error("%s", exc)
        stop.request(
            OutputFailed(
                _("{error}: the undo file could not be written; the results are complete").format(
                    error=exc
                )
            )
        )
