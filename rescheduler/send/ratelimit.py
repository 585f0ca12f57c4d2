"""A rate limiter on the anyio clock, shared by every worker and every retry.

Requests are spaced evenly at ``1 / rate_per_s`` seconds with no initial burst: the first
request goes now, the second one interval later, and so on; no two ever start closer than one
interval apart. ``pause_until`` (a server's
``Retry-After``) holds back every worker, not just the one that was told to wait.
Concurrency is a separate knob (the pool's worker count).
"""

from __future__ import annotations

from collections.abc import Callable

import anyio


class RateLimiter:
    def __init__(
        self, rate_per_s: float = 0.0, clock: Callable[[], float] = anyio.current_time
    ) -> None:
        self._interval = 1.0 / rate_per_s if rate_per_s > 0 else 0.0
        self._clock = clock
        self._next_slot = float("-inf")
        self._paused_until = float("-inf")
        self._last_start = float("-inf")

    @property
    def paused_until(self) -> float:
        return self._paused_until

    def pause_until(self, deadline: float) -> None:
        """No request starts before ``deadline`` (clock time), whoever asks."""
        self._paused_until = max(self._paused_until, deadline)

    def pause_for(self, seconds: float) -> None:
        self.pause_until(self._clock() + seconds)

    async def acquire(self) -> None:
        """Wait for this caller's turn. Cancellation-safe: a cancelled wait just loses its slot.

        Callers queue for evenly spaced slots; a caller also never starts less than one
        interval after the previous start, so a late wake-up (a busy CPU) shifts the schedule
        instead of letting two requests go out closer together than the rate allows.
        """
        now = self._clock()
        slot = max(now, self._next_slot)
        self._next_slot = slot + self._interval
        while True:
            ready = max(slot, self._paused_until, self._last_start + self._interval)
            if now >= ready:
                self._last_start = now
                return
            await anyio.sleep(ready - now)
            now = self._clock()

    def must_wait(self) -> bool:
        """False when ``acquire`` would return at once (no rate, no pause): the fast path."""
        if self._interval:
            return True
        # No clock read unless a pause was ever set: the clock costs microseconds per request.
        return self._paused_until != float("-inf") and self._clock() < self._paused_until
