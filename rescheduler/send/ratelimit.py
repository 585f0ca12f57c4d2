"""The rate limit: one virtual schedule shared by every worker and every retry.

Two parts, as aiometer keeps its concurrency cap and its rate apart (concurrency is the pool's
worker count, not this module's business):

* ``Schedule`` — the policy, pure arithmetic on a ``now`` it is given (GCRA, "virtual
  scheduling"). Starts are due one ``interval`` (``1 / rate_per_s``) apart. A caller reserves
  the next start when it asks, and goes once that start is due:

  - a late wake-up (a busy CPU) does not move the schedule: every start already due goes at
    once, the others keep their times. By any time ``t`` no more starts have gone than were
    due by ``t``, and the long-run rate is the limit, exactly;
  - the schedule keeps at most ``catch_up_s`` (0.1 s) of starts that were due but not taken:
    a caller that comes back late (its answer waited on a busy CPU) catches up, but idle time
    earns no more credit than that. The first start goes at once and the next one interval
    later: no burst at the start of a run;
  - ``pause_until(deadline)`` (a server's ``Retry-After``) holds back every start, whoever
    asks: starts reserved before the pause that fall inside it are reserved again after it,
    in turn, so the run resumes at the rate, not in a burst.

* ``RateLimiter`` — the thin waiting shell: the schedule read on a clock and waited on with a
  sleep. When a start is already due (always, for a limit the run cannot reach) ``take`` says
  so without awaiting anything: no timer, no checkpoint. Only a start not yet due ``wait``s.

The clock is ``time.monotonic``, not the event loop's: uvloop's loop clock advances in whole
milliseconds once per loop iteration, so at high rates every start but the first of an
iteration would look early and wait for a timer. Sleeps are relative, so the two clocks need
not agree.
"""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable

CATCH_UP_S = 0.1
_NEVER = -math.inf


class Schedule:
    """When each start is due. Pure: every method takes the time it is told."""

    __slots__ = ("_next", "_paused_until", "catch_up_s", "interval")

    def __init__(self, rate_per_s: float | None = None, catch_up_s: float = CATCH_UP_S) -> None:
        if rate_per_s is not None and not rate_per_s >= 0:
            raise ValueError(f"rate_per_s must be a number >= 0, got {rate_per_s!r}")
        self.interval = 1.0 / rate_per_s if rate_per_s else 0.0  # 0 (None, 0, inf): no limit
        self.catch_up_s = catch_up_s
        self._next = _NEVER  # when the next start is due (GCRA's "theoretical arrival time")
        self._paused_until = _NEVER

    @property
    def paused_until(self) -> float:
        return self._paused_until

    def reserve(self, now: float) -> float:
        """Take the next start and return when it is due (``<= now``: it may go now)."""
        due = self._next
        oldest = now - self.catch_up_s
        if due < oldest:  # behind by more than the catch-up: forget the rest
            due = now if due == _NEVER else oldest  # the very first start: no backlog at all
        if due < self._paused_until:
            due = self._paused_until
        self._next = due + self.interval
        return due

    def holds(self, due: float) -> bool:
        """False when a pause began after the start due at ``due`` was reserved and covers it."""
        return due >= self._paused_until

    def pause_until(self, deadline: float) -> None:
        """No start is due before ``deadline``."""
        if deadline > self._paused_until:
            self._paused_until = deadline


Sleep = Callable[[float], Awaitable[object]]


async def _anyio_sleep(seconds: float) -> None:
    # Imported here, not at the top: the schedule above never needs an event loop.
    from anyio import sleep

    await sleep(seconds)


class RateLimiter:
    """The schedule on a clock, shared by every worker and retry of a run.

    ``rate_per_s`` ``None``, 0 or infinite: no limit (only ``pause_until`` holds a start back).
    ``resolution_s`` is the event loop's timer grain. A sleep lasts at least that long (uvloop
    runs a sleep under half a millisecond as none at all: waiting would spin), plus half of
    it (uvloop rounds a sleep to the nearest millisecond: unpadded, a third of the waits
    woke early and slept again). Waking a little late costs nothing: the schedule does not
    move, so the start goes at once and the next ones keep their times.
    """

    def __init__(
        self,
        rate_per_s: float | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = _anyio_sleep,
        resolution_s: float = 0.001,
    ) -> None:
        self.schedule = Schedule(rate_per_s)
        self._clock = clock
        self._sleep = sleep
        self._resolution_s = resolution_s
        self._free = self.schedule.interval == 0  # no rate and no pause yet: never wait

    @property
    def paused_until(self) -> float:
        return self.schedule.paused_until

    def pause_until(self, deadline: float) -> None:
        """No request starts before ``deadline`` (this limiter's clock), whoever asks."""
        self._free = False
        self.schedule.pause_until(deadline)

    def pause_for(self, seconds: float) -> None:
        self.pause_until(self._clock() + seconds)

    def take(self) -> float | None:
        """Reserve the next start: ``None`` if it may go now, else when it is due (``wait``)."""
        if self._free:
            return None
        now = self._clock()
        due = self.schedule.reserve(now)
        return None if due <= now else due

    async def wait(self, due: float) -> None:
        """Sleep until the start reserved for ``due`` may go (later, if a pause came since).

        Cancellation-safe: a cancelled wait leaves its start unused, never gives one more.
        """
        schedule, clock = self.schedule, self._clock
        while True:
            now = clock()
            if not schedule.holds(due):
                due = schedule.reserve(now)
            if due <= now:
                return
            await self._sleep(max(due - now, self._resolution_s) + self._resolution_s / 2)

    async def acquire(self) -> None:
        """``take`` and, when the start is not due yet, ``wait`` for it."""
        due = self.take()
        if due is not None:
            await self.wait(due)
