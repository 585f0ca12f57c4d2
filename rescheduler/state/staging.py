"""The listing's journal on disk (SQLite): every item by appointId, every page, the fields seen.

A listing is paged through in *sweeps* (``pager``); each page is stored in one transaction with
its items, so after a crash or Ctrl-C the journal holds exactly the pages that arrived, and
``export --resume`` asks only for the others. Items are keyed by appointId: a reservation seen
on two pages (the list moved under the pager) is stored once, with the values last seen and
the place it was first seen in its latest sweep (``seq``, for the output order). ``sweep`` says
in which sweep an item was last seen, so a complete sweep can be told from the remains of
earlier ones. A reservation listed twice in one sweep with *different* values is a
``conflict``: that sweep cannot be complete, and ``items(consistent=True)`` leaves it out (the
snapshot must not take either set of values for what the server holds).

Memory stays flat: items go to disk page by page and come back through a cursor. The journal
is a scratch file: a new export (without ``--resume``), or one of another listing (other
filters, VDN, server or page size), starts it afresh. ``lookup`` reads one item by appointId,
for a caller that listed reservations to compare with (the snapshot before a run).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, NamedTuple

import orjson

from rescheduler.errors import OutputError
from rescheduler.i18n import _

SCHEMA_VERSION = "1"
_CHUNK = 500  # SQL variables per query, well below every SQLite build's limit
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS page (
    sweep INTEGER NOT NULL, start INTEGER NOT NULL, asked INTEGER NOT NULL,
    received INTEGER NOT NULL, unusable INTEGER NOT NULL, total INTEGER,
    PRIMARY KEY (sweep, start)
);
CREATE TABLE IF NOT EXISTS item (
    appoint_id TEXT PRIMARY KEY, seq INTEGER NOT NULL, sweep INTEGER NOT NULL, data BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS item_order ON item (sweep, seq);
CREATE TABLE IF NOT EXISTS field (name TEXT PRIMARY KEY, pos INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS conflict (
    appoint_id TEXT NOT NULL, sweep INTEGER NOT NULL, PRIMARY KEY (appoint_id, sweep)
);
"""


_ITEMS = {  # (of one sweep, consistent only) -> the query, in list order
    (False, False): "SELECT appoint_id, data FROM item ORDER BY seq, appoint_id",
    (True, False): "SELECT appoint_id, data FROM item WHERE sweep = ? ORDER BY seq, appoint_id",
    (False, True): (
        "SELECT appoint_id, data FROM item WHERE NOT EXISTS (SELECT 1 FROM conflict c "
        "WHERE c.appoint_id = item.appoint_id AND c.sweep = item.sweep) "
        "ORDER BY seq, appoint_id"
    ),
    (True, True): (
        "SELECT appoint_id, data FROM item WHERE sweep = ? AND NOT EXISTS (SELECT 1 FROM "
        "conflict c WHERE c.appoint_id = item.appoint_id AND c.sweep = item.sweep) "
        "ORDER BY seq, appoint_id"
    ),
}


class StoredPage(NamedTuple):
    asked: int
    received: int
    unusable: int
    total: int | None


