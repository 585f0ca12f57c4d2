"""The rate limit: one virtual schedule (GCRA) for every worker and retry.

The policy (``Schedule``) is tested with plain functions; the waiting shell (``RateLimiter``)
on a virtual clock (tests/virtualloop.py), so counts are exact and nothing really sleeps.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import anyio
import pytest

from rescheduler.send.ratelimit import CATCH_UP_S, RateLimiter, Schedule
from tests.virtualloop import run_virtual, stall

# --- the policy: schedule arithmetic on a given now ----------------------------------------


def test_the_first_start_goes_at_once_and_each_next_one_interval_later() -> None:
    schedule = Schedule(10)
    assert [schedule.reserve(100.0) for _ in range(4)] == pytest.approx(
        [100.0, 100.1, 100.2, 100.3]
    )


def test_a_late_wake_up_leaves_the_schedule_where_it_was() -> None:
    schedule = Schedule(10)
    dues = [schedule.reserve(100.0) for _ in range(5)]  # five callers wait: 100.0 .. 100.4
    # The loop wakes them only at 100.35: the four due by then go at once, the fifth waits.
    assert sum(due <= 100.35 for due in dues) == 4
    # and whoever asks next gets the next start of the same schedule, not one shifted to now
    assert schedule.reserve(100.35) == pytest.approx(100.5)


def test_idle_time_earns_no_more_than_the_catch_up() -> None:
    schedule = Schedule(100)
    schedule.reserve(100.0)
    # nobody asked for 100 s: of the 10,000 starts due meanwhile, only the last 0.1 s worth
    dues = [schedule.reserve(200.0) for _ in range(20)]
    assert sum(due <= 200.0 for due in dues) == CATCH_UP_S * 100 + 1
    assert dues[-1] == pytest.approx(200.09)


def test_without_catch_up_a_caller_behind_the_schedule_starts_it_afresh() -> None:
    schedule = Schedule(10, catch_up_s=0.0)
    schedule.reserve(100.0)
    assert schedule.reserve(200.0) == 200.0
    assert schedule.reserve(200.0) == pytest.approx(200.1)


def test_a_pause_moves_every_start_inside_it_to_after_it_one_interval_apart() -> None:
    schedule = Schedule(10)
    early = [schedule.reserve(100.0) for _ in range(3)]  # 100.0, 100.1, 100.2
    schedule.pause_until(105.0)
    assert not any(schedule.holds(due) for due in early)
    assert [schedule.reserve(100.15) for _ in range(3)] == pytest.approx([105.0, 105.1, 105.2])


def test_a_short_pause_keeps_the_starts_after_it() -> None:
    schedule = Schedule(10)
    dues = [schedule.reserve(100.0) for _ in range(10)]  # 100.0 .. 100.9
    schedule.pause_until(100.45)
    assert [schedule.holds(due) for due in dues] == [False] * 5 + [True] * 5
    # a start taken again goes after the ones still held: never two in one interval
    assert schedule.reserve(100.1) == pytest.approx(101.0)


def test_a_pause_is_never_shortened() -> None:
    schedule = Schedule(None)
    schedule.pause_until(105.0)
    schedule.pause_until(103.0)
    assert schedule.paused_until == 105.0


@pytest.mark.parametrize("rate", [None, 0, math.inf])
def test_no_rate_every_start_is_due_when_asked_except_in_a_pause(rate: float | None) -> None:
    schedule = Schedule(rate)
    assert all(schedule.reserve(t) <= t for t in (1.0, 1.0, 1.0, 2.0))
    schedule.pause_until(3.0)
    assert [schedule.reserve(2.5), schedule.reserve(2.5)] == [3.0, 3.0]
    assert schedule.reserve(4.0) <= 4.0


@pytest.mark.parametrize("rate", [-1.0, math.nan])
def test_a_rate_that_is_not_a_number_at_least_zero_is_refused(rate: float) -> None:
    with pytest.raises(ValueError, match="rate_per_s must be a number >= 0"):
        Schedule(rate)


# --- the waiting shell, on a virtual clock -------------------------------------------------


def run_workers(
    rate: float | None,
    *,
    workers: int = 64,
    latency_s: float = 0.005,
    seconds: float = 3.0,
    events: tuple[tuple[float, Callable[[RateLimiter], object]], ...] = (),
    resolution_s: float = 0.0,
) -> list[float]:
    """``workers`` callers each loop acquire -> start -> a request of ``latency_s``.

    Returns every start's time after the run began, in order. ``events`` are
    ``(at, action)``: ``action(limiter)`` runs at ``at`` seconds (``stall`` to model a busy CPU).
    The virtual clock's timers are exact, so by default no sleep is padded (``resolution_s``).
    """

    async def main() -> list[float]:
        limiter = RateLimiter(rate, clock=anyio.current_time, resolution_s=resolution_s)
        t0 = anyio.current_time()
        starts: list[float] = []

        async def worker() -> None:
            while anyio.current_time() - t0 < seconds:
                await limiter.acquire()
                starts.append(anyio.current_time() - t0)
                await anyio.sleep(latency_s)

        async def event(at: float, action: Callable[[RateLimiter], object]) -> None:
            await anyio.sleep(at)
            action(limiter)

        async with anyio.create_task_group() as tg:
            for _ in range(workers):
                tg.start_soon(worker)
            for at, action in events:
                tg.start_soon(event, at, action)
        return starts

    result: list[float] = run_virtual(main)
    return result


def in_window(starts: list[float], begin: float, end: float) -> int:
    return sum(begin <= t < end for t in starts)


def assert_never_ahead(starts: list[float], interval: float, origin: float = 0.0) -> None:
    """The k-th start (from ``origin``) is never before ``origin + k x interval``."""
    after = sorted(t for t in starts if t >= origin)
    early = [(k, t) for k, t in enumerate(after) if t < origin + k * interval - 1e-9]
    assert not early, f"starts ahead of the schedule (k, time): {early[:5]}"


def stall_at(at: float, seconds: float) -> tuple[float, Callable[[RateLimiter], object]]:
    return (at, lambda limiter: stall(seconds))


@pytest.mark.parametrize("rate", [10, 100, 1_000, 5_000])
def test_exact_starts_per_second_with_late_wake_ups(rate: int) -> None:
    interval = 1 / rate
    # the CPU is busy for 50 ms in the second second, for 90 ms in the third: at 5,000/s more
    # starts fall due than callers are waiting; those that come back later catch up
    events = (stall_at(1.3 + interval / 2, 0.05), stall_at(2.4 + interval / 2, 0.09))
    starts = run_workers(rate, events=events)
    half = interval / 2  # windows between two due times: no start sits on an edge
    assert [in_window(starts, s - half, s + 1 - half) for s in (0, 1, 2)] == [rate] * 3
    assert_never_ahead(starts, interval)


def test_with_the_default_timer_resolution_no_start_is_early_and_none_slips() -> None:
    rate, interval = 5_000, 0.0002
    starts = run_workers(rate, resolution_s=0.001, seconds=2.0)
    assert_never_ahead(starts, interval)
    # sleeps last at least 1 ms (+ 0.5 ms): a start waits up to 1.5 ms, the schedule none
    assert all(t <= k * interval + 0.0015 + 1e-9 for k, t in enumerate(sorted(starts)))
    assert in_window(starts, 0, 2.0) >= 2 * rate - 0.0015 * rate  # by 2 s: all due by 1.9985 s


def test_a_wake_up_50_ms_late_releases_exactly_the_starts_due_by_then() -> None:
    rate, interval = 1_000, 0.001
    stall_from = 0.5 + interval / 2
    stall_to = stall_from + 0.05
    starts = run_workers(rate, workers=100, seconds=1.0, events=(stall_at(stall_from, 0.05),))
    assert in_window(starts, stall_from + 1e-9, stall_to - 1e-9) == 0  # the CPU is busy
    assert in_window(starts, stall_to - 1e-9, stall_to + 1e-9) == 50  # the 50 due go at once
    assert in_window(starts, stall_to + 1e-9, 0.551 - 1e-9) == 0  # and no more than those
    assert in_window(starts, 0.551 - 1e-9, 0.551 + 1e-9) == 1  # the next one on its time
    assert in_window(starts, -interval / 2, 1 - interval / 2) == rate  # nothing lost
    assert_never_ahead(starts, interval)


def test_no_burst_at_start() -> None:
    starts = run_workers(100, workers=64, seconds=0.2)
    assert starts[:5] == pytest.approx([0.0, 0.01, 0.02, 0.03, 0.04])
    assert in_window(starts, 0, 0.045) == 5


def test_callers_slower_than_the_rate_start_when_they_ask() -> None:
    # 2 workers, each request 0.5 s: far below 100/s, so each asks when its start is long due
    starts = run_workers(100, workers=2, latency_s=0.5, seconds=2.0)
    assert starts == pytest.approx([0.0, 0.01, 0.5, 0.51, 1.0, 1.01, 1.5, 1.51])


def test_after_a_lull_at_most_the_catch_up_goes_at_once() -> None:
    async def main() -> list[float]:
        limiter = RateLimiter(100, clock=anyio.current_time, resolution_s=0.0)
        t0 = anyio.current_time()
        await limiter.acquire()
        starts = [0.0]

        async def caller() -> None:
            await anyio.sleep(5.0)  # 5 s with nobody asking, then 50 callers at once
            await limiter.acquire()
            starts.append(anyio.current_time() - t0)

        async with anyio.create_task_group() as tg:
            for _ in range(50):
                tg.start_soon(caller)
        return starts

    starts: list[float] = run_virtual(main)
    assert starts.count(5.0) == CATCH_UP_S * 100 + 1  # the last 0.1 s of the lull, not 5 s
    assert sorted(starts)[12:15] == pytest.approx([5.01, 5.02, 5.03])  # then the rate


def test_retry_after_pauses_everyone_then_the_rate_resumes_without_a_burst() -> None:
    rate, interval = 100, 0.01
    pause_at, pause_s = 0.3 + interval / 2, 0.5
    resume = pause_at + pause_s
    starts = run_workers(
        rate, workers=20, seconds=2.0, events=((pause_at, lambda lim: lim.pause_for(pause_s)),)
    )
    assert in_window(starts, pause_at + 1e-9, resume - 1e-9) == 0
    assert min(t for t in starts if t > pause_at) == pytest.approx(resume)
    assert_never_ahead(starts, interval, origin=resume - 1e-9)
    assert in_window(starts, resume - 1e-9, resume + 1 - interval / 2) == rate


@pytest.mark.parametrize("rate", [None, 0, math.inf])
def test_no_rate_means_no_wait(rate: float | None) -> None:
    starts = run_workers(rate, workers=8, latency_s=0.01, seconds=0.095)
    assert len(starts) == 8 * 10
    assert starts[:8] == [0.0] * 8  # all together


def completes_without_awaiting(limiter: RateLimiter) -> bool:
    """True when ``acquire`` returns at its first step: no timer, no sleep, no checkpoint."""
    step = limiter.acquire().__await__()
    try:
        next(step)
    except StopIteration:
        return True
    step.close()
    return False


def test_unlimited_reads_no_clock_and_never_awaits() -> None:
    def no_clock() -> float:
        raise AssertionError("the clock was read")

    limiter = RateLimiter(None, clock=no_clock)
    assert all(limiter.take() is None for _ in range(1000))
    assert completes_without_awaiting(limiter)


def test_a_limit_far_above_reach_never_awaits() -> None:
    now = [100.0]

    def clock() -> float:  # 20 us between two starts: 50,000 starts/s, far below 1,000,000/s
        now[0] += 0.00002
        return now[0]

    limiter = RateLimiter(1_000_000, clock=clock)
    assert all(completes_without_awaiting(limiter) for _ in range(1000))


def test_a_pause_holds_an_unlimited_run_until_it_ends() -> None:
    now = [100.0]
    limiter = RateLimiter(None, clock=lambda: now[0])
    limiter.pause_for(5.0)
    assert limiter.paused_until == 105.0
    assert limiter.take() == 105.0  # not due before the pause ends: the caller must wait
    now[0] = 105.0
    assert limiter.take() is None
