"""The engine: one input file in, one complete report out. The CLI and the upload page call it.

    open_table -> resolve_columns -> pass 1 (validate, find duplicates, count)
               -> snapshot (state.runstate: list what the rows will change; before file)
               -> pass 2 (validate, decide, plan; verdicts) -> Pool (send)
               -> report + journal + summary -> verify, undo file (state.runstate)

Two passes because duplicates are decided over the whole file before anything is sent (a
conflict makes *every* row of that appointId invalid, including the first one). Both passes
stream; nothing holds every row. ``on_progress`` is called after each row's result is written.
What a run is given and gives back (``Job``, ``Progress``, ``InputInfo``, ``RunResult``) is
``rescheduler.job``.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

from rescheduler.config import Config, Secret, resolve_timezone
from rescheduler.errors import Crashed, Interrupted, OutputError, OutputFailed
from rescheduler.i18n import N_, _
from rescheduler.job import InputInfo, Job, Progress, RunResult
from rescheduler.models import APPOINT_ID
from rescheduler.read.dedupe import DuplicateScan
from rescheduler.read.pinned import PinnedInput, changed_before_sending, pin
from rescheduler.read.presence import require_input
from rescheduler.read.reader import Table, open_table
from rescheduler.rows import Decided, RowPlanner, pass_one, pass_two
from rescheduler.send.pool import Done, StopControl, WorkItem
from rescheduler.sending import publish
from rescheduler.state.phase import after_send, not_sent, snapshot_phase, state_for
from rescheduler.write.journal import Journal, default_journal_path
from rescheduler.write.runfiles import RunFiles
from rescheduler.write.summary import Summary
from rescheduler.write.targets import Target, default_paths

log = logging.getLogger("rescheduler")


async def run(
    job: Job,
    *,
    on_progress: Callable[[Progress], None] | None = None,
    stop: StopControl | None = None,
    progress: Progress | None = None,
) -> RunResult:
    """Run ``job`` to the end (or to an abort) and return what happened.

    Raises a ``ReschedulerError`` for run-level problems found before anything is sent
    (config, credentials, input file, output files). Aborts after sending started are
    reported in ``RunResult.aborted`` with a complete report; an abort that leaves the report
    incomplete (a third Ctrl-C, a disk full, a bug) is raised, the previous results file
    untouched and the rows written so far beside it in ``<results>.partial``.
    """
    import anyio.to_thread

    cfg = job.config
    stop = stop or StopControl()
    progress = progress or Progress()
    started = time.monotonic()
    require_input(job.input_path)
    results_path, errors_path = _paths(job)
    job.outputs.add("results", results_path)
    job.outputs.add("errors", errors_path)
    credentials = None if job.dry_run and not job.plan else cfg.require_credentials()
    zone, zone_label = resolve_timezone(cfg.input.timezone)
    journal_path = None if job.dry_run else job.journal_path or default_journal_path(results_path)
    job.outputs.add("journal", journal_path)
    state = state_for(job, credentials, results_path)
    # The lock and the checks come before any output is opened, and before the input is read.
    others = job.outputs.side_targets()
    if state is not None and state.info.undo_path is not None:  # registered once written
        others.append(Target("undo", state.info.undo_path))
    claim = RunFiles(
        results_path,
        errors_path,
        journal_path,
        keep=not job.dry_run,
        input_path=job.input_path,
        others=others,
        journal_flag="--journal" if job.journal_path else "--out",
    ).claim()
    with claim as files, _signals_released(job.handle_signals):
        if state is not None:
            state.check()
        pinned = pin(job.input_path, results_path.parent)  # every pass reads these bytes
        table = open_input(cfg, pinned.path)
        scan = DuplicateScan()
        try:
            plan = RowPlanner.for_table(cfg, table, zone, now_ms=int(time.time() * 1000))
            total, decided = await anyio.to_thread.run_sync(
                pass_one,
                table,
                plan,
                scan,
                cfg.input.on_conflict,
                job.max_rows,
                progress.reading,
                job.max_cells,
            )
            progress.total = total
            if (how := pinned.changed()) is not None:
                raise changed_before_sending(job.input_path, how)
            log.info(
                "%s: %d rows (%d not to send: duplicates/conflicts); %s",
                job.input_path,
                total,
                decided,
                "dry run"
                if job.dry_run
                else f"sending to {cfg.server.base_url} vdn "
                f"{cfg.server.vdn_id}, concurrency {cfg.send.concurrency}, "
                f"rate {cfg.send.rate_per_s or 'unlimited'}/s",
            )
            info = InputInfo(
                path=job.input_path,
                headers=table.headers,
                encoding=table.encoding,
                delimiter=table.delimiter,
                sheet=table.sheet,
                timezone=zone_label,
                rows=total,
                blank_rows=table.blank_rows,
                other_sheets=table.other_sheets,
            )
            summary = Summary()
            header = plan.columns.header(APPOINT_ID)
            if state is not None:
                await snapshot_phase(state, table, plan, scan, stop, progress, on_progress)
            files.open(table.headers, state.columns if state is not None else ())

            def sink(done: Done) -> None:
                result = done.result if state is None else state.settle(done.result)
                files.write(result)
                summary.add(result)
                progress.count(result)
                if on_progress is not None:
                    on_progress(progress)

            decisions = Decided(scan.decided())
            stopped = stop.reason  # the snapshot was stopped: nothing was sent
            if stopped is not None:
                not_sent(table, stopped, sink)
            elif job.dry_run:  # a failed write raises (exit 2, nothing sent)
                progress.phase = "checking"
                source = pass_two(table, plan, decisions, None, True)
                for item in source if state is None else state.wrap(source, header):
                    assert isinstance(item, Done)
                    sink(item)
                if (how := pinned.changed()) is not None:  # the report checked another file
                    raise changed_before_sending(job.input_path, how)
            else:
                assert credentials is not None
                wrap = None if state is None else partial(state.wrap, header=header)
                await _send(
                    job, credentials, files, stop, decisions, table, plan, sink, progress, wrap,
                    pinned,
                )  # fmt: skip
            if state is not None and stopped is None:
                await after_send(state, files, stop, progress)
            progress.phase = "finished"
            if stop.reason is not None:
                log.warning("run aborted: %s", stop.reason)
            log.info(
                "finished %s: %s",
                job.input_path,
                ", ".join(f"{status.value} {n}" for status, n in progress.counts.items()),
            )
        finally:
            table.close()
            scan.close()
            if state is not None:
                state.close()
            pinned.close()
        publish(files, stop, journal_path)
    return RunResult(
        results_path=results_path,
        errors_path=errors_path,
        journal_path=journal_path,
        summary=summary,
        info=info,
        elapsed_s=time.monotonic() - started,
        dry_run=job.dry_run,
        aborted=stop.reason,
        snapshot=None if state is None else state.info,
    )


async def _send(
    job: Job,
    credentials: tuple[str, Secret],
    files: RunFiles,
    stop: StopControl,
    decisions: Decided,
    table: Table,
    plan: RowPlanner,
    sink: Callable[[Done], None],
    progress: Progress,
    wrap: Callable[[Iterator[WorkItem | Done]], Iterator[WorkItem | Done]] | None = None,
    pinned: PinnedInput | None = None,
) -> None:
    """The sending phase, with the journal open around it (see ``sending``); ``pinned`` is
    the input as read (``read.pinned``), watched for changes."""
    from rescheduler.sending import SendPhase

    journal_path = job.journal_path or default_journal_path(files.results)
    journal = Journal(journal_path, resume=job.resume).open(job.input_path)
    phase = SendPhase(
        job.config,
        credentials,
        files,
        journal,
        stop,
        job.handle_signals,
        hide_access_key=job.hide_access_key,
        pinned=pinned,
    )
    finished = False
    try:
        source = pass_two(table, plan, decisions, journal, False)
        if wrap is not None:
            source = wrap(source)
        if pinned is not None and (how := pinned.changed()) is not None:
            raise changed_before_sending(job.input_path, how)  # e.g. while the snapshot listed
        progress.phase = "sending"  # from here on, requests may have been sent
        await phase.run(source, sink, lambda: open_input(job.config, table.path))
        finished = True
    except Crashed as crash:
        stop.reason = crash  # a bug outranks any other reason the run had to stop
    finally:
        try:
            journal.close(finished=finished)
        except OutputError as exc:  # the last batch could not be committed
            phase.journal_failure = phase.journal_failure or exc
            stop.request(OutputFailed(phase.failure_message(exc)))


@contextlib.contextmanager
def _signals_released(handled: bool) -> Iterator[None]:
    """The pool holds signals once its rows are done (``send.stop.hold_signals``): let them go
    when the files are finished."""
    try:
        yield
    finally:
        if handled:
            from rescheduler.send.stop import release_signals

            release_signals()


def _paths(job: Job) -> tuple[Path, Path]:
    return default_paths(
        job.input_path, job.out_path, dry_run=job.dry_run, kind="plan" if job.plan else ""
    )


def run_sync(job: Job, **kwargs: object) -> RunResult:
    """Run ``job`` on a fresh event loop (uvloop where available)."""
    import anyio

    options: dict[str, object] = {}
    try:
        import uvloop  # noqa: F401

        options["use_uvloop"] = True
    except ImportError:
        pass

    async def main() -> RunResult:
        return await run(job, **kwargs)  # type: ignore[arg-type]

    return anyio.run(main, backend="asyncio", backend_options=options)


def open_input(config: Config, path: Path) -> Table:
    """The input file as the config says to read it (encoding, sheet)."""
    return open_table(
        path, encoding=config.input.encoding or None, sheet=config.input.sheet or None
    )


NOT_STARTED = N_("run interrupted before sending started: nothing was sent")


def report_not_started(job: Job) -> Path:
    """After Ctrl-C before sending began: a results file with every row ``not_sent``.

    Nothing was sent, so that is every row's true outcome; the errors file lists them all,
    ready to run again. Rows are not validated (that is what was interrupted). The files
    are claimed and replaced as a run's are; a second Ctrl-C here leaves the previous ones.
    """
    cfg = job.config
    results_path, errors_path = _paths(job)
    job.outputs.add("results", results_path)
    job.outputs.add("errors", errors_path)
    why = _(NOT_STARTED)
    with (
        RunFiles(results_path, errors_path, input_path=job.input_path).claim() as files,
        open_input(cfg, job.input_path) as table,
    ):
        files.open(table.headers)
        files.fill(table.rows(), why, Interrupted.code)
        files.finish(publish=True)
    return results_path
