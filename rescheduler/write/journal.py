"""The durable record of every final row outcome, for ``--resume`` (SQLite, WAL mode).

A row's identity is ``(key, payload_hash)`` where ``key`` is ``"{vdnId}:{appointId}"`` and
``payload_hash`` hashes the exact body sent: a resumed run skips a row whose identical change
already succeeded (whatever line it now sits on), and treats a changed row as new. The input
path and line are stored too, for people reading the journal.

Writes are batched: ``record`` queues, ``commit`` makes the batch durable (the engine commits
every few hundred rows or half a second). A crash costs at most the rows in flight and in the
last batch, which a resumed run sends again (an update is idempotent).

One run at a time: an exclusive, non-blocking ``flock`` on ``<journal>.lock`` is held for the
whole run; a second run on the same journal gets ``JournalLockedError``.

Only a journal is ever replaced or deleted (a run without ``--resume`` starts it over):
``check_journal`` refuses any other file under the journal's name (``--journal`` pointed at
the input or at an earlier results file), before anything is sent. A journal is an SQLite
database marked with ``APPLICATION_ID``, or (written before that mark) one with this schema's
``outcome`` and ``run`` tables.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import sqlite3
import time
import uuid
from pathlib import Path
from types import TracebackType

from rescheduler.errors import JournalLockedError, OutputError
from rescheduler.i18n import _
from rescheduler.models import RowResult, Status
from rescheduler.write import lock
from rescheduler.write.targets import Target, head, not_ours

APPLICATION_ID = 0x52534A4E  # "RSJN": PRAGMA application_id of every journal
_SQLITE = b"SQLite format 3\x00"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outcome (
    key TEXT NOT NULL,
    payload_hash TEXT NOT NULL,
    input TEXT NOT NULL,
    line INTEGER NOT NULL,
    status TEXT NOT NULL,
    result_code TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    error TEXT NOT NULL,
    at TEXT NOT NULL,
    run_id TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS outcome_success
    ON outcome (key, payload_hash) WHERE status = 'succeeded';
CREATE TABLE IF NOT EXISTS run (
    run_id TEXT PRIMARY KEY, input TEXT NOT NULL, started TEXT NOT NULL, finished TEXT
);
"""


@functools.lru_cache(maxsize=2)
def _utc_second(second: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(second))


def _now() -> str:
    """The current UTC time to the second (formatted once a second: it is called per row)."""
    return _utc_second(int(time.time()))


class Journal:
    def __init__(self, path: Path, *, resume: bool) -> None:
        self.path = path
        self._resume = resume
        self._lock_fd: int | None = None
        self._db: sqlite3.Connection | None = None
        self._pending: list[tuple[str, str, str, int, str, str, int, str, str, str]] = []
        self._input = ""
        self.run_id = f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"

    # -- lifecycle ------------------------------------------------------------------------
    def open(self, input_path: Path, flag: str = "--journal") -> Journal:
        self._input = os.path.abspath(input_path)  # where a later --resume finds it (journals_of)
        self._lock()
        try:
            check_journal(self.path, flag)
        except OutputError:
            self.close()
            raise
        try:
            if not self._resume:
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
            self._db.execute(
                "INSERT INTO run (run_id, input, started) VALUES (?, ?, ?)",
                (self.run_id, self._input, _now()),
            )
        except sqlite3.Error as exc:
            self._abandon()
            raise OutputError(
                _("{path}: cannot open the journal: {reason}").format(path=self.path, reason=exc)
            ) from None
        except OSError as exc:
            self._abandon()
            raise OutputError(
                _("{path}: cannot open the journal: {reason}").format(
                    path=self.path, reason=exc.strerror
                )
            ) from None
        return self

    def _lock(self) -> None:
        lock_path = Path(f"{self.path}.lock")
        try:
            self._lock_fd = lock.acquire(lock_path)
        except lock.Busy as busy:
            raise _in_use(self.path, busy.holder) from None
        except OSError as exc:
            raise OutputError(
                _("{path}: cannot create the lock file: {reason}").format(
                    path=lock_path, reason=exc.strerror
                )
            ) from None

    def _abandon(self) -> None:
        """Close after a failed open, writing nothing: a commit here ("no such table: run")
        hid why the open failed (on a full disk: "database or disk is full")."""
        try:
            if self._db is not None:
                with contextlib.suppress(sqlite3.Error):
                    self._db.close()
                self._db = None
        finally:
            self._release_lock()

    def _release_lock(self) -> None:
        if self._lock_fd is not None:
            lock.release(self._lock_fd)
            self._lock_fd = None

    def close(self, *, finished: bool = True) -> None:
        """Commit what is pending and close; the lock is released even if the commit fails."""
        try:
            if self._db is not None:
                try:
                    self.commit()
                    if finished:
                        self._db.execute(
                            "UPDATE run SET finished = ? WHERE run_id = ?", (_now(), self.run_id)
                        )
                except sqlite3.Error as exc:
                    raise OutputError(
                        _("{path}: cannot write the journal: {reason}").format(
                            path=self.path, reason=exc
                        ),
                        path=self.path,
                    ) from None
                finally:
                    self._db.close()
                    self._db = None
        finally:
            self._release_lock()

    def __enter__(self) -> Journal:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close(finished=exc_type is None)

    # -- queries and writes ---------------------------------------------------------------
    def earlier_success(self, key: str, payload_hash: str) -> str | None:
        """When this exact change succeeded in an earlier run (its time), else None."""
        if not self._resume or self._db is None:
            return None
        row = self._db.execute(
            "SELECT at FROM outcome WHERE key = ? AND payload_hash = ? AND status = 'succeeded' "
            "AND run_id != ? LIMIT 1",
            (key, payload_hash, self.run_id),
        ).fetchone()
        return None if row is None else str(row[0])

    def record(self, key: str, payload_hash: str, result: RowResult) -> None:
        if result.status in (Status.INVALID, Status.SKIPPED):
            return  # nothing was sent: nothing a resume needs to know
        self._pending.append(
            (
                key,
                payload_hash,
                self._input,
                result.line,
                str(result.status),
                result.result_code or result.return_code,
                result.attempts,
                result.error,
                _now(),
                self.run_id,
            )
        )

    @property
    def pending(self) -> int:
        return len(self._pending)

    def commit(self) -> None:
        if self._db is None or not self._pending:
            return
        try:
            self._db.execute("BEGIN")
            self._db.executemany(
                "INSERT INTO outcome VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", self._pending
            )
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")  # the batch stays pending: a later commit retries
            full = getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
            raise OutputError(
                _("{path}: cannot write the journal: {reason}").format(path=self.path, reason=exc),
                path=self.path,
                errno=errno.ENOSPC if full else None,
            ) from None
        self._pending.clear()


