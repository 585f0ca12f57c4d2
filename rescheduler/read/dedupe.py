"""Duplicate appointIds across the whole file, in bounded memory.

Pass one feeds ``(line, key, payload_hash)`` for every valid row into a ``DuplicateScan``
(a private temporary SQLite database on disk, deleted when closed); ``decisions`` then names
only the lines that must not be sent (``decide`` + ``decided``: the same, kept on disk and
streamed back in line order, so even a file of nothing but duplicates is not held in memory).
Per key (``"{vdnId}:{appointId}"``):

- all rows carry the same changes: the first is sent, the others are ``skipped``
  ("duplicate of line N", N = the line sent; error code ``duplicate``);
- the changes differ, ``on_conflict="reject"``: every row of the key is ``invalid``
  ("conflicts with line N…", listing the other lines; the engine puts it under the
  appointId column as written; ``conflict``);
- the changes differ, ``on_conflict="last"``: the last row is sent, the others are ``skipped``
  ("superseded by line N"; ``superseded``).

An invalid row whose appointId is readable takes part too, with the digest ``INVALID_ROW``
(its change is unknown): with ``reject`` the valid rows of its key conflict with it
(``conflict``, naming the invalid line); with ``last``, when the invalid row is the last one
nothing is sent for the key (the valid rows are ``superseded`` by the invalid line, which the
message says to fix), and when a valid row is last, that row is sent. The invalid row keeps
its own problems either way.

So one run never sends two requests for one reservation, nor one that a later row of the
file contradicts. ``decide_group`` holds that logic as a pure function; the SQLite part only
groups the rows.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import sqlite3
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from types import TracebackType
from typing import Any, ParamSpec, TypeVar

from rescheduler.errors import OutputError
from rescheduler.i18n import _, ngettext
from rescheduler.models import Status, UpdateRequest

REJECT = "reject"
LAST = "last"
ON_CONFLICT = (REJECT, LAST)
MAX_LISTED_LINES = 10
_BATCH = 20_000

Decision = tuple[Status, str, str]  # (status, error code, message)
DUPLICATE, SUPERSEDED, CONFLICT = "duplicate", "superseded", "conflict"
P = ParamSpec("P")
R = TypeVar("R")
INVALID_ROW = "!invalid"  # the payload hash of an invalid row whose appointId is readable


def _no_room(fn: Callable[P, R]) -> Callable[P, R]:
    """The duplicate check's SQLite store spills to a temporary file for large inputs: a full
    disk there is a problem of the machine, said in one line (``OutputError``), not a crash."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except sqlite3.OperationalError as exc:
            if not any(word in str(exc) for word in ("disk", "full")):
                raise
            raise OutputError(
                _("no room for the duplicate check's temporary store ({error}): free space in "
                  "{folder}, or set TMPDIR to a folder with room").format(
                    error=exc, folder=tempfile.gettempdir()
                )
            ) from exc  # fmt: skip

    return wrapper


def dedupe_key(request: UpdateRequest) -> str:
    """The identity of a reservation within one run: ``"{vdnId}:{appointId}"``."""
    return f"{request.vdn_id}:{request.appoint_id}"


