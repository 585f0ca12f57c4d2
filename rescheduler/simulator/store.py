"""The simulator's reservations: an in-memory dict keyed by appointId (no aiohttp here).

Reservations come from ``Store.generate`` (deterministic, seeded), ``Store.from_file`` (a JSON
list of objects or a CSV with the columns appointId, callType, userAccount, workNo, appointTime,
remark, and the read-only fields the list call returns: calledNo, taskId, taskName, taskStatus,
timeout, userName, beginTime, endTime), or, in ``accept_any`` mode, are created on first sight as
manual reservations, so a huge benchmark needs no seeding. ``generated_id(i, seed)`` is the ID
``Store.generate`` gives the i-th reservation, so a benchmark can produce the same IDs without
building a store. Reading a file's records is ``storefile``.

``version`` grows with every change made through the store (add, remove, an applied update), so
the list call can cache a filtered, ordered listing until the next change. Code that edits a
``Reservation`` in place must call ``Store.touch()`` (``record_update`` does).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MANUAL = 1
AUTOMATIC = 2

_BASE_TIME_MS = 1_749_204_000_000  # 2025-06-06T10:00:00Z, the API reference's example
_MAX_GENERATED = 10**10


@dataclass(slots=True)
class Reservation:
    """One reserved outbound call. ``updates`` counts successful updates applied to it.

    The fields after ``updates`` are read-only context the list call reports (the update call
    cannot change them); ``timeout`` True means expired, ``begin_time_ms``/``end_time_ms`` are
    the call's execution (None: not called yet, left out of list items).
    """

    appoint_id: str
    call_type: int = MANUAL
    user_account: str = ""
    work_no: str = ""
    appoint_time_ms: int = 0
    remark: str = ""
    updates: int = 0
    called_no: str = ""
    task_id: str = ""
    task_name: str = ""
    task_status: str = ""
    timeout: bool = False
    user_name: str = ""
    begin_time_ms: int | None = None
    end_time_ms: int | None = None

    def to_json(self) -> dict[str, Any]:
        """The whole record as the API spells it (``callType`` as text, as the list call has it)."""
        return {
            "appointId": self.appoint_id,
            "callType": str(self.call_type),
            "userAccount": self.user_account,
            "workNo": self.work_no,
            "appointTime": self.appoint_time_ms,
            "remark": self.remark,
            "updates": self.updates,
            "calledNo": self.called_no,
            "taskId": self.task_id,
            "taskName": self.task_name,
            "taskStatus": self.task_status,
            "timeout": self.timeout,
            "userName": self.user_name,
            "beginTime": self.begin_time_ms,
            "endTime": self.end_time_ms,
        }

    def list_item(self, *, agent_id: bool, remark: bool, work_no: bool) -> dict[str, Any]:
        """The item ``appoint/list`` returns for this reservation (isales-api.md, list).

        Every documented field; ``beginTime``/``endTime`` only once the call was made.
        ``userAccount`` is "business account or agent ID": with ``agent_id`` (the
        op-independent deployment) it carries the agent ID. ``remark`` and ``workNo`` are
        not documented for list items [OPEN]: present only when asked for.
        """
        item: dict[str, Any] = {
            "appointId": self.appoint_id,
            "callType": str(self.call_type),
            "appointTime": self.appoint_time_ms,
            "calledNo": self.called_no,
            "taskId": self.task_id,
            "taskName": self.task_name,
            "taskStatus": self.task_status,
            "timeout": self.timeout,
            "userAccount": self.work_no if agent_id else self.user_account,
            "userName": self.user_name,
        }
        if self.begin_time_ms is not None:
            item["beginTime"] = self.begin_time_ms
        if self.end_time_ms is not None:
            item["endTime"] = self.end_time_ms
        if remark:
            item["remark"] = self.remark
        if work_no:
            item["workNo"] = self.work_no
        return item


def _hash_int(*parts: object) -> int:
    text = "\x1f".join(str(p) for p in parts).encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big")


def generated_id(i: int, seed: int) -> str:
    """The 30-digit numeric ID of the ``i``-th generated reservation (``0 <= i < 10**10``).

    Shaped like the IDs seen in the field (a 13-digit millisecond time, then more digits):
    13 digits derived from the seed, ``i`` as 10 digits, then 7 digits derived from both.
    IDs are unique per seed by construction.
    """
    if not 0 <= i < _MAX_GENERATED:
        raise ValueError(f"i must be in 0..{_MAX_GENERATED - 1}, got {i}")
    prefix = 1_700_000_000_000 + _hash_int("prefix", seed) % 10**11
    return f"{prefix:013d}{i:010d}{_hash_int('suffix', seed, i) % 10**7:07d}"


class Store:
    """Reservations by appointId, plus the running update totals that ``/_sim/stats`` shows."""

    __slots__ = ("_by_id", "accept_any", "total_updates", "updates_histogram", "version")

    def __init__(self, reservations: Iterable[Reservation] = (), *, accept_any: bool = False):
        self._by_id: dict[str, Reservation] = {r.appoint_id: r for r in reservations}
        self.accept_any = accept_any
        self.version = 0
        self.total_updates = 0
        # number of updates -> how many reservations have had exactly that many (0 excluded)
        self.updates_histogram: dict[int, int] = {}
        for r in self._by_id.values():
            if r.updates:
                self.updates_histogram[r.updates] = self.updates_histogram.get(r.updates, 0) + 1
                self.total_updates += r.updates

    # construction ------------------------------------------------------------------------------

    @classmethod
    def generate(
        cls,
        n: int,
        seed: int,
        automatic_ratio: float = 0.0,
        *,
        accept_any: bool = False,
        first_time_ms: int = _BASE_TIME_MS,
    ) -> Store:
        """``n`` reservations with IDs ``generated_id(0..n-1, seed)``; deterministic.

        A share ``automatic_ratio`` (0..1, decided per ID by a hash) are automatic (callType 2).
        Agents cycle through ``agent000``..``agent099`` (names ``Agent 000``..) / work numbers
        ``100``..``199``; tasks through ``task0``..``task9``; called numbers are
        ``138`` + 8 digits of ``i``; times are one minute apart from ``first_time_ms``
        (default 2025-06-06T10:00:00Z).
        """
        if n < 0:
            raise ValueError("n must not be negative")
        if not 0.0 <= automatic_ratio <= 1.0:
            raise ValueError("automatic_ratio must be between 0 and 1")
        threshold = int(automatic_ratio * (1 << 64))

        def rows() -> Iterator[Reservation]:
            for i in range(n):
                automatic = _hash_int("type", seed, i) < threshold
                yield Reservation(
                    appoint_id=generated_id(i, seed),
                    call_type=AUTOMATIC if automatic else MANUAL,
                    user_account=f"agent{i % 100:03d}",
                    work_no=str(100 + i % 100),
                    appoint_time_ms=first_time_ms + 60_000 * i,
                    called_no=f"138{i % 10**8:08d}",
                    task_id=f"task{i % 10}",
                    task_name=f"Campaign {i % 10}",
                    task_status="running",
                    user_name=f"Agent {i % 100:03d}",
                )

        return cls(rows(), accept_any=accept_any)

    @classmethod
    def from_file(cls, path: str | Path, *, accept_any: bool = False) -> Store:
        """Load a JSON list of objects (``.json``) or a CSV with a header row (anything else).

        Keys/columns: appointId (required), callType (1 or 2, default 1), userAccount, workNo,
        appointTime (epoch ms), remark, calledNo, taskId, taskName, taskStatus, timeout
        (true/false), userName, beginTime and endTime (epoch ms, empty = not called yet).
        Raises ``ValueError`` naming the record on bad data.
        """
        from rescheduler.simulator.storefile import read_records

        return cls(read_records(Path(path)), accept_any=accept_any)

    # access ------------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._by_id)

    def __contains__(self, appoint_id: object) -> bool:
        return appoint_id in self._by_id

    def __iter__(self) -> Iterator[Reservation]:
        return iter(self._by_id.values())

    def get(self, appoint_id: str) -> Reservation | None:
        return self._by_id.get(appoint_id)

    def add(self, reservation: Reservation) -> None:
        self._by_id[reservation.appoint_id] = reservation
        self.version += 1

    def remove(self, appoint_id: str) -> Reservation | None:
        """Delete a reservation (as ``appoint/delete`` would); the removed one, or None."""
        found = self._by_id.pop(appoint_id, None)
        self.version += 1
        return found

    def touch(self) -> None:
        """Note a change made to a reservation in place (listings cached so far are stale)."""
        self.version += 1

    def lookup(self, appoint_id: str) -> Reservation | None:
        """The reservation to update: in ``accept_any`` mode an unknown ID becomes manual."""
        found = self._by_id.get(appoint_id)
        if found is None and self.accept_any:
            found = self._by_id[appoint_id] = Reservation(appoint_id)
            self.version += 1
        return found

    def record_update(self, reservation: Reservation) -> None:
        """Count one applied update (keeps the totals and the histogram current)."""
        self.version += 1
        old = reservation.updates
        reservation.updates = new = old + 1
        hist = self.updates_histogram
        if old:
            if hist[old] == 1:
                del hist[old]
            else:
                hist[old] -= 1
        hist[new] = hist.get(new, 0) + 1
        self.total_updates += 1

    def update_summary(self) -> dict[str, Any]:
        """Totals for ``/_sim/stats``: how many IDs were updated how many times."""
        return {
            "reservations": len(self._by_id),
            "total_updates": self.total_updates,
            "updated_ids": sum(self.updates_histogram.values()),
            "max_updates_per_id": max(self.updates_histogram, default=0),
            "histogram": {str(k): v for k, v in sorted(self.updates_histogram.items())},
        }
