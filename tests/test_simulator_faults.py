"""Fault injection: pure decisions, then resets, hangs, 5xx, 429 and latency over loopback."""

from __future__ import annotations

import time
from typing import Any

import aiohttp
import anyio
import pytest

from rescheduler.simulator.config import SimConfig
from rescheduler.simulator.faults import Decision, FaultKind, FaultPlan, RateLimiter, decide
from rescheduler.simulator.store import Store, generated_id
from tests.simclient import MANUAL_ID, SUCCESS, SimClient, envelope, serve

# pure decisions ----------------------------------------------------------------------------------


def test_decisions_are_a_function_of_seed_id_and_attempt() -> None:
    plan = FaultPlan(seed=42, p_503=0.2, p_reset=0.1, p_hang=0.05, latency_jitter_ms=10)
    keys = [(generated_id(i, 1), attempt) for i in range(200) for attempt in (1, 2, 3)]
    first = [decide(plan, key, attempt) for key, attempt in keys]
    again = [decide(plan, key, attempt) for key, attempt in reversed(keys)]
    assert first == list(reversed(again))
    other_seed = FaultPlan(seed=43, p_503=0.2, p_reset=0.1, p_hang=0.05, latency_jitter_ms=10)
    assert first != [decide(other_seed, key, attempt) for key, attempt in keys]


def test_decisions_are_stable_across_versions() -> None:
    # Users rehearse with a seed: the same seed must keep giving the same faults.
    plan = FaultPlan(seed=0, p_503=0.5, latency_ms=5, latency_jitter_ms=10)
    got = [decide(plan, MANUAL_ID, attempt) for attempt in range(1, 6)]
    assert [d.fault for d in got] == [
        FaultKind.HTTP_503,
        FaultKind.HTTP_503,
        FaultKind.HTTP_503,
        FaultKind.NONE,
        FaultKind.NONE,
    ]
    assert [round(d.delay_s, 6) for d in got] == [0.006681, 0.008943, 0.010913, 0.012402, 0.013623]


def test_probabilities_are_honoured_in_order() -> None:
    plan = FaultPlan(seed=9, p_503=0.25, p_db_error=0.25, p_too_fast=0.5)
    kinds = [decide(plan, generated_id(i, 9), 1).fault for i in range(4000)]
    counts = {kind: kinds.count(kind) for kind in set(kinds)}
    assert counts == {FaultKind.HTTP_503: 996, FaultKind.DB_ERROR: 1026, FaultKind.TOO_FAST: 1978}


def test_certain_fault_and_no_fault() -> None:
    assert decide(FaultPlan(p_503=1.0), "1", 1) == Decision(FaultKind.HTTP_503, 0.0)
    assert decide(FaultPlan(), "1", 1) == Decision(FaultKind.NONE, 0.0)
    assert decide(FaultPlan(latency_ms=50), "1", 7) == Decision(FaultKind.NONE, 0.05)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"p_503": 0.6, "p_500": 0.5}, "fault probabilities add up to 1.1, more than 1"),
        ({"p_reset": 1.5}, "p_reset must be between 0 and 1, got 1.5"),
        ({"latency_ms": -1}, "latency_ms must not be negative"),
        ({"rate_limit_per_s": 0}, "rate_limit_per_s must be positive (or None for no limit)"),
    ],
)
def test_bad_plans_are_refused(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        FaultPlan(**kwargs)


def test_rate_limiter_allows_a_second_worth_then_refills() -> None:
    limiter = RateLimiter(4, now=0.0)
    assert [limiter.allow(0.0) for _ in range(6)] == [True] * 4 + [False] * 2
    assert limiter.allow(0.125) is False  # half a token
    assert limiter.allow(0.25) is True
    assert limiter.allow(0.25) is False
    assert [limiter.allow(60.0) for _ in range(5)] == [True] * 4 + [False]  # the burst is capped


# over the wire -----------------------------------------------------------------------------------


def faulty(**kwargs: Any) -> SimConfig:
    return SimConfig(faults=FaultPlan(**kwargs))


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("kwargs", "status", "body", "fault"),
    [
        ({"p_503": 1.0}, 503, b"503 Service Unavailable (simulated)", "http_503"),
        ({"p_500": 1.0}, 500, b"500 Internal Server Error (simulated)", "http_500"),
        ({"p_502": 1.0}, 502, b"502 Bad Gateway (simulated)", "http_502"),
        ({"p_504": 1.0}, 504, b"504 Gateway Timeout (simulated)", "http_504"),
        ({"p_db_error": 1.0}, 200, envelope("0200006", "database operation error"), "db_error"),
        (
            {"p_too_fast": 1.0},
            200,
            envelope("0200022", "the interface is called too fast"),
            "too_fast",
        ),
    ],
)
async def test_answered_faults_do_not_apply_the_update(
    kwargs: dict[str, Any], status: int, body: object, fault: str
) -> None:
    async with serve(faulty(**kwargs)) as client:
        answers = [await client.update(MANUAL_ID) for _ in range(3)]
        stats = client.sim.stats.to_json()
        updates = client.sim.store.update_summary()["total_updates"]
    assert [(a.status, a.body) for a in answers] == [(status, body)] * 3
    assert stats["faults"] == {fault: 3}
    assert stats["http_status"] == {str(status): 3}
    assert updates == 0


