"""The web server's durable state: one SQLite database and one folder per run, under ``data_dir``.

    data_dir/                mode 0700: it holds password hashes and every uploaded sheet
      web.sqlite3            accounts, sessions and the run history (WAL: the ``user`` commands
                             may change accounts while the server runs)
      runs/<run id>/         input<suffix> (the upload, under a name of our own), preview.json,
                             validation.csv + validation.errors.csv (the dry run),
                             results.csv|xlsx + results.errors.csv|xlsx, results.journal.sqlite

Sessions are stored by the SHA-256 of their token, so a copy of the database does not hold a
usable cookie. Run IDs and session tokens come from ``secrets``. Every supervisor sees every
run; the history records who uploaded, started and stopped each one.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from rescheduler.errors import OutputError

SESSION_IDLE_S = 8 * 3600  # signed out after 8 hours without a request
SESSION_MAX_S = 24 * 3600  # and 24 hours after signing in, whatever happens
_TOUCH_EVERY_S = 60

_SCHEMA = """
CREATE TABLE IF NOT EXISTS user (
    name TEXT PRIMARY KEY, password_hash TEXT NOT NULL, created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS session (
    token_hash TEXT PRIMARY KEY,
    user TEXT NOT NULL REFERENCES user (name) ON DELETE CASCADE,
    csrf TEXT NOT NULL, created REAL NOT NULL, seen REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS run (
    id TEXT PRIMARY KEY,
    file_name TEXT NOT NULL, suffix TEXT NOT NULL, size INTEGER NOT NULL,
    uploaded_by TEXT NOT NULL, uploaded REAL NOT NULL,
    state TEXT NOT NULL, message TEXT NOT NULL DEFAULT '',
    rows INTEGER, counts TEXT NOT NULL DEFAULT '{}', results_format TEXT NOT NULL DEFAULT '',
    started_by TEXT NOT NULL DEFAULT '', started REAL, finished REAL,
    stopped_by TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS run_uploaded ON run (uploaded DESC);
"""


class RunState(StrEnum):
    CHECKING = "checking"  # uploaded; the dry run is reading it
    UNREADABLE = "unreadable"  # the file cannot be read as a sheet of changes (message says why)
    READY = "ready"  # checked: the preview is there, Start sends it
    RUNNING = "running"
    STOPPING = "stopping"  # Stop pressed: requests in flight are finishing
    FINISHED = "finished"  # every row has its outcome
    STOPPED = "stopped"  # stopped early (Stop, 401, too many failures, shutdown): resumable
    INTERRUPTED = "interrupted"  # the server went down mid-run: resumable
    FAILED = "failed"  # a run-level error before sending (config, credentials): retryable


ACTIVE = frozenset({RunState.CHECKING, RunState.RUNNING, RunState.STOPPING})
STARTABLE = frozenset({RunState.READY, RunState.STOPPED, RunState.INTERRUPTED, RunState.FAILED})


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

    @property
    def stem(self) -> str:
        return self.file_name[: -len(self.suffix)] if self.suffix else self.file_name


@dataclass(frozen=True)
class Session:
    user: str
    csrf: str


class UserExists(ValueError):
    pass


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Store:
    """Accounts, sessions and runs. Every call is a short SQLite transaction (no thread hops)."""

    def __init__(self, data_dir: Path, *, clock: Callable[[], float] = time.time) -> None:
        self.data_dir = data_dir
        self.runs_dir = data_dir / "runs"
        self._clock = clock
        try:
            self.runs_dir.mkdir(parents=True, exist_ok=True)
            os.chmod(data_dir, 0o700)
            self._db = sqlite3.connect(data_dir / "web.sqlite3", isolation_level=None)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.execute("PRAGMA busy_timeout=5000")
            self._db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise OutputError(f"cannot use the web data folder {data_dir}: {exc}") from None

    def close(self) -> None:
        self._db.close()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # -- accounts -----------------------------------------------------------------------------
    def add_user(self, name: str, password_hash: str) -> None:
        try:
            self._db.execute(
                "INSERT INTO user (name, password_hash, created) VALUES (?, ?, ?)",
                (name, password_hash, self._clock()),
            )
        except sqlite3.IntegrityError:
            raise UserExists(name) from None

    def set_password(self, name: str, password_hash: str) -> bool:
        """Change a password and sign the user out everywhere; False if there is no such user."""
        with self._transaction():
            cur = self._db.execute(
                "UPDATE user SET password_hash = ? WHERE name = ?", (password_hash, name)
            )
            self._db.execute("DELETE FROM session WHERE user = ?", (name,))
        return cur.rowcount == 1

    def remove_user(self, name: str) -> bool:
        return self._db.execute("DELETE FROM user WHERE name = ?", (name,)).rowcount == 1

    def password_hash(self, name: str) -> str | None:
        row = self._db.execute("SELECT password_hash FROM user WHERE name = ?", (name,)).fetchone()
        return None if row is None else str(row[0])

    def users(self) -> list[tuple[str, float]]:
        rows = self._db.execute("SELECT name, created FROM user ORDER BY name").fetchall()
        return [(str(r[0]), float(r[1])) for r in rows]

    # -- sessions -----------------------------------------------------------------------------
    def create_session(self, user: str) -> str:
        """A new session for ``user``; returns the cookie token (stored only as a hash)."""
        token = secrets.token_urlsafe(32)
        now = self._clock()
        with self._transaction():
            self._db.execute(
                "DELETE FROM session WHERE seen < ? OR created < ?",
                (now - SESSION_IDLE_S, now - SESSION_MAX_S),
            )
            self._db.execute(
                "INSERT INTO session (token_hash, user, csrf, created, seen) "
                "VALUES (?, ?, ?, ?, ?)",
                (_digest(token), user, secrets.token_urlsafe(32), now, now),
            )
        return token

    def session(self, token: str) -> Session | None:
        """The live session of a cookie token, or None (unknown, idle too long, too old)."""
        key = _digest(token)
        row = self._db.execute(
            "SELECT user, csrf, created, seen FROM session WHERE token_hash = ?", (key,)
        ).fetchone()
        if row is None:
            return None
        now = self._clock()
        if now - row["seen"] > SESSION_IDLE_S or now - row["created"] > SESSION_MAX_S:
            self._db.execute("DELETE FROM session WHERE token_hash = ?", (key,))
            return None
        if now - row["seen"] > _TOUCH_EVERY_S:
            self._db.execute("UPDATE session SET seen = ? WHERE token_hash = ?", (now, key))
        return Session(user=row["user"], csrf=row["csrf"])

    def delete_session(self, token: str) -> None:
        self._db.execute("DELETE FROM session WHERE token_hash = ?", (_digest(token),))

    # -- runs ---------------------------------------------------------------------------------
    def run_dir(self, run_id: str) -> Path:
        return self.runs_dir / run_id

    def new_run(self, file_name: str, suffix: str, user: str) -> RunRecord:
        """Reserve a run ID and its folder (the upload is then written into it)."""
        run_id = secrets.token_urlsafe(12)
        self.run_dir(run_id).mkdir(mode=0o700)
        record = RunRecord(run_id, file_name, suffix, 0, user, self._clock(), RunState.CHECKING)
        self._db.execute(
            "INSERT INTO run (id, file_name, suffix, size, uploaded_by, uploaded, state) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (run_id, file_name, suffix, 0, user, record.uploaded, record.state.value),
        )
        return record

    def delete_run(self, run_id: str) -> None:
        """Forget a run whose upload was refused (its folder must already be emptied)."""
        self._db.execute("DELETE FROM run WHERE id = ?", (run_id,))
        self.run_dir(run_id).rmdir()

    def get_run(self, run_id: str) -> RunRecord | None:
        row = self._db.execute("SELECT * FROM run WHERE id = ?", (run_id,)).fetchone()
        return None if row is None else _record(row)

    def list_runs(self, limit: int = 200) -> list[RunRecord]:
        rows = self._db.execute(
            "SELECT * FROM run ORDER BY uploaded DESC LIMIT ?", (limit,)
        ).fetchall()
        return [_record(row) for row in rows]

    def update_run(self, run_id: str, **values: object) -> None:
        """Set some columns of a run (``counts`` as a mapping, ``state`` as a RunState)."""
        if "counts" in values:
            values["counts"] = json.dumps(values["counts"])
        unknown = set(values) - _RUN_COLUMNS
        if unknown:
            raise ValueError(f"unknown run columns: {sorted(unknown)}")
        assignments = ", ".join(f"{name} = ?" for name in values)
        self._db.execute(f"UPDATE run SET {assignments} WHERE id = ?", (*values.values(), run_id))

    def recover(self) -> list[str]:
        """After a restart: runs that were sending become INTERRUPTED (resumable); returns the
        IDs of uploads whose check never ended, for the caller to check again."""
        self._db.execute(
            "UPDATE run SET state = ?, message = ? WHERE state IN (?, ?)",
            (
                RunState.INTERRUPTED.value,
                "the server stopped during this run; press Resume to send the rows left",
                RunState.RUNNING.value,
                RunState.STOPPING.value,
            ),
        )
        rows = self._db.execute(
            "SELECT id FROM run WHERE state = ?", (RunState.CHECKING.value,)
        ).fetchall()
        return [str(row[0]) for row in rows]

    def now(self) -> float:
        return self._clock()


_RUN_COLUMNS = frozenset(
    {"size", "state", "message", "rows", "counts", "results_format", "started_by", "started",
     "finished", "stopped_by"}
)  # fmt: skip


def _record(row: sqlite3.Row) -> RunRecord:
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
    )
