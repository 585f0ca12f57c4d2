"""The files one run writes, claimed before anything is opened and replaced together at the end.

    claim()   lock ``<results>.lock`` and ``<errors>.lock`` (another command writing either:
              refused), then check every target (``targets.check_outputs``: not the input,
              not each other, folder writable, an existing file replaceable; the journal a
              journal of ours)
    open()    the results and errors writers, each on ``<target>.partial``
    write()   one row to both (and remember its line); a failed write never raises mid-run:
              it is kept in ``failure`` and handed to ``on_failure`` (the engine stops the run)
    fill()    after a crash: every row not written yet, as ``not_sent``
    finish()  publish (rename both into place) only when both are complete; otherwise the
              targets are left as they were and the partial files keep the rows written.
              ``amend`` (``run --verify``) adds a column to the complete results first

So no command ever truncates a results file that another run is writing or that the user
already has, and a run that fails half-way never leaves a torn file under the final name.
"""

from __future__ import annotations

import contextlib
import errno as errnos
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self

from rescheduler.errors import OutputError, OutputsInUse
from rescheduler.i18n import _
from rescheduler.models import Row, RowResult, Status
from rescheduler.write import lock
from rescheduler.write.amend import Changes, amend
from rescheduler.write.report import ErrorsWriter, ReportWriter
from rescheduler.write.targets import Target, check_outputs, check_target


def lock_path(results: Path) -> Path:
    """The lock of a file being written: ``<name>.lock`` beside it (every command's)."""
    return results.with_name(f"{results.name}.lock")


def lock_target(path: Path, flag: str = "--out", *, create: bool = True) -> int | None:
    """Lock ``path`` for writing (``lock_path``); the descriptor to release. ``OutputsInUse``
    when another rescheduler command holds it, ``OutputError`` if it cannot be created.
    ``create`` False: a missing lock file is not created (None: nobody is writing ``path``)."""
    where = lock_path(path)
    check_target(path)  # the folder first: the lock file is created there
    try:
        return lock.acquire(where, create=create)
    except FileNotFoundError:
        if not create:
            return None
        raise OutputError(
            _("{path}: cannot create the lock file: {reason}").format(
                path=where, reason=_("the folder is gone")
            )
        ) from None
    except lock.Busy as busy:
        who = _(" (process {pid})").format(pid=busy.holder) if busy.holder else ""
        raise OutputsInUse(
            _(
                "{results} is being written by another rescheduler run{who}; wait for it "
                "to finish or choose another {flag}"
            ).format(results=path, who=who, flag=flag)
        ) from None
    except OSError as exc:
        raise OutputError(
            _("{path}: cannot create the lock file: {reason}").format(
                path=where, reason=exc.strerror or exc
            )
        ) from None


@contextlib.contextmanager
def target_locked(path: Path, flag: str = "--out", *, create: bool = True) -> Iterator[None]:
    """``path`` locked as a run locks its results, for a command writing one file (``export``,
    ``template``): no two commands ever write the same file at once. ``create`` False (a
    command done in a moment): only an existing lock file is taken, none is left behind."""
    fd = lock_target(path, flag, create=create)
    try:
        yield
    finally:
        if fd is not None:
            lock.release(fd)


def _raise(exc: OutputError) -> None:
    raise exc


@dataclass(frozen=True)
class Amendment:
    """A column for the results file, filled once every row is in (``write.amend``)."""

    column: str
    changes: Changes


