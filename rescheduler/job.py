"""What a run is given and what it gives back: ``Job`` (what to run), ``Progress`` (live
counters, updated as each row's result is written: the progress bar, the upload page and the
run record read them), ``InputInfo`` (what was read) and ``RunResult`` (what happened, and its
exit code). ``engine.run`` takes the first and returns the last.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rescheduler.models import RowResult, Status
from rescheduler.write.outputs import Outputs

if TYPE_CHECKING:
    from rescheduler.config import Config
    from rescheduler.errors import RunAborted
    from rescheduler.state.snapinfo import SnapshotInfo
    from rescheduler.write.summary import Summary


@dataclass(frozen=True)
class Job:
    """What to run. ``out_path`` None = ``<input stem>.results.csv`` (``.xlsx`` for a workbook)
    beside the input."""

    input_path: Path
    config: Config
    out_path: Path | None = None
    dry_run: bool = False
    resume: bool = False
    journal_path: Path | None = None
    handle_signals: bool = False
    max_rows: int | None = None  # the upload page's web.max_rows; the CLI has no limit
    max_cells: int | None = None  # the upload page's web.max_cells (rows x columns)
    hide_access_key: bool = False  # the upload page: no access key in any row's message
    outputs: Outputs = field(default_factory=Outputs, compare=False)  # for the run record
    snapshot: bool = False  # list what the rows will change first: before/undo, already so
    # (``rescheduler run`` sets it unless --no-snapshot; the upload page does not yet)
    plan: bool = False  # a dry run against the server's state (``rescheduler plan``)
    verify: bool = False  # list again after the run: the verified column


@dataclass
class Progress:
    """Live counters, updated as each row's result is written."""

    total: int | None = None
    done: int = 0
    counts: dict[Status, int] = field(default_factory=lambda: dict.fromkeys(Status, 0))
    started: float = field(default_factory=time.monotonic)
    phase: str = "reading"  # reading -> checking (dry run) or sending -> finished
    codes: dict[str, int] = field(default_factory=dict)  # error_code -> rows (all but succeeded)
    examples: dict[str, str] = field(default_factory=dict)  # error_code -> its first error text
    last: RowResult | None = None  # the row just written (the upload page's check reads it)
    read: int = 0  # rows read so far by the first pass (before ``total`` is known)

    def reading(self, rows: int) -> None:
        self.read = rows

    def count(self, result: RowResult) -> None:
        """One more row written: its status, and its error_code unless it succeeded."""
        self.done += 1
        self.counts[result.status] += 1
        self.last = result
        code = result.error_code
        if code:
            self.codes[code] = self.codes.get(code, 0) + 1
            if code not in self.examples:
                self.examples[code] = result.error

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
    snapshot: SnapshotInfo | None = None  # None: --no-snapshot (or a dry run)

    @property
    def exit_code(self) -> int:
        if self.aborted is not None:
            return self.aborted.exit_code
        code = self.summary.exit_code(dry_run=self.dry_run)
        return 1 if code == 0 and self.snapshot is not None and self.snapshot.problems else code

