"""The engine: one input file in, one complete report out. The CLI and the upload page call it.

    open_table -> resolve_columns -> pass 1 (validate, find duplicates, count)
               -> pass 2 (validate, decide, plan) -> Pool (send) -> report + journal + summary

Two passes because duplicates are decided over the whole file before anything is sent (a
conflict makes *every* row of that appointId invalid, including the first one). Both passes
stream; nothing holds every row. ``on_progress`` is called after each row's result is written.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from rescheduler.config import Config, Secret, resolve_timezone
from rescheduler.errors import Interrupted, ReschedulerError, RunAborted
from rescheduler.i18n import N_, _
from rescheduler.models import RowResult, Status
from rescheduler.read.dedupe import DuplicateScan
from rescheduler.read.presence import require_input
from rescheduler.read.reader import Table, open_table
from rescheduler.rows import Decided, RowPlanner, pass_one, pass_two
from rescheduler.send.pool import Done, FailureLimit, Pool, StopControl, WorkItem
from rescheduler.write.journal import Journal, default_journal_path
from rescheduler.write.outputs import Outputs
from rescheduler.write.report import default_paths, open_errors_file, open_report
from rescheduler.write.summary import Summary

log = logging.getLogger("rescheduler")


@dataclass(frozen=True)
class Job:
    """What to run. ``out_path`` None = ``<input stem>.results.csv`` beside the input."""

    input_path: Path
    config: Config
    out_path: Path | None = None
    dry_run: bool = False
    resume: bool = False
    journal_path: Path | None = None
    handle_signals: bool = False
    max_rows: int | None = None  # the upload page's web.max_rows; the CLI has no limit
    hide_access_key: bool = False  # the upload page: no access key in any row's message
    outputs: Outputs = field(default_factory=Outputs, compare=False)  # for the run record


@dataclass
class Progress:
    """Live counters, updated as each row's result is written."""

    total: int | None = None
    done: int = 0
    counts: dict[Status, int] = field(default_factory=lambda: dict.fromkeys(Status, 0))
    started: float = field(default_factory=time.monotonic)
    phase: str = "reading"  # reading -> sending -> finished

    @property
    def elapsed_s(self) -> float:
        return time.monotonic() - self.started

    @property
    def rate(self) -> float:
        elapsed = self.elapsed_s
        return self.done / elapsed if elapsed > 0 else 0.0

    @property
    def eta_s(self) -> float | None:
        if self.total is None or self.rate <= 0:
            return None
        return max(0.0, (self.total - self.done) / self.rate)


@dataclass(frozen=True)
class InputInfo:
    path: Path
    headers: tuple[str, ...]
    encoding: str | None
    delimiter: str | None
    sheet: str | None
    timezone: str
    rows: int
    blank_rows: int
    other_sheets: tuple[tuple[str, str], ...] = ()  # sheets not read: (name, visibility)


