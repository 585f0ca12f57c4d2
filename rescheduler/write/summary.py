"""Counting row outcomes and the one-screen summary printed at the end of a run (pure).

:class:`Summary` takes every :class:`RowResult` once (``add``) and keeps only counters, so it
costs O(distinct codes + columns), not O(rows). :func:`format_summary` renders it as plain
text; :meth:`Summary.exit_code` applies design.md section 6 (exit 3, an aborted run, is the
engine's decision: it knows why the run stopped; ``has_unsent`` tells it rows were left).

Two conventions this module reads from ``RowResult.error`` (kept here, next to the parser):

- an invalid row's error is its problems joined by :func:`join_problems`
  (``"appointTime: not a time; userAccount: empty"``), so the summary can count by column;
- a failed row without a result code is keyed ``HTTP <status>`` when it has a non-200 status,
  ``timeout`` when its error says so (``no answer within``/``timed out``/``timeout``),
  ``bad response`` for an HTTP 200 without a code, else ``connection``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from os import PathLike, fspath

from rescheduler.models import Problem, RowResult, Status

CODE_MEANINGS: Mapping[str, str] = {
    "0200000": "success",
    "0200001": "parameter error",
    "0200006": "database operation error",
    "02000001": "empty parameter",
    "02000002": "invalid characters",
    "02000003": "too long",
    "04000004": "the reservation does not exist",
    "0200022": "called too fast",
    "04000005": "already being called",
}
"""The documented iSales result codes of the appoint calls (isales-api.md) and their meaning."""

STATUS_ORDER: tuple[Status, ...] = (
    Status.SUCCEEDED,
    Status.FAILED,
    Status.INVALID,
    Status.SKIPPED,
    Status.NOT_SENT,
)
PROBLEM_SEPARATOR = "; "
TOP = 3  # codes / columns named on a summary line; the rest are folded into "N more"
_TIMEOUT_WORDS = ("no answer within", "timed out", "timeout")


def describe_code(code: str) -> str:
    """``04000004 (the reservation does not exist)``; an unknown code is returned as is."""
    meaning = CODE_MEANINGS.get(code)
    return f"{code} ({meaning})" if meaning else code


def join_problems(problems: Iterable[Problem]) -> str:
    """The ``error`` text of an invalid row: ``"column: message; column: message"``."""
    return PROBLEM_SEPARATOR.join(str(p) for p in problems)


def problem_columns(error: str) -> list[str]:
    """The columns named in an invalid row's error, each once, in order (``other`` if none).

    A part without ``": "`` continues the previous message (a message may contain ``"; "``).
    """
    columns: list[str] = []
    for part in error.split(PROBLEM_SEPARATOR):
        column, sep, _ = part.partition(": ")
        if sep and column.strip() and column not in columns:
            columns.append(column)
    return columns or ["other"]


def failure_key(result: RowResult) -> str:
    """What a failed row is counted under: its result code, else its transport error kind."""
    if result.result_code:
        return result.result_code
    if result.http_status is not None and result.http_status != 200:
        return f"HTTP {result.http_status}"
    if any(word in result.error.lower() for word in _TIMEOUT_WORDS):
        return "timeout"
    return "bad response" if result.http_status == 200 else "connection"


@dataclass
class Summary:
    """Counters over every row of a run; feed each final :class:`RowResult` to :meth:`add`."""

    counts: dict[Status, int] = field(default_factory=lambda: dict.fromkeys(STATUS_ORDER, 0))
    failure_codes: Counter[str] = field(default_factory=Counter)
    invalid_columns: Counter[str] = field(default_factory=Counter)
    total_attempts: int = 0

    def add(self, result: RowResult) -> None:
        self.counts[result.status] += 1
        self.total_attempts += result.attempts
        if result.status == Status.FAILED:
            self.failure_codes[failure_key(result)] += 1
        elif result.status == Status.INVALID:
            self.invalid_columns.update(problem_columns(result.error))

    @property
    def rows(self) -> int:
        return sum(self.counts.values())

    @property
    def has_unsent(self) -> bool:
        return self.counts[Status.NOT_SENT] > 0

    @property
    def to_fix(self) -> int:
        """Rows in the errors-only file: failed, invalid and not_sent."""
        c = self.counts
        return c[Status.FAILED] + c[Status.INVALID] + c[Status.NOT_SENT]

    def exit_code(self, dry_run: bool = False) -> int:
        """0 when every row succeeded or was skipped (dry run: every row valid), else 1.

        An aborted run exits 3; the engine decides that, knowing why it stopped.
        """
        c = self.counts
        if dry_run:
            return 1 if c[Status.INVALID] or c[Status.FAILED] else 0
        return 1 if self.to_fix else 0


def _top(counter: Counter[str], noun: str, describe: bool) -> str:
    ranked = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))
    parts = [
        f"{key} x{n}" + (f" ({CODE_MEANINGS[key]})" if describe and key in CODE_MEANINGS else "")
        for key, n in ranked[:TOP]
    ]
    rest = ranked[TOP:]
    if rest:
        parts.append(f"{len(rest)} more {noun} x{sum(n for _, n in rest)}")
    return ", ".join(parts)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def format_summary(
    summary: Summary,
    *,
    title: str,
    results_path: str | PathLike[str] | None = None,
    errors_path: str | PathLike[str] | None = None,
    extra_lines: Sequence[str] = (),
) -> str:
    """The end-of-run summary as plain text (no trailing newline).

    ``title`` first (the caller's: file, format, time, rate), one line per status with the
    top result codes of failed rows and the top columns of invalid rows, then ``extra_lines``
    (e.g. why a run was aborted), then where the results and errors files are.
    """
    width = len(str(max(summary.counts.values(), default=0)))
    details = {
        Status.FAILED: _top(summary.failure_codes, "codes", describe=True),
        Status.INVALID: _top(summary.invalid_columns, "columns", describe=False),
    }
    lines = [title]
    for status in STATUS_ORDER:
        line = f"  {status.value:<11}{summary.counts[status]:>{width}}"
        if details.get(status):
            line += f"   {details[status]}"
        lines.append(line)
    lines.extend(extra_lines)
    if results_path is not None:
        lines.append(f"results: {fspath(results_path)}")
    if errors_path is not None:
        n = summary.to_fix
        lines.append(
            f"errors:  {fspath(errors_path)} ({_plural(n, 'row') if n else 'no rows'} to fix)"
        )
    return "\n".join(lines)
