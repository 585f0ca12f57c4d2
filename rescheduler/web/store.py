"""The web server's durable state: one SQLite database and one folder per run, under ``data_dir``.

    data_dir/                mode 0700: it holds password hashes and every uploaded sheet
      web.sqlite3            accounts (role, language), sessions and the run history (WAL:
                             the ``user`` commands may change accounts while the server runs)
      runs/<run id>/         input<suffix> (the upload, under a name of our own), preview.json,
                             validation.csv + validation.errors.csv (the dry run),
                             results.csv|xlsx + results.errors.csv|xlsx, results.journal.sqlite,
                             results.run.json (the run record; not offered for download)
                             (each results file written as <name>.partial until complete;
                             <name>.lock: the run's lock, left in place)
      audit.log              the append-only audit log (``audit.py``)

Sessions are stored by the SHA-256 of their token, so a copy of the database does not hold a
usable cookie. Run IDs and session tokens come from ``secrets``. Each account has a role
(``roles.py``); the history records who uploaded, started and stopped each run. The schema is
migrated in place at start-up (``PRAGMA user_version``; ``database.py``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from rescheduler.errors import OutputError
from rescheduler.i18n import _
from rescheduler.web.database import connect, transaction
from rescheduler.web.notes import CUT_OFF_CHECK, INTERRUPTED_RUN
from rescheduler.web.records import (
    ACTIVE,
    CHECKABLE,
    RUN_COLUMNS,
    STARTABLE,
    Account,
    RunRecord,
    RunState,
    Session,
    run_record,
)
from rescheduler.web.roles import DEFAULT_ROLE, Role

__all__ = [
    "ACTIVE",
    "CHECKABLE",
    "STARTABLE",
    "Account",
    "RunRecord",
    "RunState",
    "Session",
    "Store",
    "UserExists",
]

SESSION_IDLE_S = 8 * 3600  # signed out after 8 hours without a request
SESSION_MAX_S = 24 * 3600  # and 24 hours after signing in, whatever happens
_TOUCH_EVERY_S = 60

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
            self._db = connect(data_dir / "web.sqlite3")
        except (OSError, sqlite3.Error) as exc:
            raise OutputError(
                _("cannot use the web data folder {folder}: {error}").format(
                    folder=data_dir, error=exc
                )
            ) from None

    def close(self) -> None:
        self._db.close()

    def _transaction(self) -> contextlib.AbstractContextManager[None]:
        return transaction(self._db)

    # -- accounts -----------------------------------------------------------------------------
    def add_user(self, name: str, password_hash: str, role: Role = DEFAULT_ROLE) -> None:
        try:
            self._db.execute(
                "INSERT INTO user (name, password_hash, created, role) VALUES (?, ?, ?, ?)",
                (name, password_hash, self._clock(), Role(role).value),
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

    def set_role(self, name: str, role: Role) -> bool:
        cur = self._db.execute("UPDATE user SET role = ? WHERE name = ?", (Role(role).value, name))
        return cur.rowcount == 1

    def set_language(self, name: str, language: str) -> bool:
        """Keep ``language`` (``en``, ``zh-CN``; "" = follow the browser) with the account."""
        cur = self._db.execute("UPDATE user SET language = ? WHERE name = ?", (language, name))
        return cur.rowcount == 1

    def users(self) -> list[Account]:
        rows = self._db.execute("SELECT name, role, created FROM user ORDER BY name").fetchall()
        return [Account(str(r[0]), Role(r[1]), float(r[2])) for r in rows]

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
            "SELECT s.user, s.csrf, s.created, s.seen, u.role, u.language FROM session s "
            "JOIN user u ON u.name = s.user WHERE s.token_hash = ?",
            (key,),
        ).fetchone()
        if row is None:
            return None
        now = self._clock()
        if now - row["seen"] > SESSION_IDLE_S or now - row["created"] > SESSION_MAX_S:
            self._db.execute("DELETE FROM session WHERE token_hash = ?", (key,))
            return None
        if now - row["seen"] > _TOUCH_EVERY_S:
            self._db.execute("UPDATE session SET seen = ? WHERE token_hash = ?", (now, key))
        return Session(
            user=row["user"], csrf=row["csrf"], role=Role(row["role"]), language=row["language"]
        )

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

    def forget_run(self, run_id: str) -> None:
        """Delete a run's history row (the caller removes its folder)."""
        self._db.execute("DELETE FROM run WHERE id = ?", (run_id,))

    def expired_runs(self, before: float) -> list[str]:
        """Runs not active whose last event (upload, check, start, end: any change of state)
        is older than ``before``."""
        rows = self._db.execute(
            "SELECT id FROM run WHERE MAX(uploaded, COALESCE(started, 0), COALESCE(finished, 0), "
            "COALESCE(touched, 0)) < ? AND state NOT IN (?, ?, ?)",
            (before, *sorted(state.value for state in ACTIVE)),
        ).fetchall()
        return [str(row[0]) for row in rows]

    def run_ids(self, uploaded_by: str) -> list[str]:
        """Every run ``uploaded_by`` uploaded (for the disk quota)."""
        rows = self._db.execute("SELECT id FROM run WHERE uploaded_by = ?", (uploaded_by,))
        return [str(row[0]) for row in rows.fetchall()]

    def get_run(self, run_id: str) -> RunRecord | None:
        row = self._db.execute("SELECT * FROM run WHERE id = ?", (run_id,)).fetchone()
        return None if row is None else run_record(row)

    def list_runs(self, limit: int = 200, *, uploaded_by: str | None = None) -> list[RunRecord]:
        """The newest runs first; only ``uploaded_by``'s when given."""
        if uploaded_by is None:
            query, args = "SELECT * FROM run ORDER BY uploaded DESC LIMIT ?", (limit,)
        else:
            query = "SELECT * FROM run WHERE uploaded_by = ? ORDER BY uploaded DESC LIMIT ?"
            args = (uploaded_by, limit)  # type: ignore[assignment]
        return [run_record(row) for row in self._db.execute(query, args).fetchall()]

    def update_run(self, run_id: str, **values: object) -> None:
        """Set some columns of a run (``counts`` as a mapping, ``state`` as a RunState); a
        change of state is activity (``touched``: retention counts from it)."""
        if "state" in values:
            values.setdefault("touched", self._clock())
        if "counts" in values:
            values["counts"] = json.dumps(values["counts"])
        unknown = set(values) - RUN_COLUMNS
        if unknown:
            raise ValueError(f"unknown run columns: {sorted(unknown)}")
        assignments = ", ".join(f"{name} = ?" for name in values)
        self._db.execute(f"UPDATE run SET {assignments} WHERE id = ?", (*values.values(), run_id))

    def recover(self) -> None:
        """After a restart: runs that were sending become INTERRUPTED (resumable); checks that
        never ended become CANCELLED. Nothing is checked again on its own: a file that brought
        the server down must not do it again at every start."""
        with self._transaction():
            self._db.execute(
                "UPDATE run SET state = ?, message = ? WHERE state IN (?, ?)",
                (
                    RunState.INTERRUPTED.value,
                    INTERRUPTED_RUN,
                    RunState.RUNNING.value,
                    RunState.STOPPING.value,
                ),
            )
            self._db.execute(
                "UPDATE run SET state = ?, message = ? WHERE state = ?",
                (RunState.CANCELLED.value, CUT_OFF_CHECK, RunState.CHECKING.value),
            )

    def now(self) -> float:
        return self._clock()