@dataclass(frozen=True)
class RunResult:
    results_path: Path
    errors_path: Path
    journal_path: Path | None
    summary: Summary
    info: InputInfo
    elapsed_s: float
    dry_run: bool
    aborted: RunAborted | None = None

    @property
    def exit_code(self) -> int:
        if self.aborted is not None:
            return self.aborted.exit_code
        return self.summary.exit_code(dry_run=self.dry_run)


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
    reported in ``RunResult.aborted`` with a complete report.
    """
    import anyio.to_thread

    cfg = job.config
    stop = stop or StopControl()
    progress = progress or Progress()
    started = time.monotonic()
    require_input(job.input_path)
    results_path, errors_path = default_paths(job.input_path, job.out_path)
    job.outputs.add("results", results_path)
    job.outputs.add("errors", errors_path)
    credentials = None if job.dry_run else cfg.require_credentials()
    zone, zone_label = resolve_timezone(cfg.input.timezone)
    table = open_input(cfg, job.input_path)
    scan = DuplicateScan()
    try:
        plan = RowPlanner.for_table(cfg, table, zone, now_ms=int(time.time() * 1000))
        total, decided = await anyio.to_thread.run_sync(
            pass_one, table, plan, scan, cfg.input.on_conflict, job.max_rows
        )
        progress.total = total
        progress.phase = "sending"
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
        journal_path = (
            None if job.dry_run else job.journal_path or default_journal_path(results_path)
        )
        job.outputs.add("journal", journal_path)
        summary = Summary()
        with (
            open_report(results_path, table.headers) as report,
            open_errors_file(errors_path, table.headers) as errors,
            _journal(journal_path, job.resume, job.input_path) as journal,
        ):

            def record(done: Done) -> None:
                # As soon as the row is final (not when the report reaches it in input order),
                # so a crash only costs the rows in flight and the last uncommitted batch.
                if journal is not None:
                    journal.record(done.key, done.payload_hash, done.result)
                    if journal.pending >= 500:
                        journal.commit()

            def sink(done: Done) -> None:
                result = done.result
                report.write(result)
                errors.write(result)
                summary.add(result)
                progress.done += 1
                progress.counts[result.status] += 1
                if on_progress is not None:
                    on_progress(progress)

            def flush() -> None:
                report.flush()
                if journal is not None:
                    journal.commit()

            source = pass_two(table, plan, Decided(scan.decided()), journal, job.dry_run)
            if credentials is None:
                for item in source:
                    assert isinstance(item, Done)
                    sink(item)
            else:
                await _send_all(job, credentials, source, record, sink, flush, stop)
        progress.phase = "finished"
        if stop.reason is not None:
            log.warning("run aborted: %s", stop.reason)
        log.info(
            "finished %s: %s",
            job.input_path,
            ", ".join(f"{status.value} {count}" for status, count in progress.counts.items()),
        )
    except BaseExceptionGroup as group:
        raise _first_error(group) from None
    finally:
        table.close()
        scan.close()
    if stop.hard:
        assert stop.reason is not None
        raise stop.reason
    return RunResult(
        results_path=results_path,
        errors_path=errors_path,
        journal_path=journal_path,
        summary=summary,
        info=info,
        elapsed_s=time.monotonic() - started,
        dry_run=job.dry_run,
        aborted=stop.reason,
    )


async def _send_all(
    job: Job,
    credentials: tuple[str, Secret],
    source: Iterator[WorkItem | Done],
    record: Callable[[Done], None],
    sink: Callable[[Done], None],
    flush: Callable[[], None],
    stop: StopControl,
) -> None:
    from rescheduler.send.ratelimit import RateLimiter
    from rescheduler.send.retry import RetryPolicy
    from rescheduler.send.transport import Transport

    cfg = job.config
    access_key, secret = credentials
    async with Transport(cfg.server, access_key, secret, cfg.send.concurrency) as transport:
        pool = Pool(
            send=transport.send,
            sink=sink,
            on_complete=record,
            flush=flush,
            concurrency=cfg.send.concurrency,
            limiter=RateLimiter(cfg.send.rate_per_s),
            policy=RetryPolicy(
                cfg.send.max_attempts, cfg.send.backoff_base_s, cfg.send.backoff_cap_s
            ),
            stop=stop,
            failure_limit=FailureLimit(cfg.send.max_failures),
            access_key="***" if job.hide_access_key else access_key,
            handle_signals=job.handle_signals,
        )
        await pool.run(source)


class _NoJournal:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def _journal(path: Path | None, resume: bool, input_path: Path) -> Journal | _NoJournal:
    if path is None:
        return _NoJournal()
    return Journal(path, resume=resume).open(input_path)


def _first_error(group: BaseExceptionGroup[BaseException]) -> BaseException:
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
    return leaves[0] if leaves else group


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
    ready to run again. Rows are not validated (that is what was interrupted). A second
    Ctrl-C here stops at once and leaves the files incomplete.
    """
    cfg = job.config
    results_path, errors_path = default_paths(job.input_path, job.out_path)
    job.outputs.add("results", results_path)
    job.outputs.add("errors", errors_path)
    why = _(NOT_STARTED)
    with (
        open_input(cfg, job.input_path) as table,
        open_report(results_path, table.headers) as report,
        open_errors_file(errors_path, table.headers) as errors,
    ):
        for row in table.rows():
            result = RowResult(
                row.line, Status.NOT_SENT, row.values, error=why, error_code=Interrupted.code
            )
            report.write(result)
            errors.write(result)
    return results_path
