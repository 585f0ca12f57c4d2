"""The pool's rules, measured with an in-memory ``send`` (no sockets): caps, pauses, stops, order.

The network path is covered end to end against the simulator elsewhere; here ``send`` is a
plain coroutine so timing and ordering can be asserted exactly.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import anyio
import pytest

from rescheduler.errors import CertificateRejected, Crashed, CredentialsRejected, Interrupted
from rescheduler.models import (
    Outcome,
    OutcomeKind,
    RowResult,
    Status,
    WireRequest,
)
from rescheduler.send.pool import Done, FailureLimit, Pool, StopControl, WorkItem
from rescheduler.send.ratelimit import RateLimiter
from rescheduler.send.retry import RetryPolicy
from rescheduler.send.rowresults import INTERRUPTED_IN_FLIGHT, RETRY_AFTER_TOO_LONG
from tests.virtualloop import run_virtual

OK = Outcome(OutcomeKind.SUCCEEDED, http_status=200, result_code="0200000")


def item(n: int) -> WorkItem:
    wire = WireRequest(
        line=n + 2, appoint_id=str(n), vdn_id=1, path="/p", body=b"{}", payload_hash=f"h{n}"
    )
    return WorkItem(wire, (str(n),), f"1:{n}", "")


def items(count: int) -> Iterator[WorkItem | Done]:
    return (item(n) for n in range(count))


def make_pool(
    send: object,
    sink: list[Done],
    *,
    concurrency: int = 4,
    rate: float = 0.0,
    attempts: int = 3,
    stop: StopControl | None = None,
    limit: str = "",
    window: int = 4096,
) -> Pool:
    return Pool(
        send=send,  # type: ignore[arg-type]
        sink=sink.append,
        concurrency=concurrency,
        limiter=RateLimiter(rate),
        policy=RetryPolicy(attempts, 0.01, 0.02),
        stop=stop or StopControl(),
        failure_limit=FailureLimit(limit),
        access_key="ak-1",
        random=lambda: 0.5,
        reorder_window=window,
    )


@pytest.mark.anyio
async def test_concurrency_cap_is_reached_and_never_exceeded() -> None:
    in_flight = peak = 0

    async def send(wire: WireRequest) -> Outcome:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await anyio.sleep(0.005)
        in_flight -= 1
        return OK

    sink: list[Done] = []
    await make_pool(send, sink, concurrency=6).run(items(100))
    assert peak == 6
    assert [d.result.line for d in sink] == list(range(2, 102))  # in input order
    assert {d.result.status for d in sink} == {Status.SUCCEEDED}


@pytest.mark.anyio
async def test_retry_after_pauses_every_worker() -> None:
    calls: list[float] = []
    throttled_at: list[float] = []

    async def send(wire: WireRequest) -> Outcome:
        calls.append(anyio.current_time())
        if wire.appoint_id == "0" and not throttled_at:
            await anyio.sleep(0.02)
            throttled_at.append(anyio.current_time())
            return Outcome(OutcomeKind.HTTP_ERROR, http_status=429, retry_after_s=0.3)
        await anyio.sleep(0.001)
        return OK

    sink: list[Done] = []
    await make_pool(send, sink, concurrency=4).run(items(200))
    before = [t for t in calls if t < throttled_at[0]]
    after = [t for t in calls if t >= throttled_at[0]]
    assert len(before) > 4  # the other workers kept going until the 429 came back
    assert after
    assert min(after) - throttled_at[0] >= 0.3  # then nobody sent anything for 0.3 s
    assert {d.result.status for d in sink} == {Status.SUCCEEDED}
    assert next(d for d in sink if d.result.line == 2).result.attempts == 2


def test_rate_limit_is_one_schedule_for_all_workers_and_retries() -> None:
    """On a virtual clock: 8 workers at 100/s, every third attempt answered 503 and retried."""

    async def main() -> tuple[list[float], list[Done]]:
        times: list[float] = []
        counter = itertools.count()

        async def send(wire: WireRequest) -> Outcome:
            times.append(anyio.current_time())
            await anyio.sleep(0.004)
            if next(counter) % 3 == 0:
                return Outcome(OutcomeKind.HTTP_ERROR, http_status=503)
            return OK

        sink: list[Done] = []
        pool = make_pool(send, sink, concurrency=8, attempts=5)
        pool.limiter = RateLimiter(100.0, clock=anyio.current_time, resolution_s=0.0)
        await pool.run(items(40))
        return times, sink

    times, sink = run_virtual(main)
    assert {d.result.status for d in sink} == {Status.SUCCEEDED}
    assert len(times) == sum(d.result.attempts for d in sink) > 40  # retries were sent too
    # every attempt, first or retry, from any worker, on its own start of one schedule
    assert [t - times[0] for t in times] == pytest.approx([k * 0.01 for k in range(len(times))])


@pytest.mark.anyio
async def test_unauthorized_stops_everything_and_names_the_access_key() -> None:
    async def send(wire: WireRequest) -> Outcome:
        await anyio.sleep(0.002)
        return Outcome(OutcomeKind.UNAUTHORIZED, http_status=401, message="HTTP 401")

    stop = StopControl()
    sink: list[Done] = []
    await make_pool(send, sink, concurrency=3, stop=stop).run(items(50))
    assert isinstance(stop.reason, CredentialsRejected)
    assert "'ak-1'" in str(stop.reason)
    statuses = [d.result.status for d in sink]
    assert len(sink) == 50
    assert statuses.count(Status.FAILED) == 3  # the three in flight
    assert statuses.count(Status.NOT_SENT) == 47


@pytest.mark.anyio
async def test_stop_request_interrupts_backoff_and_leaves_rows_not_sent() -> None:
    stop = StopControl()
    sends_after_stop = 0

    async def send(wire: WireRequest) -> Outcome:
        nonlocal sends_after_stop
        sends_after_stop += stop.requested
        if wire.appoint_id == "5":
            stop.request(Interrupted("interrupted by SIGINT"))
        return Outcome(OutcomeKind.HTTP_ERROR, http_status=503, message="HTTP 503")

    sink: list[Done] = []
    pool = make_pool(send, sink, concurrency=2, stop=stop, attempts=5)
    await pool.run(items(40))
    by_line = {d.result.line: d.result for d in sink}
    assert sorted(by_line) == list(range(2, 42))
    assert sends_after_stop == 0
    cut_short = [r for r in by_line.values() if "not retried: interrupted by SIGINT" in r.error]
    assert cut_short
    assert all(r.status == Status.FAILED and r.attempts < 5 for r in cut_short)
    not_sent = [r.line for r in by_line.values() if r.status == Status.NOT_SENT]
    assert not_sent == list(range(max(r.line for r in cut_short) + 1, 42))


@pytest.mark.anyio
async def test_decided_rows_pass_through_in_order_and_failure_share_trips() -> None:
    async def send(wire: WireRequest) -> Outcome:
        return Outcome(OutcomeKind.REJECTED, http_status=200, result_code="04000004")

    def source() -> Iterator[WorkItem | Done]:
        for n in range(60):
            if n % 2:
                yield Done(RowResult(n + 2, Status.INVALID, (str(n),), error="bad"))
            else:
                yield item(n)

    stop = StopControl()
    sink: list[Done] = []
    await make_pool(send, sink, concurrency=2, stop=stop, limit="50%").run(source())
    assert [d.result.line for d in sink] == list(range(2, 62))
    assert stop.reason is not None
    assert "reaching --max-failures 50%" in str(stop.reason)


@pytest.mark.anyio
async def test_one_slow_row_does_not_hold_back_more_than_the_window() -> None:
    async def send(wire: WireRequest) -> Outcome:
        if wire.appoint_id == "0":
            await anyio.sleep(0.2)
        return OK

    sink: list[Done] = []
    await make_pool(send, sink, concurrency=4, window=10).run(items(200))
    lines = [d.result.line for d in sink]
    assert sorted(lines) == list(range(2, 202))
    assert lines[0] != 2  # the slow first row did not block the report
    assert lines.index(2) > 10


def test_failure_limit() -> None:
    assert FailureLimit("3").tripped(3, 3)
    assert not FailureLimit("3").tripped(2, 100)
    assert not FailureLimit("10%").tripped(5, 19)  # not enough answers yet
    assert FailureLimit("10%").tripped(2, 20)
    assert not FailureLimit("").tripped(10**6, 10**6)


# --- issue 9: stopping without losing a row, and the answers that stop a run -----------------


@pytest.mark.anyio
async def test_abandon_stops_waiting_for_requests_in_flight_and_writes_every_row() -> None:
    stop = StopControl()
    started = 0

    async def send(wire: WireRequest) -> Outcome:
        nonlocal started
        started += 1
        if started > 8:
            await anyio.sleep_forever()  # a server that never answers these
        return OK

    async def press() -> None:
        while started < 8 + 3:  # noqa: ASYNC110 (the pool's own progress)
            await anyio.sleep(0.001)
        stop.request(Interrupted("interrupted by SIGINT"))
        await anyio.sleep(0.01)  # the first stop waits for the three on their way...
        assert len(sink) == 8
        stop.abandon(Interrupted("interrupted by SIGINT"))  # ...the second does not

    sink: list[Done] = []
    pool = make_pool(send, sink, concurrency=3, stop=stop)
    async with anyio.create_task_group() as tg:
        tg.start_soon(press)
        await pool.run(items(100))
    by_line = {d.result.line: d.result for d in sink}
    assert sorted(by_line) == list(range(2, 102))  # every row once
    statuses = [r.status for r in by_line.values()]
    assert statuses.count(Status.SUCCEEDED) == 8
    abandoned = [r for r in by_line.values() if r.status == Status.FAILED]
    assert len(abandoned) == 3
    assert all(r.attempts == 1 and r.error_code == INTERRUPTED_IN_FLIGHT for r in abandoned)
    assert all("may or may not have applied it" in r.error for r in abandoned)
    assert statuses.count(Status.NOT_SENT) == 89
    assert not stop.hard


@pytest.mark.anyio
async def test_an_untrusted_certificate_stops_the_run_like_a_401() -> None:
    calls = 0

    async def send(wire: WireRequest) -> Outcome:
        nonlocal calls
        calls += 1
        await anyio.sleep(0.002)
        return Outcome(OutcomeKind.CERTIFICATE, message="the TLS certificate of h is not trusted")

    stop = StopControl()
    sink: list[Done] = []
    await make_pool(send, sink, concurrency=2, stop=stop, attempts=5).run(items(30))
    assert isinstance(stop.reason, CertificateRejected)
    assert calls == 2  # never retried: final at once
    statuses = [d.result.status for d in sink]
    assert statuses.count(Status.FAILED) == 2
    assert statuses.count(Status.NOT_SENT) == 28


@pytest.mark.anyio
async def test_a_bug_in_send_fails_its_row_and_stops_the_run_cleanly() -> None:
    async def send(wire: WireRequest) -> Outcome:
        await anyio.sleep(0.001)
        if wire.appoint_id == "4":
            raise KeyError("a bug below the pool")
        return OK

    stop = StopControl()
    sink: list[Done] = []
    await make_pool(send, sink, concurrency=2, stop=stop).run(items(40))
    assert isinstance(stop.reason, Crashed)
    assert isinstance(stop.reason.__cause__, KeyError)
    by_line = {d.result.line: d.result for d in sink}
    assert sorted(by_line) == list(range(2, 42))
    bad = by_line[6]
    assert bad.status == Status.FAILED
    assert bad.error_code == "internal_error"
    assert "(KeyError)" in bad.error
    assert "a bug below" not in bad.error  # the bug's text stays out of the report
    assert Status.NOT_SENT in {r.status for r in by_line.values()}


@pytest.mark.anyio
async def test_a_retry_after_over_the_cap_is_not_waited_for() -> None:
    async def send(wire: WireRequest) -> Outcome:
        return Outcome(OutcomeKind.HTTP_ERROR, http_status=429, retry_after_s=99999.0)

    sink: list[Done] = []
    pool = make_pool(send, sink, concurrency=2, attempts=5)
    with anyio.fail_after(10):  # a safety net: the old pool waited 27 hours
        await pool.run(items(4))
    assert [d.result.attempts for d in sink] == [1, 1, 1, 1]
    assert all(d.result.error_code == RETRY_AFTER_TOO_LONG for d in sink)
    assert all("send.max_retry_after_s = 120 s" in d.result.error for d in sink)
    assert pool.limiter.paused_until == float("-inf")  # nobody was paused for it


@pytest.mark.anyio
@pytest.mark.parametrize("waiting_in", ["backoff", "rate limiter"])
async def test_abandon_as_the_first_stop_loses_no_row_whatever_the_workers_wait_for(
    waiting_in: str,
) -> None:
    busy = Outcome(OutcomeKind.HTTP_ERROR, http_status=503, message="HTTP 503")
    sent = 0

    async def send(wire: WireRequest) -> Outcome:
        nonlocal sent
        sent += 1
        return busy if waiting_in == "backoff" else OK

    stop = StopControl()
    sink: list[Done] = []
    pool = Pool(
        send=send,
        sink=sink.append,
        concurrency=3,
        limiter=RateLimiter(0.5 if waiting_in == "rate limiter" else 0.0),
        policy=RetryPolicy(5, 60.0, 60.0),  # a backoff of 30 s: the workers sit in it
        stop=stop,
        failure_limit=FailureLimit(""),
        random=lambda: 0.5,
    )

    async def press() -> None:
        while sent < (3 if waiting_in == "backoff" else 1):  # noqa: ASYNC110
            await anyio.sleep(0.001)
        await anyio.sleep(0.01)  # the workers are now waiting
        stop.abandon(Interrupted("stopped by li.na on the web page"))

    with anyio.fail_after(10):
        async with anyio.create_task_group() as tg:
            tg.start_soon(press)
            await pool.run(items(20))
    lines = sorted(d.result.line for d in sink)
    assert lines == list(range(2, 22))  # every row, once
    if waiting_in == "backoff":
        waited = [d.result for d in sink if d.result.attempts]
        assert len(waited) == 3
        assert all(r.status == Status.FAILED and r.http_status == 503 for r in waited)
        assert all("not retried: stopped by li.na" in r.error for r in waited)
    else:
        assert [d.result.status for d in sink].count(Status.SUCCEEDED) == 1
        assert [d.result.status for d in sink].count(Status.NOT_SENT) == 19
