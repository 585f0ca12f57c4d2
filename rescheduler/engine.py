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

from rescheduler.columns import ColumnMap, resolve_columns
from rescheduler.config import Config, Secret, resolve_timezone
from rescheduler.dedupe import Decision, DuplicateScan
from rescheduler.errors import ReschedulerError, RunAborted
from rescheduler.journal import Journal, default_journal_path
from rescheduler.models import Problem, Row, RowResult, Status, UpdateRequest, WireRequest
from rescheduler.plan import build
from rescheduler.pool import Done, FailureLimit, Pool, StopControl, WorkItem
from rescheduler.reader import Table, open_table
from rescheduler.report import default_paths, open_errors_file, open_report
from rescheduler.summary import Summary, join_problems
from rescheduler.times import format_utc
from rescheduler.validate import ValidationRules, required_columns, validate_row

DRY_RUN_NOTE = "dry run: valid, not sent"
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


class _Plan:
    """Turns rows into Done (decided) or WorkItem (to send); used by both passes."""

    def __init__(self, job: Job, columns: ColumnMap, rules: ValidationRules) -> None:
        from rescheduler.plan import base_path

        self.columns = columns
        self.rules = rules
        self.default_vdn = job.config.server.vdn_id
        self.prefix = base_path(job.config.server.base_url)

    def check(self, row: Row) -> UpdateRequest | list[Problem]:
        return validate_row(row, self.columns, self.rules)

    def wire(self, request: UpdateRequest) -> WireRequest:
        return build(request, default_vdn_id=self.default_vdn, prefix=self.prefix)


def _key(wire: WireRequest) -> str:
    return f"{wire.vdn_id}:{wire.appoint_id}"


def _scan(table: Table, plan: _Plan, on_conflict: str) -> tuple[int, dict[int, Decision]]:
    """Pass 1: count rows and decide duplicates."""
    with DuplicateScan() as scan:
        rows = 0
        for row in table.rows():
            rows += 1
            checked = plan.check(row)
            if isinstance(checked, UpdateRequest):
                wire = plan.wire(checked)
                scan.add(row.line, _key(wire), wire.payload_hash)
        return rows, scan.decisions(on_conflict)


def _source(
    table: Table,
    plan: _Plan,
    decisions: dict[int, Decision],
    journal: Journal | None,
    dry_run: bool,
) -> Iterator[WorkItem | Done]:
    """Pass 2: every row becomes exactly one Done or WorkItem."""
    for row in table.rows():
        checked = plan.check(row)
        if not isinstance(checked, UpdateRequest):
            yield Done(
                RowResult(row.line, Status.INVALID, row.values, error=join_problems(checked))
            )
            continue
        wire = plan.wire(checked)
        key = _key(wire)
        sent = "" if checked.appoint_time_ms is None else format_utc(checked.appoint_time_ms)
        decided = decisions.get(row.line)
        if decided is not None:
            status, why = decided
            yield Done(RowResult(row.line, status, row.values, error=why, sent_time_utc=sent))
            continue
        if dry_run:
            yield Done(
                RowResult(
                    row.line, Status.SKIPPED, row.values, error=DRY_RUN_NOTE, sent_time_utc=sent
                )
            )
            continue
        earlier = journal.earlier_success(key, wire.payload_hash) if journal else None
        if earlier is not None:
            note = f"succeeded in an earlier run at {earlier}"
            yield Done(
                RowResult(row.line, Status.SKIPPED, row.values, error=note, sent_time_utc=sent)
            )
            continue
        yield WorkItem(wire, row.values, key, sent)


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
    results_path, errors_path = default_paths(job.input_path, job.out_path)
    credentials = None if job.dry_run else cfg.require_credentials()
    zone, zone_label = resolve_timezone(cfg.input.timezone)
    table = open_table(
        job.input_path, encoding=cfg.input.encoding or None, sheet=cfg.input.sheet or None
    )
    try:
        columns = resolve_columns(
            table.headers,
            cfg.input.columns,
            str(job.input_path),
            required=required_columns(cfg.server.deployment),
            header_line=table.header_line,
        )
        rules = ValidationRules(
            deployment=cfg.server.deployment,
            timezone=zone,
            now_ms=int(time.time() * 1000),
            default_vdn_id=cfg.server.vdn_id,
        )
        plan = _Plan(job, columns, rules)
        total, decisions = await anyio.to_thread.run_sync(_scan, table, plan, cfg.input.on_conflict)
        progress.total = total
        progress.phase = "sending"
        log.info(
            "%s: %d rows (%d not to send: duplicates/conflicts); %s",
            job.input_path,
            total,
            len(decisions),
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
        )
        journal_path = (
            None if job.dry_run else job.journal_path or default_journal_path(results_path)
        )
        summary = Summary()
        with (
            open_report(results_path, table.headers) as report,
            open_errors_file(errors_path, table.headers) as errors,
            _journal(journal_path, job.resume, job.input_path) as journal,
        ):

            def sink(done: Done) -> None:
                result = done.result
                report.write(result)
                errors.write(result)
                summary.add(result)
                if journal is not None:
                    journal.record(done.key, done.payload_hash, result)
                    if journal.pending >= 500:
                        journal.commit()
                progress.done += 1
                progress.counts[result.status] += 1
                if on_progress is not None:
                    on_progress(progress)

            def flush() -> None:
                report.flush()
                if journal is not None:
                    journal.commit()

            source = _source(table, plan, decisions, journal, job.dry_run)
            if credentials is None:
                for item in source:
                    assert isinstance(item, Done)
                    sink(item)
            else:
                await _send_all(job, credentials, source, sink, flush, stop)
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
    sink: Callable[[Done], None],
    flush: Callable[[], None],
    stop: StopControl,
) -> None:
    from rescheduler.ratelimit import RateLimiter
    from rescheduler.retry import RetryPolicy
    from rescheduler.transport import Transport

    cfg = job.config
    access_key, secret = credentials
    async with Transport(cfg.server, access_key, secret, cfg.send.concurrency) as transport:
        pool = Pool(
            send=transport.send,
            sink=sink,
            flush=flush,
            concurrency=cfg.send.concurrency,
            limiter=RateLimiter(cfg.send.rate_per_s),
            policy=RetryPolicy(
                cfg.send.max_attempts, cfg.send.backoff_base_s, cfg.send.backoff_cap_s
            ),
            stop=stop,
            failure_limit=FailureLimit(cfg.send.max_failures),
            access_key=access_key,
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
