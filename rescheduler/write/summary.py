"""Counting row outcomes and the one-screen summary printed at the end of a run (pure).

:class:`Summary` takes every :class:`RowResult` once (``add``) and keeps only counters, so it
costs O(distinct codes + columns), not O(rows). :func:`format_summary` renders it as plain
text; :meth:`Summary.exit_code` applies design.md section 6 (exit 3, an aborted run, is the
engine's decision: it knows why the run stopped; ``has_unsent`` tells it rows were left).

Two conventions this module reads from ``RowResult.error`` (kept here, next to the parser):

- an invalid row's error is its problems joined by :func:`join_problems`
  (``"appointTime: not a time; userAccount: empty"``), so the summary can count by column;
- a failed row without a result code is keyed by its ``error_code`` (``http.503`` ->
  ``HTTP 503``, ``timeout``, ``bad_response`` -> ``bad response``, ``connection``); without
  one, ``HTTP <status>`` when it has a non-200 status, ``timeout`` when its error says so
  (``no answer within``/``timed out``/``timeout``), ``bad response`` for an HTTP 200 without a
  code, else ``connection``.

Keys stay English (scripts and the run record read them); the text is in the reader's
language, code meanings from ``rescheduler.servercodes`` (the one table).
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from os import PathLike, fspath

from rescheduler.i18n import N_, _, ngettext
from rescheduler.models import Problem, RowResult, Status
from rescheduler.servercodes import SERVER_CODES, describe_code, meaning

__all__ = [
    "CODE_MEANINGS",
    "Summary",
    "describe_code",
    "failure_key",
    "format_summary",
    "join_problems",
    "problem_columns",
]

CODE_MEANINGS: Mapping[str, str] = {code: m.meaning for code, m in SERVER_CODES.items()}
"""The documented iSales result codes and their meaning in English (``servercodes``' table)."""

STATUS_LABELS: Mapping[Status, str] = {
    Status.SUCCEEDED: N_("succeeded"),
    Status.FAILED: N_("failed"),
    Status.INVALID: N_("invalid"),
    Status.SKIPPED: N_("skipped"),
    Status.NOT_SENT: N_("not_sent"),
}
"""How the summary names each status (in English, the status itself)."""

KEY_LABELS: Mapping[str, str] = {
    "timeout": N_("timeout"),
    "connection": N_("connection"),
    "bad response": N_("bad response"),
    "answer too large": N_("answer too large"),
    "other": N_("other"),
    "certificate rejected": N_("certificate rejected"),
    "interrupted in flight": N_("interrupted in flight"),
    "Retry-After over send.max_retry_after_s": N_("Retry-After over send.max_retry_after_s"),
    "internal error": N_("internal error"),
}
_FROM_ERROR_CODE = {
    "timeout": "timeout",
    "connection": "connection",
    "bad_response": "bad response",
    "answer_too_large": "answer too large",
    "certificate_rejected": "certificate rejected",
    "interrupted_in_flight": "interrupted in flight",  # no answer awaited (a second Ctrl-C)
    "retry_after_too_long": "Retry-After over send.max_retry_after_s",
    "internal_error": "internal error",
}

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
    code = result.error_code
    if code.startswith("http.") and code[5:].isdigit():
        return f"HTTP {code[5:]}"
    if code in _FROM_ERROR_CODE:
        return _FROM_ERROR_CODE[code]
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


def _top(counter: Counter[str], more: str, describe: bool) -> str:
    """The top keys with their counts; ``more`` formats the folded rest (``{n}``, ``{rows}``)."""
    ranked = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))
    parts = []
    for key, n in ranked[:TOP]:
        label = _(KEY_LABELS[key]) if key in KEY_LABELS else key
        part = _("{key} x{n}").format(key=label, n=n)
        if describe and (text := meaning(key)):
            part = _("{counted} ({meaning})").format(counted=part, meaning=text)
        parts.append(part)
    rest = ranked[TOP:]
    if rest:
        parts.append(more.format(n=len(rest), rows=sum(n for _key, n in rest)))
    return _(", ").join(parts)


def _columns(text: str) -> int:
    """How many terminal columns ``text`` takes (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    """``text`` left-aligned in ``width`` terminal columns."""
    return text + " " * max(width - _columns(text), 1)


def _status_label(status: Status) -> str:
    label = _(STATUS_LABELS[status])
    return label if label == status.value else f"{label} {status.value}"


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
        Status.FAILED: _top(summary.failure_codes, _("{n} more codes x{rows}"), describe=True),
        Status.INVALID: _top(
            summary.invalid_columns, _("{n} more columns x{rows}"), describe=False
        ),
    }
    labels = {status: _status_label(status) for status in STATUS_ORDER}
    label_width = max(11, *(_columns(label) + 2 for label in labels.values()))
    lines = [title]
    for status in STATUS_ORDER:
        line = f"  {_pad(labels[status], label_width)}{summary.counts[status]:>{width}}"
        if details.get(status):
            line += f"   {details[status]}"
        lines.append(line)
    lines.extend(extra_lines)
    if results_path is not None:
        lines.append(_("results: {path}").format(path=fspath(results_path)))
    if errors_path is not None:
        n = summary.to_fix
        if n:
            to_fix = ngettext(
                "errors:  {path} ({n} row to fix)", "errors:  {path} ({n} rows to fix)", n
            )
        else:
            to_fix = _("errors:  {path} (no rows to fix)")
        lines.append(to_fix.format(path=fspath(errors_path), n=n))
    return "\n".join(lines)
