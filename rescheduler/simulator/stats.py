"""Counters the simulator keeps about the API requests it served (for ``/_sim/stats``).

Plain attribute updates on one event loop: no locks needed. With several worker processes each
process keeps its own counters (and its own reservations).
"""

from __future__ import annotations

import time
from typing import Any


class Stats:
    """Request totals, answers by HTTP status and result code, faults, in-flight high-water."""

    __slots__ = (
        "_attempts",
        "arrivals",
        "faults",
        "http_status",
        "in_flight",
        "list_requests",
        "max_in_flight",
        "result_codes",
        "total_requests",
    )

    def __init__(self) -> None:
        self.total_requests = 0
        self.list_requests = 0  # of total_requests, how many were appoint/list
        self.in_flight = 0
        self.max_in_flight = 0
        self.http_status: dict[int, int] = {}
        self.result_codes: dict[str, int] = {}
        self.faults: dict[str, int] = {}
        self._attempts: dict[str, int] = {}
        # Opt-in (tests set it to []): the monotonic arrival time of every request.
        self.arrivals: list[float] | None = None

    def enter(self) -> None:
        """A request arrived (call ``leave`` when it is over, however it ends)."""
        self.total_requests += 1
        if self.arrivals is not None:
            self.arrivals.append(time.monotonic())
        self.in_flight = n = self.in_flight + 1
        if n > self.max_in_flight:
            self.max_in_flight = n

    def leave(self) -> None:
        self.in_flight -= 1

    def next_attempt(self, appoint_id: str) -> int:
        """Count one more request for ``appoint_id`` and return its number (1, 2, ...)."""
        n = self._attempts.get(appoint_id, 0) + 1
        self._attempts[appoint_id] = n
        return n

    def attempts(self, appoint_id: str) -> int:
        """How many requests for ``appoint_id`` reached the fault stage so far."""
        return self._attempts.get(appoint_id, 0)

    def answered(self, status: int, code: str | None = None) -> None:
        """Count one answer: its HTTP status and, if it has one, its resultCode."""
        self.http_status[status] = self.http_status.get(status, 0) + 1
        if code is not None:
            self.result_codes[code] = self.result_codes.get(code, 0) + 1

    def fault(self, kind: str) -> None:
        self.faults[kind] = self.faults.get(kind, 0) + 1

    def to_json(self) -> dict[str, Any]:
        return {
            "total_requests": self.total_requests,
            "list_requests": self.list_requests,
            "in_flight": self.in_flight,
            "max_in_flight": self.max_in_flight,
            "http_status": {str(k): v for k, v in sorted(self.http_status.items())},
            "result_codes": dict(sorted(self.result_codes.items())),
            "faults": dict(sorted(self.faults.items())),
        }
