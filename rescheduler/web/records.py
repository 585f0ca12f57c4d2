"""What the store hands out: a run's record and state, a session, an account (plain data)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from rescheduler.web.roles import Role


class RunState(StrEnum):
    CHECKING = "checking"  # uploaded; the dry run is reading it (or waiting for a free slot)
    UNREADABLE = "unreadable"  # the file cannot be read as a sheet of changes (message says why)
    CANCELLED = "cancelled"  # the check was cancelled, or cut off by a restart: Check again
    READY = "ready"  # checked: the preview is there, Start sends it
    RUNNING = "running"
    STOPPING = "stopping"  # Stop pressed: requests in flight are finishing
    FINISHED = "finished"  # every row has its outcome
    STOPPED = "stopped"  # stopped early (Stop, 401, too many failures, shutdown): resumable
    INTERRUPTED = "interrupted"  # the server went down mid-run: resumable
    FAILED = "failed"  # a run-level error before sending (config, credentials): retryable


ACTIVE = frozenset({RunState.CHECKING, RunState.RUNNING, RunState.STOPPING})
STARTABLE = frozenset({RunState.READY, RunState.STOPPED, RunState.INTERRUPTED, RunState.FAILED})
CHECKABLE = frozenset({RunState.CANCELLED})


@dataclass(frozen=True)
class RunRecord:
    id: str
    file_name: str  # the uploaded file's name, sanitised (display and download names only)
    suffix: str
    size: int
    uploaded_by: str
    uploaded: float
    state: RunState
    message: str = ""
    rows: int | None = None
    counts: Mapping[str, int] = field(default_factory=dict)
    results_format: str = ""
    started_by: str = ""
    started: float | None = None
    finished: float | None = None
    stopped_by: str = ""
    on_conflict: str = ""  # "" = the config's input.on_conflict; else reject | last
    starts: int = 0  # the first start and each resume
    touched: float | None = None  # the last change of state (retention counts from it)

    @property
    def stem(self) -> str:
        return self.file_name[: -len(self.suffix)] if self.suffix else self.file_name


@dataclass(frozen=True)
class Session:
    user: str
    csrf: str
    role: Role = Role.SUPERVISOR
    language: str = ""  # the page's language kept with the account ("" = the browser's)


@dataclass(frozen=True)
class Account:
    name: str
    role: Role
    created: float


RUN_COLUMNS = frozenset(
    {"size", "state", "message", "rows", "counts", "results_format", "started_by", "started",
     "finished", "stopped_by", "on_conflict", "starts", "touched"}
)  # fmt: skip


def run_record(row: sqlite3.Row) -> RunRecord:
    return RunRecord(
        id=row["id"],
        file_name=row["file_name"],
        suffix=row["suffix"],
        size=row["size"],
        uploaded_by=row["uploaded_by"],
        uploaded=row["uploaded"],
        state=RunState(row["state"]),
        message=row["message"],
        rows=row["rows"],
        counts=json.loads(row["counts"]),
        results_format=row["results_format"],
        started_by=row["started_by"],
        started=row["started"],
        finished=row["finished"],
        stopped_by=row["stopped_by"],
        on_conflict=row["on_conflict"],
        starts=row["starts"],
        touched=row["touched"],
    )