class Staging:
    """``with Staging(path, fingerprint, resume=...) as staging: ...``."""

    def __init__(self, path: Path, fingerprint: str, *, resume: bool) -> None:
        self.path = Path(path)
        self.fingerprint = fingerprint
        self.resumed = False  # True when pages from an earlier, interrupted export are reused
        self._resume = resume
        self._db: sqlite3.Connection | None = None
        self._fields: dict[str, int] = {}

    # -- lifecycle ------------------------------------------------------------------------
    def open(self) -> Staging:
        try:
            if self._resume and self.path.exists():
                self._connect()
                if (
                    self._meta("fingerprint") == self.fingerprint
                    and self._meta("schema") == SCHEMA_VERSION
                ):
                    self.resumed = self.pages() > 0
                else:
                    self.close()
                    self.discard()
            if self._db is None:
                self.discard()
                self._connect()
                self._set_meta("fingerprint", self.fingerprint)
                self._set_meta("schema", SCHEMA_VERSION)
                self._set_meta("sweep", "1")
            self._fields = dict(self.db.execute("SELECT name, pos FROM field").fetchall())
        except sqlite3.Error as exc:
            self.close()
            raise OutputError(
                _("{path}: cannot use the export journal: {error}").format(
                    path=self.path, error=exc
                )
            ) from None
        except OSError as exc:
            self.close()
            raise OutputError(
                _("{path}: cannot use the export journal: {error}").format(
                    path=self.path, error=exc.strerror or exc
                )
            ) from None
        return self

    def _connect(self) -> None:
        self._db = sqlite3.connect(self.path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    @property
    def db(self) -> sqlite3.Connection:
        assert self._db is not None, "use 'with Staging(...)'"
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def discard(self) -> None:
        """Remove the journal's files (after a complete export, or to start afresh)."""
        self.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)

    def __enter__(self) -> Staging:
        return self.open()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- meta -----------------------------------------------------------------------------
    def _meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def _set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    @property
    def sweep(self) -> int:
        return int(self._meta("sweep") or "1")

    def start_sweep(self, sweep: int) -> None:
        self._write(lambda: self._set_meta("sweep", str(sweep)))

    def page_size(self, sweep: int) -> int | None:
        """The page size the pager settled on for ``sweep`` (the server may cap it)."""
        value = self._meta(f"page_size.{sweep}")
        return None if value is None else int(value)

    def set_page_size(self, sweep: int, size: int) -> None:
        self._write(lambda: self._set_meta(f"page_size.{sweep}", str(size)))

    # -- pages and items ------------------------------------------------------------------
    def add_page(
        self,
        sweep: int,
        offset: int,
        asked: int,
        received: int,
        total: int | None,
        ids: Sequence[str],
        items: Sequence[Any],
    ) -> int:
        """Store one page and its (usable) items; the number of items new to ``sweep``.

        ``received`` counts every item the answer held, usable or not.
        """
        new = 0

        def write() -> None:
            nonlocal new
            db = self.db
            mine: dict[str, Any] = {}
            clash: set[str] = set()
            for ident, item in zip(ids, items, strict=True):
                if ident in mine and mine[ident] != item:
                    clash.add(ident)  # twice on one page, with different values
                mine[ident] = item
            fresh = list(mine)
            new = len(fresh)
            for at in range(0, len(fresh), _CHUNK):
                chunk = fresh[at : at + _CHUNK]
                marks = ",".join("?" * len(chunk))
                # by the primary key only (a "sweep = ?" term here made SQLite scan the sweep)
                found = db.execute(
                    f"SELECT appoint_id, sweep, data FROM item WHERE appoint_id IN ({marks})", chunk
                )
                for ident, seen, data in found:
                    if seen == sweep:
                        new -= 1
                        if orjson.loads(data) != mine[ident]:
                            clash.add(ident)  # listed before in this sweep, with other values
            db.executemany(
                "INSERT OR IGNORE INTO conflict VALUES (?, ?)", [(i, sweep) for i in clash]
            )
            db.executemany(
                "INSERT INTO item VALUES (?, ?, ?, ?) ON CONFLICT (appoint_id) DO UPDATE SET "
                "seq = CASE WHEN item.sweep = excluded.sweep THEN item.seq ELSE excluded.seq END, "
                "sweep = excluded.sweep, data = excluded.data",
                [
                    (ident, offset + n, sweep, orjson.dumps(item))
                    for n, (ident, item) in enumerate(zip(ids, items, strict=True))
                ],
            )
            for item in items:
                for name in item:
                    if name not in self._fields:
                        self._fields[name] = len(self._fields)
                        db.execute("INSERT INTO field VALUES (?, ?)", (name, self._fields[name]))
            db.execute(
                "INSERT OR REPLACE INTO page VALUES (?, ?, ?, ?, ?, ?)",
                (sweep, offset, asked, received, received - len(ids), total),
            )

        self._write(write)
        return new

    def _write(self, action: Any) -> None:
        try:
            self.db.execute("BEGIN")
            action()
            self.db.execute("COMMIT")
        except sqlite3.Error as exc:
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            raise OutputError(
                _("{path}: cannot write the export journal: {error}").format(
                    path=self.path, error=exc
                )
            ) from None

    def done_offsets(self, sweep: int) -> dict[int, StoredPage]:
        """Pages stored for ``sweep`` by offset."""
        rows = self.db.execute(
            "SELECT start, asked, received, unusable, total FROM page WHERE sweep = ?", (sweep,)
        )
        return {row[0]: StoredPage(*row[1:]) for row in rows}

    def pages(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM page").fetchone()[0])

    def seen_in(self, sweep: int) -> int:
        """Distinct reservations seen in ``sweep``."""
        query = "SELECT count(*) FROM item WHERE sweep = ?"
        return int(self.db.execute(query, (sweep,)).fetchone()[0])

    def conflicts(self, sweep: int) -> int:
        """Reservations listed twice in ``sweep`` with different values: the list moved (or the
        server contradicts itself); which values hold now cannot be told."""
        query = "SELECT count(*) FROM conflict WHERE sweep = ?"
        return int(self.db.execute(query, (sweep,)).fetchone()[0])

    def count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM item").fetchone()[0])

    def fields(self) -> list[str]:
        """Every field name seen in any item, in the order first seen."""
        return sorted(self._fields, key=self._fields.__getitem__)

    def items(
        self, sweep: int | None = None, *, consistent: bool = False
    ) -> Iterator[tuple[str, Any]]:
        """``(appointId, item)`` in list order: those last seen in ``sweep``, or all (None).
        ``consistent``: without the reservations listed with two sets of values in the sweep
        they were last seen in (what the server holds for them is not known)."""
        query = _ITEMS[sweep is not None, consistent]
        cursor = self.db.execute(query, () if sweep is None else (sweep,))
        for ident, data in cursor:
            yield str(ident), orjson.loads(data)

    def lookup(self, appoint_id: str) -> Any | None:
        """The item last listed for ``appoint_id``, or None."""
        row = self.db.execute(
            "SELECT data FROM item WHERE appoint_id = ?", (appoint_id,)
        ).fetchone()
        return None if row is None else orjson.loads(row[0])
