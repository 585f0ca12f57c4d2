"""The snapshot's store on disk (SQLite): the rows a run sends, what the server listed, outcomes.

    scope    line -> (key, vdn, appointId, body)   the rows the run would send (this run)
    listed   key -> item                           listed before sending (this run)
    checked  key -> item                           listed after sending (--verify)
    outcome  line -> flag                          rows that changed the server (this run)
    before   key -> (item, run)                    the values an undo puts back (kept)

``key`` is ``"{vdnId}:{appointId}"``, as in the journal. Everything but ``before`` is this run's
and cleared when the next run opens the store. ``before`` holds, for every reservation a run
changed, the item listed before that run touched it, and survives ``--resume`` (a new run
without ``--resume`` starts the file afresh, as the journal does): a resumed run's undo file puts
back the values from before the first run. Memory stays flat: rows go to disk in batches and
come back through cursors, joined by SQLite; the reading cursor uses a connection of its own, so
outcomes can be written while it streams.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Generator, Iterable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import orjson

from rescheduler.errors import OutputError
from rescheduler.i18n import _

CHANGED, UNCERTAIN, EARLIER = 1, 2, 3  # outcome flags: succeeded; no answer; an earlier run's
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS scope (
    line INTEGER PRIMARY KEY, key TEXT NOT NULL, vdn INTEGER NOT NULL,
    appoint_id TEXT NOT NULL, body BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS listed (key TEXT PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS checked (key TEXT PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS outcome (line INTEGER PRIMARY KEY, flag INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS before (key TEXT PRIMARY KEY, data BLOB NOT NULL, run INTEGER NOT NULL);
"""
_PER_RUN = ("scope", "listed", "checked", "outcome")
# Rows of a VDN (with an outcome flag) whose reservation a listing table lacks.
_MISSING = {
    "listed": "SELECT count(*) FROM scope s LEFT JOIN listed t USING (key) "
    "WHERE s.vdn = ? AND t.key IS NULL",
    "checked": "SELECT count(*) FROM scope s LEFT JOIN checked t USING (key) "
    "WHERE s.vdn = ? AND t.key IS NULL",
}
_MISSING_FLAGGED = {
    "listed": "SELECT count(*) FROM scope s JOIN outcome o USING (line) LEFT JOIN listed t "
    "USING (key) WHERE s.vdn = ? AND o.flag = ? AND t.key IS NULL",
    "checked": "SELECT count(*) FROM scope s JOIN outcome o USING (line) LEFT JOIN checked t "
    "USING (key) WHERE s.vdn = ? AND o.flag = ? AND t.key IS NULL",
}
_BATCH = 2000


class PlanRow(NamedTuple):
    line: int
    key: str
    vdn: int
    appoint_id: str
    body: dict[str, Any]
    current: Any | None  # the item listed before sending (None: not listed)
    before: Any | None  # the item an undo puts back (None: unknown)
    before_run: int | None  # the run that listed ``before``