class RunFiles:
    def __init__(
        self,
        results: Path,
        errors: Path,
        journal: Path | None = None,
        *,
        keep: bool = True,
        input_path: Path | None = None,
        others: Sequence[Target] = (),
        journal_flag: str = "--out",
    ) -> None:
        """``keep``: after a failure, keep the partial files (a run that sent: they hold
        outcomes); a dry run's are removed. ``input_path`` and ``others`` (the run's side
        outputs) are checked with the targets: no output may be the input or another."""
        self.results = results
        self.errors = errors
        self.journal = journal
        self.keep = keep
        self.input_path = input_path
        self.others = tuple(others)
        self.journal_flag = journal_flag
        self.failure: OutputError | None = None
        self.missing_rows = False  # some row was never written (the input failed on re-read)
        self.on_failure: Callable[[OutputError], None] = _raise
        self._lock_fds: list[int] = []
        self._writers: list[ReportWriter | ErrorsWriter] = []
        self._report: ReportWriter | None = None
        self._errors: ErrorsWriter | None = None
        self._seen = bytearray()
        self._done = False
        self.amendment: Amendment | None = None

    # -- before anything is opened ------------------------------------------------------------
    def claim(self) -> Self:
        """Take the locks, then check every target. ``OutputError`` (exit 2) if either fails."""
        try:
            for path in (self.results, self.errors):
                fd = lock_target(path)
                assert fd is not None  # created
                self._lock_fds.append(fd)
            targets = [Target("results", self.results), Target("errors", self.errors)]
            if self.journal is not None:
                targets.append(Target("journal", self.journal, self.journal_flag))
            check_outputs(self.input_path, [*targets, *self.others])
            if self.journal is not None:
                from rescheduler.write.journal import check_journal, refuse_if_locked

                refuse_if_locked(self.journal)  # now, not after a snapshot's listing
                check_journal(self.journal, self.journal_flag)
        except BaseException:
            self.release()
            raise
        return self

    @property
    def input_name(self) -> Path:
        """The input file, for messages."""
        return self.input_path or Path("?")

    def release(self) -> None:
        while self._lock_fds:
            lock.release(self._lock_fds.pop())

    # -- writing ------------------------------------------------------------------------------
    def open(self, headers: Sequence[str], extra: Sequence[str] = ()) -> None:
        """Open both writers on their partial files (``OutputError`` before anything is sent);
        ``extra``: report columns a stage adds (``RowResult.extra``)."""
        self._report = ReportWriter(self.results, headers, extra)
        self._writers.append(self._report)
        self._errors = ErrorsWriter(self.errors, headers)
        self._writers.append(self._errors)

    def write(self, result: RowResult) -> None:
        line = result.line
        seen = self._seen
        if line >= len(seen):
            seen.extend(bytes(line + 4096 - len(seen)))
        seen[line] = 1
        report, errors = self._report, self._errors
        if report is not None:
            try:
                report.write(result)
            except OutputError as exc:
                self._report = None  # a failed write leaves the file torn: write no more to it
                self._fail(exc)
        if errors is not None:
            try:
                errors.write(result)
            except OutputError as exc:
                self._errors = None
                self._fail(exc)

    def flush(self) -> None:
        for name in ("_report", "_errors"):
            writer: ReportWriter | ErrorsWriter | None = getattr(self, name)
            if writer is not None:
                try:
                    writer.flush()
                except OutputError as exc:
                    setattr(self, name, None)
                    self._fail(exc)

    def _fail(self, exc: OutputError) -> None:
        if self.failure is None:
            self.failure = exc
        self.on_failure(exc)

    def written(self, line: int) -> bool:
        return line < len(self._seen) and self._seen[line] == 1

    def fill(self, rows: Iterable[Row], note: str, code: str) -> int:
        """Write every row not written yet as ``not_sent`` with ``note`` (``error_code``
        ``code``); how many were."""
        count = 0
        for row in rows:
            if not self.written(row.line):
                self.write(
                    RowResult(row.line, Status.NOT_SENT, row.values, error=note, error_code=code)
                )
                count += 1
        return count

    # -- the end ------------------------------------------------------------------------------
    @property
    def complete(self) -> bool:
        """Both files were opened, every write reached them and no row is missing."""
        return bool(self._writers) and self.failure is None and not self.missing_rows

    def finish(self, *, publish: bool) -> None:
        """Close both files; rename both into place if ``publish`` and nothing failed.

        Not published: the targets stay as they were and the partial files are kept (they
        hold every row written), unless nothing was written to them at all.
        """
        if self._done:
            return
        self._done = True
        closing: OutputError | None = None  # the last bytes or the archive's directory failed
        try:
            for writer in self._writers:
                writer.finish()
        except OutputError as exc:
            if self.failure is None:  # new: not a failure already reported while running
                closing = exc
            self.failure = self.failure or exc
        if publish and self.complete:
            report = self._writers[0]
            if self.amendment is not None and isinstance(report, ReportWriter):
                try:
                    amend(report, self.amendment.column, self.amendment.changes)
                except OutputError as exc:
                    self.failure = self.failure or exc
                    raise
            for writer in self._writers:
                writer.publish()
        elif not self.keep or not any(self._seen):
            for writer in self._writers:
                if writer.owns_partial():  # never another program's file under that name
                    with contextlib.suppress(OSError):
                        writer.partial.unlink()
        if publish and closing is not None:  # asked to publish, and could not: never silent
            raise closing

    def partials(self) -> list[Path]:
        return [w.partial for w in self._writers if w.partial.exists()]

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            self.finish(publish=False)  # a no-op after the engine's own finish()
        finally:
            self.release()


def failure_hint(exc: OutputError) -> str:
    """What to do about a write that failed: free space, raise a limit, or fix permissions."""
    path = Path(str(exc.path)) if exc.path is not None else None
    where = path.parent if path is not None else Path(".")
    if exc.errno in (errnos.ENOSPC, errnos.EDQUOT):
        return _("free disk space where {folder} is").format(folder=where)
    if exc.errno == errnos.EFBIG:
        return _("the file-size limit was reached (ulimit -f): raise it or write to another disk")
    return _("make {folder} writable").format(folder=where)
