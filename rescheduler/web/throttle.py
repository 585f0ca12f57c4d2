"""Sign-in throttling, in memory (a restart forgets it, which only helps the real user).

Failures are counted per (name, address) and per address. After ``free`` failures a key is
locked for ``base_s`` seconds, doubling with each further failure up to ``cap_s``. While a key
is locked, sign-ins are refused without checking the password, so guessing gains nothing. A
success clears the (name, address) key; so does a quiet spell of twice ``cap_s``. Old entries
are dropped so memory stays bounded.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Entry:
    failures: int = 0
    locked_until: float = 0.0
    last: float = 0.0


class LoginThrottle:
    def __init__(
        self,
        *,
        free: int = 5,
        base_s: float = 30.0,
        cap_s: float = 900.0,
        per_address_free: int = 50,
        clock: Callable[[], float] = time.monotonic,
        max_entries: int = 10_000,
    ) -> None:
        self._free = free
        self._address_free = per_address_free
        self._base = base_s
        self._cap = cap_s
        self._clock = clock
        self._max = max_entries
        self._entries: dict[tuple[str, ...], _Entry] = {}

    def _keys(self, name: str, address: str) -> list[tuple[tuple[str, ...], int]]:
        return [((name.casefold(), address), self._free), ((address,), self._address_free)]

    def wait_s(self, name: str, address: str) -> float:
        """Seconds until a sign-in may be tried again (0 = now)."""
        now = self._clock()
        waits = [0.0]
        for key, _ in self._keys(name, address):
            entry = self._entries.get(key)
            if entry is not None:
                waits.append(entry.locked_until - now)
        return max(waits)

    def failed(self, name: str, address: str) -> None:
        now = self._clock()
        if len(self._entries) >= self._max:
            self._forget_idle(now)
        for key, free in self._keys(name, address):
            entry = self._entries.setdefault(key, _Entry())
            if now - entry.last > self._cap * 2:  # quiet for long: start counting afresh
                entry.failures = 0
            entry.failures += 1
            entry.last = now
            over = entry.failures - free
            if over >= 0:
                entry.locked_until = now + min(self._cap, self._base * 2**over)

    def succeeded(self, name: str, address: str) -> None:
        self._entries.pop((name.casefold(), address), None)

    def _forget_idle(self, now: float) -> None:
        idle = [k for k, e in self._entries.items() if now - e.last > self._cap * 2]
        for key in idle:
            del self._entries[key]
        if len(self._entries) >= self._max:  # still full: forget the oldest half
            oldest = sorted(self._entries, key=lambda k: self._entries[k].last)
            for key in oldest[: len(oldest) // 2]:
                del self._entries[key]