class StateDB:
    def __init__(self, path: Path, *, resume: bool) -> None:
        self.path = Path(path)
        self._resume = resume
        self._db: sqlite3.Connection | None = None
        self._reader: sqlite3.Connection | None = None
        self.run = 1  # this run's number in a chain of --resume runs

    # -- lifecycle ------------------------------------------------------------------------
    def open(self) -> StateDB:
        def start() -> None:
            if not self._resume:
                self.discard()
            self._db = self._connect()
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
            row = self._db.execute("SELECT value FROM meta WHERE key = 'run'").fetchone()
            self.run = int(row[0]) + 1 if row is not None else 1
            self._db.execute("INSERT OR REPLACE INTO meta VALUES ('run', ?)", (str(self.run),))
            for table in _PER_RUN:
                self._db.execute(f"DELETE FROM {table}")

        self._guard(start, _("cannot use the snapshot file"))
        return self

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA auto_vacuum=FULL")  # per-run tables cleared at the end shrink the file
        return db

    def _guard(self, action: Any, what: str) -> Any:
        try:
            return action()
        except (sqlite3.Error, OSError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else exc
            raise OutputError(
                _("{path}: {what}: {reason}").format(path=self.path, what=what, reason=reason),
                path=self.path,
            ) from None

    @property
    def db(self) -> sqlite3.Connection:
        assert self._db is not None, "open() first"
        return self._db

    def close(self) -> None:
        for connection in (self._reader, self._db):
            if connection is not None:
                connection.close()
        self._reader = self._db = None

    def discard(self) -> None:
        self.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)

    def finish(self) -> None:
        """Keep only what a ``--resume`` needs: the earlier values of the rows this run changed."""

        def tidy() -> None:
            db = self.db
            db.execute("BEGIN")
            db.execute(
                "DELETE FROM before WHERE run = ? AND key NOT IN (SELECT s.key FROM scope s "
                "JOIN outcome o USING (line) WHERE o.flag != ?)",
                (self.run, EARLIER),
            )
            for table in _PER_RUN:
                db.execute(f"DELETE FROM {table}")
            db.execute("COMMIT")

        self._guard(tidy, _("cannot write the snapshot file"))
        self.close()

    # -- writing ----------------------------------------------------------------------------
    def _write(self, sql: str, rows: Iterable[tuple[Any, ...]]) -> int:
        count = 0

        def write(batch: list[tuple[Any, ...]]) -> None:
            def action() -> None:
                self.db.execute("BEGIN")
                try:
                    self.db.executemany(sql, batch)
                except BaseException:
                    self.db.execute("ROLLBACK")
                    raise
                self.db.execute("COMMIT")

            self._guard(action, _("cannot write the snapshot file"))

        batch: list[tuple[Any, ...]] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= _BATCH:
                write(batch)
                count += len(batch)
                batch = []
        if batch:
            write(batch)
            count += len(batch)
        return count

    def add_scope(self, rows: Iterable[tuple[int, str, int, str, bytes]]) -> int:
        """``(line, key, vdn, appointId, body)`` of each row the run would send."""
        return self._write("INSERT OR REPLACE INTO scope VALUES (?, ?, ?, ?, ?)", rows)

    def add_items(self, table: str, vdn: int, items: Iterable[tuple[str, Any]]) -> int:
        """Listed ``(appointId, item)`` into ``listed`` (before) or ``checked`` (after)."""
        assert table in ("listed", "checked")
        return self._write(
            f"INSERT OR REPLACE INTO {table} VALUES (?, ?)",
            ((f"{vdn}:{ident}", orjson.dumps(item)) for ident, item in items),
        )

    def add_outcomes(self, rows: Iterable[tuple[int, int]]) -> int:
        return self._write("INSERT OR REPLACE INTO outcome VALUES (?, ?)", rows)

    def keep_before(self) -> None:
        """Record the listed items as the values to put back, unless an earlier run of this
        chain (``--resume``) already recorded them."""

        def keep() -> None:
            self.db.execute(
                "INSERT INTO before SELECT s.key, l.data, ? FROM scope s JOIN listed l "
                "USING (key) WHERE true ON CONFLICT (key) DO NOTHING",
                (self.run,),
            )

        self._guard(keep, _("cannot write the snapshot file"))

    # -- reading ----------------------------------------------------------------------------
    def missing(self, vdn: int, table: str = "listed", *, flag: int | None = None) -> int:
        """Rows of ``vdn`` (with outcome ``flag``, if given) whose reservation ``table`` lacks."""
        assert table in ("listed", "checked")
        args: tuple[int, ...] = (vdn,) if flag is None else (vdn, flag)
        sql = _MISSING[table] if flag is None else _MISSING_FLAGGED[table]
        row = self._guard(lambda: self.db.execute(sql, args).fetchone(), _("cannot read it"))
        return int(row[0])

    def plan(self) -> Generator[PlanRow]:
        """Every scope row in line order, with its listed and its earlier item."""
        sql = (
            "SELECT s.line, s.key, s.vdn, s.appoint_id, s.body, l.data, b.data, b.run "
            "FROM scope s LEFT JOIN listed l USING (key) LEFT JOIN before b USING (key) "
            "ORDER BY s.line"
        )
        return self._rows(sql, ())

    def changed(self) -> Iterator[tuple[PlanRow, int]]:
        """The rows with an outcome flag, in line order: ``(row, flag)``."""
        sql = (
            "SELECT s.line, s.key, s.vdn, s.appoint_id, s.body, NULL, b.data, b.run, o.flag "
            "FROM scope s JOIN outcome o USING (line) LEFT JOIN before b USING (key) "
            "ORDER BY s.line"
        )
        for row in self._cursor(sql, ()):
            yield _plan_row(row), int(row[8])

    def checked_rows(self) -> Iterator[PlanRow]:
        """The succeeded rows in line order, ``current`` = their item listed after the run."""
        sql = (
            "SELECT s.line, s.key, s.vdn, s.appoint_id, s.body, c.data, NULL, NULL "
            "FROM scope s JOIN outcome o USING (line) LEFT JOIN checked c USING (key) "
            "WHERE o.flag = ? ORDER BY s.line"
        )
        return self._rows(sql, (CHANGED,))

    def before_items(self) -> Iterator[tuple[int, str, Any]]:
        """``(vdn, appointId, item)`` for each scope row with an earlier item, in line order."""
        sql = (
            "SELECT s.vdn, s.appoint_id, b.data FROM scope s JOIN before b USING (key) "
            "ORDER BY s.line"
        )
        for vdn, ident, data in self._cursor(sql, ()):
            yield int(vdn), str(ident), orjson.loads(data)

    def _rows(self, sql: str, args: tuple[Any, ...]) -> Generator[PlanRow]:
        for row in self._cursor(sql, args):
            yield _plan_row(row)

    def _cursor(self, sql: str, args: tuple[Any, ...]) -> Iterator[tuple[Any, ...]]:
        if self._reader is None:
            self._reader = self._guard(self._connect, _("cannot read it"))
        reader = self._reader
        cursor = self._guard(lambda: reader.execute(sql, args), _("cannot read it"))
        try:
            while True:
                rows = self._guard(lambda: cursor.fetchmany(500), _("cannot read it"))
                if not rows:
                    return
                yield from rows
        finally:  # also when left unfinished (a run that stopped), maybe after close()
            with contextlib.suppress(sqlite3.Error):
                cursor.close()


def _plan_row(row: tuple[Any, ...]) -> PlanRow:
    return PlanRow(
        line=int(row[0]),
        key=str(row[1]),
        vdn=int(row[2]),
        appoint_id=str(row[3]),
        body=orjson.loads(row[4]),
        current=None if row[5] is None else orjson.loads(row[5]),
        before=None if row[6] is None else orjson.loads(row[6]),
        before_run=None if row[7] is None else int(row[7]),
    )
