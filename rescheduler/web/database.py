"""The upload page's SQLite database, ``web.sqlite3`` (``store.Store`` is what uses it): its
schema, the migrations applied in order at start-up (``PRAGMA user_version`` counts those
applied), the connection's settings (WAL: the ``user`` commands may change accounts while the
server runs; foreign keys; a busy timeout) and short write transactions.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

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
# Schema changes, in order; PRAGMA user_version counts those applied.
_MIGRATIONS = (
    # 1: roles. Accounts made before roles existed become supervisors.
    "ALTER TABLE user ADD COLUMN role TEXT NOT NULL DEFAULT 'supervisor'",
    # 2: the page's language, kept with the account ('' = from the browser).
    "ALTER TABLE user ADD COLUMN language TEXT NOT NULL DEFAULT ''",
    # 3: what a run does with rows of one appointId and different changes (reject | last).
    "ALTER TABLE run ADD COLUMN on_conflict TEXT NOT NULL DEFAULT ''",
    # 4: how many times a run was started (1 + resumes), so its page reads as one job.
    "ALTER TABLE run ADD COLUMN starts INTEGER NOT NULL DEFAULT 0",
    # 5: the last time a run changed state (a check again, a start, an end): retention's clock.
    "ALTER TABLE run ADD COLUMN touched REAL",
)


def connect(path: Path) -> sqlite3.Connection:
    """The database at ``path``, created or migrated to the current schema."""
    db = sqlite3.connect(path, isolation_level=None)
    db.row_factory = sqlite3.Row
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA foreign_keys=ON")
    db.execute("PRAGMA busy_timeout=5000")
    db.executescript(_SCHEMA)
    _migrate(db)
    return db


def _migrate(db: sqlite3.Connection) -> None:
    with transaction(db):
        version = int(db.execute("PRAGMA user_version").fetchone()[0])
        for number, statement in enumerate(_MIGRATIONS[version:], version + 1):
            db.execute(statement)
            db.execute(f"PRAGMA user_version = {number}")


@contextlib.contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[None]:
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