async def _statuses(
    client: SimClient, ids: list[str], attempts: int, concurrent: bool
) -> dict[str, list[int]]:
    seen: dict[str, list[int]] = {i: [] for i in ids}

    async def one(appoint_id: str) -> None:
        for _ in range(attempts):
            seen[appoint_id].append((await client.update(appoint_id)).status)

    if concurrent:
        async with anyio.create_task_group() as tg:
            for appoint_id in reversed(ids):
                tg.start_soon(one, appoint_id)
    else:
        for appoint_id in ids:
            await one(appoint_id)
    return seen


@pytest.mark.anyio
async def test_decisions_do_not_depend_on_interleaving() -> None:
    plan = FaultPlan(seed=5, p_503=0.5)
    ids = [generated_id(i, 5) for i in range(20)]
    async with serve(SimConfig(faults=plan), Store.generate(20, 5)) as client:
        sequential = await _statuses(client, ids, 3, concurrent=False)
    async with serve(SimConfig(faults=plan), Store.generate(20, 5)) as client:
        concurrent = await _statuses(client, ids, 3, concurrent=True)
    expected = {
        i: [503 if decide(plan, i, n).fault is FaultKind.HTTP_503 else 200 for n in (1, 2, 3)]
        for i in ids
    }
    assert sequential == concurrent == expected
    every_status = [status for statuses in expected.values() for status in statuses]
    assert every_status.count(503) == 27  # both outcomes occur
    assert every_status.count(200) == 33


@pytest.mark.anyio
async def test_a_retry_gets_a_fresh_draw_and_can_succeed() -> None:
    plan = FaultPlan(seed=1, p_503=0.5)
    appoint_id = next(
        generated_id(i, 1)
        for i in range(100)
        if decide(plan, generated_id(i, 1), 1).fault is FaultKind.HTTP_503
        and decide(plan, generated_id(i, 1), 2).fault is FaultKind.NONE
    )
    async with serve(SimConfig(faults=plan), Store.generate(100, 1)) as client:
        first = await client.update(appoint_id)
        second = await client.update(appoint_id)
        record = client.sim.store.get(appoint_id)
        attempts = client.sim.stats.attempts(appoint_id)
    assert (first.status, second.status, second.body) == (503, 200, SUCCESS)
    assert record is not None
    assert record.updates == 1
    assert attempts == 2


@pytest.mark.anyio
async def test_reset_closes_the_connection_without_answer() -> None:
    async with serve(faulty(p_reset=1.0)) as client:
        with pytest.raises(aiohttp.ClientConnectionError):
            await client.update(MANUAL_ID)
        stats = client.sim.stats.to_json()
        updates = client.sim.store.update_summary()["total_updates"]
    assert stats["total_requests"] == 1
    assert stats["faults"] == {"reset": 1}
    assert stats["http_status"] == {}
    assert updates == 0


@pytest.mark.anyio
async def test_hang_outlasts_the_client_timeout() -> None:
    async with serve(faulty(p_hang=1.0, hang_s=5.0)) as client:
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            await client.post({"appointId": MANUAL_ID, "userAccount": "a"}, timeout_s=0.2)
        elapsed = time.monotonic() - started
        for _ in range(100):  # the client went away: the hanging handler is cancelled
            if client.sim.stats.in_flight == 0:
                break
            await anyio.sleep(0.01)
        stats = client.sim.stats.to_json()
        updates = client.sim.store.update_summary()["total_updates"]
    assert 0.2 <= elapsed < 1.0
    assert (stats["in_flight"], stats["faults"], updates) == (0, {"hang": 1}, 0)


@pytest.mark.anyio
async def test_hang_ends_in_a_reset_after_hang_s() -> None:
    async with serve(faulty(p_hang=1.0, hang_s=0.2)) as client:
        started = time.monotonic()
        with pytest.raises(aiohttp.ClientConnectionError):
            await client.post({"appointId": MANUAL_ID, "userAccount": "a"}, timeout_s=3.0)
        elapsed = time.monotonic() - started
    assert 0.2 <= elapsed < 1.0


@pytest.mark.anyio
async def test_rate_limit_answers_429_with_retry_after() -> None:
    # A burst of one second's worth (3) passes; the next token comes 1/3 s later, long after
    # these six back-to-back requests are done.
    config = faulty(rate_limit_per_s=3, retry_after_s=2)
    async with serve(config) as client:
        answers = [await client.update(MANUAL_ID) for _ in range(6)]
        stats = client.sim.stats.to_json()
    assert [a.status for a in answers] == [200] * 3 + [429] * 3
    assert answers[-1].headers["Retry-After"] == "2"
    assert answers[-1].body == envelope("0200022", "the interface is called too fast")
    assert stats["http_status"] == {"200": 3, "429": 3}
    assert client.sim.stats.attempts(MANUAL_ID) == 0  # throttled requests are not attempts


@pytest.mark.anyio
async def test_latency_and_max_in_flight() -> None:
    async with serve(faulty(latency_ms=150)) as client:
        answers: list[Any] = []
        started = time.monotonic()
        async with anyio.create_task_group() as tg:
            for _ in range(10):
                tg.start_soon(lambda: _append(answers, client))
        elapsed = time.monotonic() - started
        _, stats = await client.get("/_sim/stats")
    assert [a.body for a in answers] == [SUCCESS] * 10
    assert 0.15 <= elapsed < 0.6  # all ten waited together
    assert (stats["max_in_flight"], stats["in_flight"], stats["total_requests"]) == (10, 0, 10)


async def _append(answers: list[Any], client: SimClient) -> None:
    answers.append(await client.update(MANUAL_ID))
