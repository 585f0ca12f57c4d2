"""The rate limiter spaces requests evenly with no initial burst; Retry-After pauses everyone."""

from __future__ import annotations

import itertools

import anyio
import pytest

from rescheduler.send.ratelimit import RateLimiter


class FakeClock:
    """A clock the test moves; ``sleep`` is replaced through the limiter's awaits below."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.anyio
async def test_no_initial_burst_and_even_spacing() -> None:
    limiter = RateLimiter(rate_per_s=50.0)
    times: list[float] = []

    async def take() -> None:
        await limiter.acquire()
        times.append(anyio.current_time())

    start = anyio.current_time()
    async with anyio.create_task_group() as tg:
        for _ in range(10):
            tg.start_soon(take)
    times.sort()
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert times[0] - start < 0.1  # the first caller does not wait for a slot
    assert min(gaps) >= 0.02 - 0.0005  # never closer than the interval (timer rounding only)
    assert times[-1] - start >= 0.18 - 0.001


@pytest.mark.anyio
async def test_pause_holds_every_caller() -> None:
    limiter = RateLimiter(rate_per_s=0)
    assert not limiter.must_wait()
    limiter.pause_for(0.1)
    assert limiter.must_wait()
    start = anyio.current_time()
    async with anyio.create_task_group() as tg:
        for _ in range(3):
            tg.start_soon(limiter.acquire)
    assert anyio.current_time() - start >= 0.1


def test_unlimited_limiter_never_waits() -> None:
    clock = FakeClock()
    limiter = RateLimiter(rate_per_s=0, clock=clock)
    assert not limiter.must_wait()
    limiter.pause_until(clock.now + 5)
    assert limiter.must_wait()
    clock.now += 5
    assert not limiter.must_wait()
