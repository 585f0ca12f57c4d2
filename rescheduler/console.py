"""What a person sees on stderr: a live progress bar (on a terminal) and the final summary."""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import TYPE_CHECKING, Any

from rescheduler.i18n import N_, _

if TYPE_CHECKING:
    from rescheduler.job import Progress, RunResult


PHASES = {
    "reading": N_("reading"),
    "snapshot": N_("listing the reservations"),
    "sending": N_("sending"),
    "verifying": N_("verifying"),
    "finished": N_("finished"),
}
DELIMITERS = {",": N_("comma"), ";": N_("semicolon"), "\t": N_("tab"), "|": N_("pipe")}


class ProgressDisplay:
    """A rich progress bar on stderr, only when stderr is a terminal; redrawn at most 10x/s."""

    def __init__(self, *, enabled: bool = True) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self._bar: Any = None
        self._task: Any = None
        self._last = 0.0

    def __enter__(self) -> ProgressDisplay:
        if self.enabled:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            rate = _("{rate} rows/s").format(rate="{task.fields[rate]:>7.1f}")
            failed = _("{failed} failed").format(failed="{task.fields[failed]}")
            self._bar = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn(rate),
                TextColumn(f"[red]{failed}"),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._bar.start()
            self._task = self._bar.add_task(_(PHASES["reading"]), total=None, rate=0.0, failed=0)
        return self

    def update(self, progress: Progress) -> None:
        if self._bar is None:
            return
        now = time.monotonic()
        if now - self._last < 0.1 and progress.done != progress.total:
            return
        self._last = now
        from rescheduler.models import Status

        self._bar.update(
            self._task,
            description=_(PHASES.get(progress.phase, progress.phase)),
            total=progress.total,
            completed=progress.done,
            rate=progress.rate,
            failed=progress.counts[Status.FAILED],
        )

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.stop()


def format_run(result: RunResult, *, brief: bool = False) -> str:
    """The one-screen summary printed at the end of a run."""
    from rescheduler.models import Status
    from rescheduler.write.summary import format_summary

    info = result.info
    delimiter = info.delimiter or ""
    how = _(", ").join(
        part
        for part in (
            info.encoding,
            _(DELIMITERS[delimiter]) if delimiter in DELIMITERS else delimiter,
            _("sheet {name}").format(name=repr(info.sheet)) if info.sheet else "",
        )
        if part
    )
    rate = info.rows / result.elapsed_s if result.elapsed_s > 0 else 0.0
    if result.snapshot is not None and result.snapshot.plan:
        title = _("rescheduler: plan: {rows} rows from {file}")
    elif result.dry_run:
        title = _("rescheduler: dry run: {rows} rows from {file}")
    else:
        title = _("rescheduler: {rows} rows from {file}")
    title = title.format(rows=info.rows, file=info.path.name)
    if how:
        title = _("{title} ({how})").format(title=title, how=how)
    title = _("{title} in {seconds} s, {rate} rows/s").format(
        title=title, seconds=f"{result.elapsed_s:.1f}", rate=f"{rate:.1f}"
    )
    extra = []
    if not result.dry_run:
        sent = result.summary.total_attempts
        answered = result.summary.counts[Status.SUCCEEDED] + result.summary.counts[Status.FAILED]
        retries = max(0, sent - answered)
        extra.append(
            _("requests sent: {sent} ({retries} retries)").format(sent=sent, retries=retries)
        )
    extra.append(_("times without an offset read as {zone}").format(zone=info.timezone))
    if info.blank_rows:
        extra.append(_("{n} blank rows skipped").format(n=info.blank_rows))
    if info.other_sheets:
        extra.append(_sheets_not_read(info.other_sheets))
    from rescheduler.state.snapinfo import summary_lines

    extra += summary_lines(result.snapshot, dry_run=result.dry_run)
    if result.journal_path is not None:
        extra.append(_("journal: {path}").format(path=result.journal_path))
    if result.aborted is not None:
        extra.append(_("ABORTED: {reason}").format(reason=result.aborted))
        extra.append(_("rows not attempted are 'not_sent'; run again with --resume to finish"))
    text = format_summary(
        result.summary,
        title=title,
        results_path=result.results_path,
        errors_path=result.errors_path,
        extra_lines=extra,
    )
    if brief:
        return text.splitlines()[0]
    return text


def _sheets_not_read(sheets: tuple[tuple[str, str], ...]) -> str:
    """``sheets not read: 'Notes', 'Old' (hidden)`` — a hidden sheet is read only when named."""
    from rescheduler.i18n import _

    names = ", ".join(
        repr(name) + ("" if visibility == "visible" else f" ({_(visibility)})")
        for name, visibility in sheets
    )
    return _("sheets not read: {names}").format(names=names)