def _in_use(path: Path, holder: int | None) -> JournalLockedError:
    who = _(" (process {pid})").format(pid=holder) if holder else ""
    return JournalLockedError(
        _(
            "{path} is in use by another rescheduler run{who}; wait for it to finish "
            "or give this run another --out"
        ).format(path=path, who=who)
    )


def refuse_if_locked(path: Path) -> None:
    """``JournalLockedError`` now if another run holds ``path`` (checked before a run reads
    anything; the lock itself is taken when sending begins)."""
    if lock.held_elsewhere(Path(f"{path}.lock")):
        raise _in_use(path, None)


def check_journal(path: Path, flag: str = "--journal") -> None:
    """``OutputError`` unless ``path`` is absent, empty, or a journal of rescheduler's."""
    first = head(path)
    if not first:
        return
    target = Target("journal", path, flag)
    if not first.startswith(_SQLITE):
        raise not_ours(target, _("it is not an SQLite database"))
    try:
        ours = _marked(path, immutable=_no_log(path))
    except sqlite3.Error as exc:
        raise not_ours(target, str(exc)) from None
    if not ours:
        raise not_ours(target, _("another program's database"))


def _no_log(path: Path) -> bool:
    """True when ``path`` has no write-ahead log beside it: it can be read ``immutable`` (which
    creates no -wal/-shm). A run killed, or stopped by a full disk, leaves its schema and
    commits in ``-wal``, which an immutable read ignores (or finds "malformed"): read through
    the log then, as the resumed run will."""
    return not Path(f"{path}-wal").exists()


def _marked(path: Path, *, immutable: bool) -> bool:
    """Marked with ``APPLICATION_ID``, or holding this schema's tables (older journals)."""
    uri = f"{Path(path).absolute().as_uri()}?mode=ro{'&immutable=1' if immutable else ''}"
    db = sqlite3.connect(uri, uri=True)
    try:
        marked = db.execute("PRAGMA application_id").fetchone()[0]
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master")}
    finally:
        db.close()
    return bool(marked == APPLICATION_ID or {"outcome", "run"} <= tables)


def journal_runs(path: Path) -> list[tuple[str, str]]:
    """``(input, started)`` of the runs ``path`` recorded; [] for a file that is no journal
    of ours (or none at all)."""
    if not head(path).startswith(_SQLITE):
        return []
    immutable = _no_log(path)
    try:
        if not _marked(path, immutable=immutable):
            return []
        uri = f"{Path(path).absolute().as_uri()}?mode=ro{'&immutable=1' if immutable else ''}"
        db = sqlite3.connect(uri, uri=True)
        try:
            rows = db.execute("SELECT input, started FROM run ORDER BY started").fetchall()
        finally:
            db.close()
    except sqlite3.Error:
        return []
    return [(str(a), str(b)) for a, b in rows]


def journals_of(input_path: Path, folders: list[Path]) -> list[tuple[Path, str]]:
    """The journals in ``folders`` that recorded a run of ``input_path`` (the same file, or,
    for journals that kept a relative path, a file of the same name): ``(journal, last
    started)``, newest first."""
    wanted = os.path.abspath(input_path)
    found: dict[Path, str] = {}
    for folder in dict.fromkeys(os.path.abspath(f) for f in folders):
        try:
            names = sorted(e.name for e in os.scandir(folder) if e.name.endswith(".sqlite"))
        except OSError:
            continue
        for name in names:
            path = Path(folder) / name
            for recorded, started in journal_runs(path):
                same = (
                    recorded == wanted
                    if os.path.isabs(recorded)
                    else (Path(recorded).name == Path(wanted).name)
                )
                if same:
                    found[path] = max(found.get(path, ""), started)
    return sorted(found.items(), key=lambda item: item[1], reverse=True)


def default_journal_path(results_path: Path) -> Path:
    name = results_path.name
    stem = name[: -len(results_path.suffix)] if results_path.suffix else name
    stem = stem.removesuffix(".results")
    return results_path.with_name(f"{stem}.journal.sqlite")
