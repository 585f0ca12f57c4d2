"""The numbers a supervisor reads on a run's page, from the engine's counts (pure).

The engine counts rows by ``status``; a supervisor asks other questions: how many of my rows
are now done on the server, how many still need me, and why. A run and its resumes are one
job: rows that succeeded in an earlier attempt are ``skipped`` (``already_succeeded``) in the
latest results file, and count here as rescheduled, "in earlier attempts". Rows left
``not_sent`` by a stop are not done: the bar leaves them out, so it is full only when every row
has its final outcome.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rescheduler.web import notes
from rescheduler.web.records import ACTIVE, RunRecord

if TYPE_CHECKING:
    from rescheduler.job import Progress

ALREADY_SUCCEEDED = "already_succeeded"
HELD = "can_reschedule.no"
KEPT_CODES = (ALREADY_SUCCEEDED, HELD)  # the skipped rows' codes the history keeps
CODE_PREFIX = "code:"  # how they are kept among a run's counts
NOT_FAILURES = frozenset(
    {ALREADY_SUCCEEDED, HELD, "duplicate", "superseded", "dry_run", "interrupted", "stopped",
     "max_failures", "server_unreachable"}
)  # fmt: skip


@dataclass(frozen=True)
class JobNumbers:
    total: int  # rows in the file
    written: int  # rows with a line in the results so far (not_sent ones included)
    succeeded: int  # in this attempt
    earlier: int  # succeeded in an earlier attempt (skipped now)
    failed: int
    invalid: int
    not_sent: int
    duplicates: int  # not sent: the same change as another row, or a later row wins
    held: int  # not sent: can_reschedule is no

    @property
    def rescheduled(self) -> int:
        return self.succeeded + self.earlier

    @property
    def to_fix(self) -> int:
        return self.failed + self.invalid + self.not_sent

    @property
    def handled(self) -> int:
        """Rows with their final outcome: what the bar shows."""
        return self.written - self.not_sent

    @property
    def complete(self) -> bool:
        return self.total > 0 and self.handled >= self.total

    def as_dict(self) -> dict[str, int | bool]:
        return {
            "total": self.total,
            "handled": self.handled,
            "rescheduled": self.rescheduled,
            "succeeded": self.succeeded,
            "earlier": self.earlier,
            "failed": self.failed,
            "invalid": self.invalid,
            "not_sent": self.not_sent,
            "duplicates": self.duplicates,
            "held": self.held,
            "to_fix": self.to_fix,
            "complete": self.complete,
        }


def kept_counts(counts: Mapping[str, int], codes: Mapping[str, int]) -> dict[str, int]:
    """The counts a run keeps: per status, plus the skipped rows' codes that change the story."""
    kept = dict(counts)
    for code in KEPT_CODES:
        if codes.get(code):
            kept[CODE_PREFIX + code] = codes[code]
    return kept


def statuses(kept: Mapping[str, int]) -> dict[str, int]:
    """The per-status counts of ``kept_counts`` (what scripts and the status JSON read)."""
    return {k: v for k, v in kept.items() if not k.startswith(CODE_PREFIX)}


def job_numbers(total: int | None, kept: Mapping[str, int]) -> JobNumbers:
    """The job's numbers from ``kept_counts`` (``total`` None: not known yet)."""
    skipped = kept.get("skipped", 0)
    earlier = min(kept.get(CODE_PREFIX + ALREADY_SUCCEEDED, 0), skipped)
    held = min(kept.get(CODE_PREFIX + HELD, 0), skipped - earlier)
    written = sum(statuses(kept).values())
    return JobNumbers(
        total=max(total or 0, written),
        written=written,
        succeeded=kept.get("succeeded", 0),
        earlier=earlier,
        failed=kept.get("failed", 0),
        invalid=kept.get("invalid", 0),
        not_sent=kept.get("not_sent", 0),
        duplicates=skipped - earlier - held,
        held=held,
    )


def failure_reasons(
    codes: Mapping[str, int], examples: Mapping[str, str]
) -> list[tuple[str, int, str]]:
    """``(error_code, rows, the first row's error)`` of the rows that failed or are invalid,
    most rows first: the list under "why rows were not rescheduled"."""
    reasons = [
        (code, n, examples.get(code, "")) for code, n in codes.items() if code not in NOT_FAILURES
    ]
    return sorted(reasons, key=lambda r: (-r[1], r[0]))


def page_status(record: RunRecord, progress: Progress | None) -> dict[str, Any]:
    """What the page polls: the state, its message (in the reader's language, the detail
    apart), the counts per status and the job's numbers (``JobNumbers``); ``progress``
    while the run is sending, else what the history kept."""
    shown = notes.show(record.message)
    data: dict[str, Any] = {
        "state": record.state.value,
        "active": record.state in ACTIVE,
        "message": shown.text,
        "detail": shown.detail,
    }
    if progress is not None:
        kept = kept_counts({s.value: n for s, n in progress.counts.items()}, progress.codes)
        data.update(
            phase=progress.phase,
            rate=round(progress.rate, 1),
            eta_s=None if progress.eta_s is None else round(progress.eta_s),
            elapsed_s=round(progress.elapsed_s, 1),
        )
        total = progress.total
    else:
        kept, total = dict(record.counts), record.rows
    numbers = job_numbers(total, kept)
    data.update(
        total=total, done=numbers.written, counts=statuses(kept), job=numbers.as_dict()
    )
    return data
