"""After every run: the run record, the alert, the metrics file, the closing log line.

The CLI and the upload page both use :class:`RunReporter`: made when the command starts (it
notes ``started`` and the input's size and time; the SHA-256 is taken at the end), then
:meth:`~RunReporter.facts_from_result` or :meth:`~RunReporter.facts_from_error` when it ends,
then :meth:`~RunReporter.complete`, which

1. writes ``<stem>.run.json`` atomically (notification ``pending`` when one is due),
2. posts the alert if ``[notify]`` says so (never changing the exit code or any file but the
   record and the metrics),
3. writes the record again with the notification's outcome, and the metrics file,

and returns the record (``--json`` prints it). Problems writing the record or the metrics are
logged, never raised: the run's own outcome stands (``write.recordfile`` writes both).

A command that is not an engine run (``rescheduler export``, once it lands) uses the same
reporter without an input file::

    reporter = RunReporter("export", None, record_path=out.with_name(f"{out.stem}.run.json"),
                           metrics_path=metrics_file, config=config)
    reporter.outputs.add("export", out)            # every file it writes
    record = reporter.complete_sync(reporter.facts(exit_code, requests=pages_read))
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rescheduler import __version__
from rescheduler.errors import InputMissing, ReschedulerError
from rescheduler.write.outputs import Outputs
from rescheduler.write.recordfile import record_path_for, save_record, write_metrics
from rescheduler.write.runrecord import InputFacts, RunFacts, build, config_view

if TYPE_CHECKING:
    from rescheduler.config import Config
    from rescheduler.job import Progress, RunResult

log = logging.getLogger("rescheduler")
_CHUNK = 1 << 20


def now_utc() -> datetime:
    return datetime.now(UTC)


def measure(path: Path) -> InputFacts:
    """The file's size and SHA-256, streamed; both None when it cannot be read, or is no regular
    file (opened without blocking: a named pipe given as the input hung the record forever)."""
    import hashlib
    import stat

    path = _absolute(path)
    digest = hashlib.sha256()
    size = 0
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                return InputFacts(path=path)
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
                size += len(chunk)
    except OSError:
        return InputFacts(path=path)
    return InputFacts(path=path, size=size, sha256=digest.hexdigest())


def _absolute(path: Path) -> Path:
    """Absolute without resolving links: what a person on duty can open as it is."""
    return Path(os.path.abspath(path))


def end_command(reporter: RunReporter, facts: RunFacts, *, as_json: bool) -> dict[str, Any]:
    """A command's last step: the record (+ alert, metrics); on stdout with ``--json``; the log
    handlers closed. Never changes the exit code."""
    import json

    import click

    from rescheduler.logs import teardown_logging

    try:
        record = reporter.complete_sync(facts)
        if as_json:
            click.echo(json.dumps(record, ensure_ascii=False, indent=2))
    finally:
        teardown_logging()
    return record


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_size, info.st_mtime_ns


def _shown(text: str) -> str:
    """A message for the record and the log, without the secret key (a value pasted into the
    wrong key is echoed by its message) or a signature."""
    from rescheduler.scrub import scrub

    return scrub(text)


def _hostname() -> str:
    import socket

    return socket.gethostname()


@dataclass
class RunReporter:
    command: str
    input_path: Path | None  # None: a command without an input file (give record_path)
    out_path: Path | None = None
    dry_run: bool = False
    metrics_path: Path | None = None
    record_path: Path | None = None  # None = beside the results
    hide_access_key: bool = False  # the upload page's records
    where: str = ""  # where the alert says the results are, instead of their paths
    config: Config | None = None
    outputs: Outputs = field(default_factory=Outputs)
    # Why the record must not be written now (None: it may); the CLI's ``record_refusal``.
    record_guard: Callable[[], str | None] | None = None
    started: datetime = field(default_factory=now_utc)
    _stat_at_start: tuple[int, int] | None = field(default=None, repr=False)  # size, mtime
    _input: InputFacts | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.record_path is None:
            if self.input_path is None:
                raise ValueError("a RunReporter without an input file needs a record_path")
            kind = "plan" if self.command == "plan" else ""
            self.record_path = record_path_for(
                self.input_path, self.out_path, dry_run=self.dry_run, kind=kind
            )

    def measure_input(self) -> None:
        """Note the input's size and time as the run finds it (the hash is taken at the end:
        no start-up cost; rescheduler never writes its input, and a file changed meanwhile
        is flagged ``changed_during_run``)."""
        if self.input_path is not None:
            self._stat_at_start = _stat(self.input_path)

    @property
    def input(self) -> InputFacts | None:
        if self._input is None and self.input_path is not None:
            facts = measure(self.input_path)
            before = self._stat_at_start
            changed = before is not None and _stat(self.input_path) != before
            self._input = replace(facts, changed_during_run=changed)
        return self._input

    # -- what happened ------------------------------------------------------------------------
    def _base(self, exit_code: int) -> RunFacts:
        return RunFacts(
            command=self.command,
            dry_run=self.dry_run,
            started=self.started,
            ended=now_utc(),
            exit_code=exit_code,
            input=self.input,
            config=None
            if self.config is None
            else config_view(self.config, hide_access_key=self.hide_access_key),
            host=_hostname(),
            version=__version__,
        )

    def facts(
        self,
        exit_code: int,
        *,
        counts: Mapping[str, int] | None = None,
        requests: int | None = None,
        error: BaseException | None = None,
        aborted: BaseException | None = None,
        export: Mapping[str, Any] | None = None,
    ) -> RunFacts:
        """For a command that is not an engine run: its exit code, what it counted, and why it
        stopped (``error``: before it changed anything; ``aborted``: part way)."""
        return replace(
            self._base(exit_code),
            counts=counts,
            requests=requests,
            error=None if error is None else (type(error).__name__, _shown(str(error))),
            aborted=None if aborted is None else (type(aborted).__name__, _shown(str(aborted))),
            export=export,
        )

    def facts_from_result(self, result: RunResult) -> RunFacts:
        summary, info = result.summary, result.info
        counts = {status.value: n for status, n in summary.counts.items()}
        answered = counts["succeeded"] + counts["failed"]
        aborted = result.aborted
        return replace(
            self._base(result.exit_code),
            input=replace(
                self.input or InputFacts(path=result.info.path),
                rows=info.rows,
                blank_rows=info.blank_rows,
                encoding=info.encoding,
                delimiter=info.delimiter,
                sheet=info.sheet,
                timezone=info.timezone,
            ),
            counts=counts,
            failure_codes=dict(summary.failure_codes),
            invalid_columns=dict(summary.invalid_columns),
            requests=None if result.dry_run else summary.total_attempts,
            retries=None if result.dry_run else max(0, summary.total_attempts - answered),
            aborted=None if aborted is None else (type(aborted).__name__, str(aborted)),
            snapshot=None if result.snapshot is None else result.snapshot.record(),
        )

    def facts_from_error(
        self, exc: BaseException, progress: Progress | None = None, message: str = ""
    ) -> RunFacts:
        """For a run that raised: ``exc``'s exit code (3 for Ctrl-C), rows as far as counted."""
        code = exc.exit_code if isinstance(exc, ReschedulerError) else 3
        kind = "Interrupted" if isinstance(exc, KeyboardInterrupt) else type(exc).__name__
        counts = None
        if progress is not None and progress.total is not None:
            counts = {status.value: n for status, n in progress.counts.items()}
        pair = (kind, _shown(message or str(exc)))
        sent_started = code == 3 and counts is not None and any(counts.values())
        return replace(
            self._base(code),
            counts=counts,
            aborted=pair if sent_started else None,
            error=None if sent_started else pair,
        )

    # -- telling the world --------------------------------------------------------------------
    async def complete(self, facts: RunFacts, *, backoff_s: float | None = None) -> dict[str, Any]:
        """Write the record, send the alert if due, write the metrics and the record again."""
        notify = self.config.notify if self.config is not None else None
        self._log_end(facts)
        due = notify is not None and notify.due(facts.exit_code)
        if notify is not None:
            from rescheduler.notify.deliver import outcome

            facts = replace(facts, notification=outcome(notify, "pending" if due else "not_due"))
        record = self._build(facts)
        if notify is not None and due:
            from rescheduler.notify.deliver import BACKOFF_S, deliver
            from rescheduler.notify.formats import build as build_request
            from rescheduler.notify.message import compose

            self._save(record)  # a record exists even if the process dies while notifying
            message = compose(record, language=notify.language, where=self.where)
            result = await deliver(
                notify,
                lambda now: build_request(notify, message, record, now),
                backoff_s=BACKOFF_S if backoff_s is None else backoff_s,
            )
            record = self._build(replace(facts, notification=result))
        if not self._write_metrics(record):
            record["files"] = [f for f in record["files"] if f["kind"] != "metrics"]
        self._save(record)
        return record

    def complete_sync(self, facts: RunFacts) -> dict[str, Any]:
        import anyio

        record: dict[str, Any] = anyio.run(self.complete, facts)
        return record

    def _save(self, record: dict[str, Any]) -> None:
        assert self.record_path is not None
        save_record(self.record_path, record, self.record_guard)

    def _write_metrics(self, record: Mapping[str, Any]) -> bool:
        return write_metrics(self.metrics_path, self.input_path, record)

    def _build(self, facts: RunFacts) -> dict[str, Any]:
        """The record; its files: those registered that exist, the metrics, the record itself."""
        assert self.record_path is not None
        files = self.outputs.existing()
        if self.metrics_path is not None:
            files.append(("metrics", self.metrics_path))
        files.append(("run_record", self.record_path))
        absolute = [(kind, _absolute(path)) for kind, path in files]
        return build(replace(facts, files=absolute))

    def _log_end(self, facts: RunFacts) -> None:
        subject = self.input_path if self.input_path is not None else self.out_path  # export
        fields = {
            "event": "run.ended",
            "command": facts.command,
            "input": str(self.input_path) if self.input_path is not None else None,
            "out": str(self.out_path) if self.out_path is not None else None,
            "exit_code": facts.exit_code,
            "rows": dict(facts.counts) if facts.counts is not None else None,
            "failures": dict(facts.failure_codes),
        }
        problem = facts.aborted or facts.error
        if problem is None:
            log.info("%s %s: exit %d", facts.command, subject, facts.exit_code,
                     extra=fields)  # fmt: skip
        elif problem[0] == InputMissing.__name__:
            log.error("%s", problem[1], extra={**fields, "event": "input.missing"})
        else:
            log.error("%s %s: exit %d: %s", facts.command, subject, facts.exit_code,
                      problem[1], extra=fields)  # fmt: skip
