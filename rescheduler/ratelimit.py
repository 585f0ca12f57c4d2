"""A rate limiter on the anyio clock, shared by every worker and every retry.

Requests are spaced evenly at ``1 / rate_per_s`` seconds with no initial burst: the first
request goes now, the second one interval later, and so on. ``pause_until`` (a server's
``Retry-After``) holds back every worker, not just the one that was told to wait.
Concurrency is a separate knob (the pool's worker count).
"""

from __future__ import annotations

from collections.abc import Callable

import anyio
import anyio.lowlevel


class RateLimiter:
    def __init__(
        self, rate_per_s: float = 0.0, clock: Callable[[], float] = anyio.current_time
    ) -> None:
        self._interval = 1.0 / rate_per_s if rate_per_s > 0 else 0.0
        self._clock = clock
        self._next_slot = float("-inf")
        self._paused_until = float("-inf")

    @property
    def paused_until(self) -> float:
        return self._paused_until

    def pause_until(self, deadline: float) -> None:
        """No request starts before ``deadline`` (clock time), whoever asks."""
        self._paused_until = max(self._paused_until, deadline)

    def pause_for(self, seconds: float) -> None:
        self.pause_until(self._clock() + seconds)

    async def acquire(self) -> None:
        """Wait for this caller's slot. Cancellation-safe: a cancelled wait just loses its slot."""
        while True:
            now = self._clock()
            slot = max(now, self._paused_until)
            if self._interval:
                slot = max(slot, self._next_slot)
                self._next_slot = slot + self._interval
            if slot > now:
                await anyio.sleep(slot - now)
            else:
                await anyio.lowlevel.checkpoint()
            if self._clock() >= self._paused_until:
                return

    def must_wait(self) -> bool:
        """False when ``acquire`` would return at once (no rate, no pause): the fast path."""
        if self._interval:
            return True
        # No clock read unless a pause was ever set: the clock costs microseconds per request.
        return self._paused_until != float("-inf") and self._clock() < self._paused_until