def payload_hash(request: UpdateRequest) -> str:
    """A digest of the changes a request makes (its body; the line number does not count)."""
    text = json.dumps(request.body(), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def _lines(lines: Sequence[int]) -> str:
    shown = ", ".join(str(n) for n in lines[:MAX_LISTED_LINES])
    more = len(lines) - MAX_LISTED_LINES
    if more > 0:
        return _("lines {lines} and {more} more").format(lines=shown, more=more)
    return ngettext("line {lines}", "lines {lines}", len(lines)).format(lines=shown)


def decide_group(rows: Sequence[tuple[int, str]], on_conflict: str) -> list[tuple[int, Decision]]:
    """Decide one key's rows ``(line, payload_hash)``; returns only the lines not to send.

    Rows whose hash is ``INVALID_ROW`` are invalid already: they get no decision, but the
    valid rows are decided against them (module docstring).
    """
    if on_conflict not in ON_CONFLICT:
        raise ValueError(f"on_conflict must be one of {', '.join(ON_CONFLICT)}")
    ordered = sorted(rows)
    if len(ordered) < 2:
        return []
    broken = [line for line, digest in ordered if digest == INVALID_ROW]
    if broken:
        return _against_invalid(ordered, broken, on_conflict)
    lines = [line for line, _digest in ordered]
    if len({digest for _line, digest in ordered}) == 1:
        why = _("duplicate of line {line}").format(line=lines[0])
        return [(line, (Status.SKIPPED, DUPLICATE, why)) for line in lines[1:]]
    if on_conflict == LAST:
        why = _("superseded by line {line}").format(line=lines[-1])
        return [(line, (Status.SKIPPED, SUPERSEDED, why)) for line in lines[:-1]]
    conflict = _(
        "conflicts with {lines}: same appointId, different changes (keep one row, or run "
        "with --on-conflict last)"
    )
    return [
        (
            line,
            (
                Status.INVALID,
                CONFLICT,
                conflict.format(lines=_lines([o for o in lines if o != line])),
            ),
        )
        for line in lines
    ]


def _against_invalid(
    ordered: list[tuple[int, str]], broken: list[int], on_conflict: str
) -> list[tuple[int, Decision]]:
    valid = [(line, digest) for line, digest in ordered if digest != INVALID_ROW]
    if on_conflict == LAST:
        last, last_digest = ordered[-1]
        if last_digest == INVALID_ROW:
            why = _(
                "superseded by line {line}, which is invalid: nothing is sent for this "
                "appointId until line {line} is fixed"
            ).format(line=last)
            return [(line, (Status.SKIPPED, SUPERSEDED, why)) for line, _digest in valid]
        decided: list[tuple[int, Decision]] = []
        for line, digest in valid[:-1]:
            if digest == last_digest:
                why = _("duplicate of line {line}").format(line=last)
                decided.append((line, (Status.SKIPPED, DUPLICATE, why)))
            else:
                why = _("superseded by line {line}").format(line=last)
                decided.append((line, (Status.SKIPPED, SUPERSEDED, why)))
        return decided
    why = _(
        "conflicts with {lines}, which is invalid (same appointId): fix it or delete one of "
        "the rows; nothing is sent for this appointId until then"
    ).format(lines=_lines(broken))
    return [(line, (Status.INVALID, CONFLICT, why)) for line, _digest in valid]


@_no_room
def _insert(db: sqlite3.Connection, sql: str, rows: list[Any]) -> None:
    """Insert a batch in one transaction and empty it."""
    if rows:
        db.execute("BEGIN")
        db.executemany(sql, rows)
        db.execute("COMMIT")
        rows.clear()


class DuplicateScan:
    """Collects every valid row's key on disk; use as a context manager (or call ``close``)."""

    def __init__(self) -> None:
        # "" = a private temporary on-disk database, deleted by SQLite when closed.
        # Not bound to its thread: the engine fills it in a worker thread (pass one) and reads
        # the decisions on the event loop (pass two), one after the other, never at once.
        self._db = sqlite3.connect("", isolation_level=None, check_same_thread=False)
        self._db.executescript(
            "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-16000;"
            "PRAGMA temp_store=FILE;"
            "CREATE TABLE seen (key TEXT NOT NULL, line INTEGER NOT NULL, hash TEXT NOT NULL);"
        )
        self._pending: list[tuple[str, int, str]] = []
        self._count = 0
        self._indexed = False

    def __enter__(self) -> DuplicateScan:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __len__(self) -> int:
        return self._count

    def add(self, line: int, key: str, payload_hash: str) -> None:
        """Record one valid row (pass one). Rows may come in any order."""
        if self._indexed:
            raise RuntimeError("DuplicateScan.add after decisions()")
        self._pending.append((key, line, payload_hash))
        self._count += 1
        if len(self._pending) >= _BATCH:
            self._flush()

    def add_many(self, rows: Iterable[tuple[int, str, str]]) -> None:
        """``add`` for each ``(line, key, payload_hash)``."""
        for line, key, digest in rows:
            self.add(line, key, digest)

    def _flush(self) -> None:
        _insert(self._db, "INSERT INTO seen VALUES (?, ?, ?)", self._pending)

    def iter_decisions(self, on_conflict: str) -> Iterator[tuple[int, Decision]]:
        """Stream ``(line, (status, code, message))`` for every line that must not be sent."""
        if on_conflict not in ON_CONFLICT:
            raise ValueError(f"on_conflict must be one of {', '.join(ON_CONFLICT)}")
        self._flush()
        if not self._indexed:
            self._db.execute("CREATE INDEX seen_key ON seen (key, line, hash)")
            self._indexed = True
        cursor = self._db.execute(
            "SELECT key, line, hash FROM seen WHERE key IN "
            "(SELECT key FROM seen GROUP BY key HAVING COUNT(*) > 1) ORDER BY key, line"
        )
        for _key, group in itertools.groupby(cursor, key=lambda r: r[0]):
            yield from decide_group([(line, digest) for _k, line, digest in group], on_conflict)

    @_no_room
    def decide(self, on_conflict: str) -> int:
        """Store the decisions on disk for ``decided``; return how many lines they cover."""
        self._db.execute("DROP TABLE IF EXISTS decided")
        self._db.execute(
            "CREATE TABLE decided (line INTEGER PRIMARY KEY, status TEXT NOT NULL, code TEXT, "
            "why TEXT)"
        )
        count = 0
        batch: list[tuple[int, str, str, str]] = []
        self._flush()  # its own transaction, before ours
        self._db.execute("BEGIN")
        for line, (status, code, why) in self.iter_decisions(on_conflict):
            batch.append((line, status.value, code, why))
            count += 1
            if len(batch) >= _BATCH:
                self._db.executemany("INSERT INTO decided VALUES (?, ?, ?, ?)", batch)
                batch.clear()
        self._db.executemany("INSERT INTO decided VALUES (?, ?, ?, ?)", batch)
        self._db.execute("COMMIT")
        return count

    def decided(self) -> Iterator[tuple[int, Decision]]:
        """The lines ``decide`` stored, in line order, streamed from disk (memory: O(1))."""
        for line, status, code, why in self._db.execute("SELECT * FROM decided ORDER BY line"):
            yield line, (Status(status), code, why)

    def decisions(self, on_conflict: str) -> dict[int, Decision]:
        """line -> (status, code, message) for the lines not to send (memory: duplicates only)."""
        return dict(self.iter_decisions(on_conflict))

    def close(self) -> None:
        """Drop the temporary database (idempotent)."""
        self._pending.clear()
        self._db.close()


class KeyCounter:
    """Pass one's cheap half: which reservation keys occur more than once in the file?

    Keys are 64-bit hashes (``hash()`` of the cleaned vdnId and appointId cells), stored on
    disk in batches. ``repeated`` is True for every key seen twice or more; a hash collision
    only makes the engine validate a few more rows, never decides anything by itself.
    """

    SET_LIMIT = 200_000  # repeated keys held in memory up to this many; beyond, asked of SQLite

    def __init__(self) -> None:
        self._db = sqlite3.connect("", isolation_level=None, check_same_thread=False)
        self._db.executescript(
            "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA temp_store=FILE;"
            "CREATE TABLE k (h INTEGER NOT NULL);"
        )
        self._pending: list[tuple[int]] = []
        self._repeated: set[int] | None = None
        self.repeats = 0

    def add(self, key_hash: int) -> None:
        self._pending.append((key_hash,))
        if len(self._pending) >= _BATCH:
            self._flush()

    def _flush(self) -> None:
        _insert(self._db, "INSERT INTO k VALUES (?)", self._pending)

    @_no_room
    def finish(self) -> int:
        """Find the repeated keys; return how many there are."""
        self._flush()
        self._db.execute("CREATE TABLE dup AS SELECT h FROM k GROUP BY h HAVING COUNT(*) > 1")
        self._db.execute("DROP TABLE k")
        self.repeats = self._db.execute("SELECT COUNT(*) FROM dup").fetchone()[0]
        if self.repeats <= self.SET_LIMIT:
            self._repeated = {h for (h,) in self._db.execute("SELECT h FROM dup")}
        else:
            self._db.execute("CREATE INDEX dup_h ON dup (h)")
        return int(self.repeats)

    @_no_room
    def repeated(self, key_hash: int) -> bool:
        if self._repeated is not None:
            return key_hash in self._repeated
        found = self._db.execute("SELECT 1 FROM dup WHERE h = ? LIMIT 1", (key_hash,))
        return found.fetchone() is not None

    def close(self) -> None:
        self._pending.clear()
        self._repeated = None
        self._db.close()
