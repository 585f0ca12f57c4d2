"""Paging through appoint/list against the simulator over real sockets: complete and robust."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from rescheduler.config import Config, load_config
from rescheduler.errors import CredentialsRejected, Interrupted, ListRefused
from rescheduler.send.pool import StopControl
from rescheduler.simulator.config import SimConfig, sim_config
from rescheduler.simulator.server import RunningSimulator, running_simulator
from rescheduler.simulator.store import Reservation, Store
from rescheduler.simulator.validation import ListQuery
from rescheduler.state.listing import ListFilter
from rescheduler.state.pager import Listed, Lister
from rescheduler.state.staging import Staging

pytestmark = pytest.mark.anyio
T0 = 1_900_000_000_000


@contextlib.asynccontextmanager
async def simulator(
    reservations: int = 1234, config: SimConfig | None = None
) -> AsyncIterator[RunningSimulator]:
    store = Store.generate(reservations, seed=5, first_time_ms=T0)
    async with running_simulator(config or SimConfig(), store) as sim:
        sim.stats.arrivals = None
        yield sim


def client_config(sim: RunningSimulator, page_size: int = 100, **send: object) -> Config:
    overrides: dict[str, object] = {
        "server.base_url": sim.base_url,
        "server.timeout_s": 5,
        "auth.access_key": "demo-ak",
        "list.page_size": page_size,
        "send.concurrency": 8,
        "send.backoff_base_s": 0.001,
        "send.backoff_cap_s": 0.01,
    }
    overrides.update({f"send.{key}": value for key, value in send.items()})
    return load_config(None, overrides, environ={"RESCHEDULER_SECRET_KEY": "demo-secret-key"})


async def list_all(
    config: Config,
    path: Path,
    query: ListFilter = ListFilter(),  # noqa: B008
    *,
    resume: bool = False,
    stop: StopControl | None = None,
    on_page: Callable[[int | None, int, int], None] | None = None,
) -> tuple[Listed, list[str]]:
    with Staging(path, "test", resume=resume) as staging:
        lister = Lister(
            config,
            config.require_credentials(),
            query,
            staging,
            stop=stop,
            on_page=on_page or (lambda total, done, sweep: None),
        )
        listed = await lister.run()
        return listed, [ident for ident, _item in staging.items(listed.sweep)]


def expected_ids(sim: RunningSimulator) -> list[str]:
    ordered = sorted(sim.store, key=lambda r: (r.appoint_time_ms, r.appoint_id))
    return [r.appoint_id for r in ordered]


async def test_a_listing_is_complete_at_concurrency_8(tmp_path: Path) -> None:
    async with simulator(1234, sim_config(list_latency_ms=5)) as sim:
        listed, ids = await list_all(client_config(sim), tmp_path / "j.sqlite")
        assert sim.stats.max_in_flight > 1  # pages really went out side by side ...
        assert sim.stats.max_in_flight <= 8  # ... and never more than the concurrency
        assert ids == expected_ids(sim)
    assert (listed.total, listed.rows, listed.complete, listed.sweeps) == (1234, 1234, True, 1)
    assert listed.requests == 13  # one request per page, nothing more


async def test_filters_reach_the_server(tmp_path: Path) -> None:
    async with simulator(300) as sim:
        query = ListFilter(agents=("agent001", "agent002"), begin_ms=T0, end_ms=T0 + 150 * 60_000)
        listed, ids = await list_all(client_config(sim, page_size=3), tmp_path / "j", query)
        wanted = [
            r.appoint_id
            for r in sim.store
            if r.user_account in ("agent001", "agent002") and r.appoint_time_ms <= T0 + 9_000_000
        ]
    assert ids == wanted
    assert (listed.rows, listed.complete) == (4, True)  # agent001/002 at minutes 1, 2, 101, 102


async def test_a_server_that_caps_the_page_size_is_followed(tmp_path: Path) -> None:
    async with simulator(250, SimConfig(list_page_cap=40)) as sim:
        listed, ids = await list_all(client_config(sim), tmp_path / "j")
        assert ids == expected_ids(sim)
    assert (listed.page_size, listed.requests, listed.complete) == (40, 7, True)


async def test_a_short_page_in_the_middle_is_completed(tmp_path: Path) -> None:
    async with simulator(500) as sim:
        app = sim.simulator
        normal = app.config

        def short_once(query: ListQuery) -> None:  # the page at 200 comes back with 30 items
            cap = 30 if query.offset == 200 and query.limit == 100 else None
            app.config = dataclasses.replace(normal, list_page_cap=cap)

        app.on_list = short_once
        listed, ids = await list_all(client_config(sim), tmp_path / "j")
        assert ids == expected_ids(sim)
    assert (listed.rows, listed.complete, listed.requests) == (500, True, 6)  # 5 pages + the rest


async def test_reservations_added_while_listing_cause_a_second_sweep(tmp_path: Path) -> None:
    async with simulator(1000) as sim:
        calls = 0

        def add_early_ones(query: ListQuery) -> None:
            nonlocal calls
            calls += 1
            if calls == 3:  # a reservation before every other: all later offsets shift by one
                sim.store.add(Reservation("1" * 30, user_account="new", appoint_time_ms=T0 - 1))

        sim.simulator.on_list = add_early_ones
        listed, ids = await list_all(client_config(sim), tmp_path / "j")
        assert ids == expected_ids(sim)
    assert (listed.total, listed.rows, listed.complete, listed.sweeps) == (1001, 1001, True, 2)
    assert len(set(ids)) == len(ids)


async def test_reservations_removed_while_listing_are_not_exported(tmp_path: Path) -> None:
    async with simulator(1000) as sim:
        gone = expected_ids(sim)[:5]
        calls = 0

        def remove_some(query: ListQuery) -> None:
            nonlocal calls
            calls += 1
            if calls == 2:  # after the first page: the ones already read disappear
                for ident in gone:
                    sim.store.remove(ident)

        sim.simulator.on_list = remove_some
        listed, ids = await list_all(client_config(sim), tmp_path / "j")
        assert ids == expected_ids(sim)
    assert not set(gone) & set(ids)
    assert (listed.rows, listed.complete, listed.sweeps) == (995, True, 2)


async def test_a_listing_that_never_holds_still_is_reported_incomplete(tmp_path: Path) -> None:
    async with simulator(300) as sim:
        added = 0

        def keep_adding(query: ListQuery) -> None:
            nonlocal added
            added += 1
            sim.store.add(Reservation(f"{added:030d}", appoint_time_ms=T0 - added))

        sim.simulator.on_list = keep_adding
        listed, ids = await list_all(client_config(sim), tmp_path / "j")
    assert listed.complete is False
    assert listed.sweeps == 3
    assert listed.sweep is None  # every reservation seen, in any sweep
    assert len(ids) == len(set(ids)) == listed.rows


async def test_list_faults_are_retried_by_the_run_policy(tmp_path: Path) -> None:
    config = sim_config(list_p_503=0.3, list_p_reset=0.1, list_p_db_error=0.1, seed=3)
    async with simulator(1000, config) as sim:
        listed, ids = await list_all(client_config(sim, max_attempts=20), tmp_path / "j")
        assert ids == expected_ids(sim)
        faults = sum(sim.stats.faults.values())
    assert listed.complete is True
    assert faults > 0
    assert listed.requests == 10 + faults


async def test_rejected_credentials_stop_the_listing(tmp_path: Path) -> None:
    async with simulator(500) as sim:
        config = client_config(sim)
        config = dataclasses.replace(config, auth=dataclasses.replace(config.auth, access_key="x"))
        with pytest.raises(CredentialsRejected, match="rejected access key 'x'"):
            await list_all(config, tmp_path / "j")


async def test_a_page_larger_than_the_server_allows_is_refused_with_what_to_do(
    tmp_path: Path,
) -> None:
    async with simulator(500) as sim:
        with pytest.raises(ListRefused) as caught:
            await list_all(client_config(sim, page_size=101), tmp_path / "j")
        assert sim.stats.list_requests == 1  # a refusal is not retried
    assert str(caught.value) == (
        "appoint/list (offset 0, limit 101) was refused: 0200001: parameter error: offset must be "
        ">= 0 and limit in 1..100; if the page is larger than this server allows, lower "
        "list.page_size (now 101); nothing was written"
    )


async def test_without_total_count_pages_until_a_short_page(tmp_path: Path) -> None:
    async with simulator(950, SimConfig(list_total_count=False)) as sim:
        listed, ids = await list_all(client_config(sim), tmp_path / "j")
        assert ids == expected_ids(sim)
    assert (listed.total, listed.complete, listed.rows) == (None, None, 950)
    assert 10 <= listed.requests <= 10 + 8  # at most one page per worker beyond the end


async def test_an_interrupted_listing_resumes_where_it_stopped(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    async with simulator(2000) as sim:
        config = client_config(sim, concurrency=2)
        stop = StopControl()

        def stop_after_five(total: int | None, done: int, sweep: int) -> None:
            if done >= 500:
                stop.request(Interrupted("interrupted by SIGINT"))

        with pytest.raises(Interrupted):
            await list_all(config, path, stop=stop, on_page=stop_after_five)
        read_before = sim.stats.list_requests
        with Staging(path, "test", resume=True) as staging:
            kept = staging.pages()
        assert 5 <= kept < 20
        listed, ids = await list_all(config, path, resume=True)
        assert ids == expected_ids(sim)
        assert sim.stats.list_requests - read_before == 20 - kept  # only the missing pages
    assert (listed.rows, listed.complete, listed.resumed_pages) == (2000, True, kept)


async def test_a_page_that_cannot_be_stored_stops_the_listing_with_the_write_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk while a page is stored: the write error, not a crash of the task group."""
    from rescheduler.errors import OutputError

    stored = Staging.add_page

    def add_page(self: Staging, sweep: int, offset: int, *rest: object) -> int:
        if offset == 0:  # the first page goes alone: nothing else is left to end the pool
            raise OutputError("cannot write the export journal: disk full")
        return stored(self, sweep, offset, *rest)  # type: ignore[arg-type]

    monkeypatch.setattr(Staging, "add_page", add_page)
    async with simulator(1234) as sim:
        with pytest.raises(OutputError, match="disk full"):
            await list_all(client_config(sim), tmp_path / "j.sqlite")
