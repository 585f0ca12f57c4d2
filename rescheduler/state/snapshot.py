"""Reading what the server holds for the rows of a run (the async shell of the snapshot).

``gather`` reads the file once more (the engine's pass two, without sending) and stores every
row the run would send in the state store, collecting ``scope.Hints``. ``list_into`` then lists,
per VDN, with the pager (``pager.Lister``: the same pool, transport, signing, retries and rate
limit as ``run``): first filtered by the hints (``list.snapshot = "filtered"``, the default),
then, only if some row's reservation was not found, the whole VDN; ``"vdn"`` lists the whole VDN
at once. Each listing is staged on disk (``staging``) and copied into the store, so memory stays
flat. The same function lists again after the run for ``--verify`` (``table = "checked"``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from rescheduler.config import Config, Secret, resolve_timezone
from rescheduler.models import APPOINT_TIME, USER_ACCOUNT, WORK_NO
from rescheduler.read.columns import normalise_header
from rescheduler.read.reader import Table
from rescheduler.read.times import AppointTimeError, parse_appoint_time
from rescheduler.read.validate import clean_cell
from rescheduler.send.pool import Done, StopControl, WorkItem
from rescheduler.state.changefile import LISTED
from rescheduler.state.compare import agent_field
from rescheduler.state.listing import ListFilter
from rescheduler.state.scope import Hints
from rescheduler.state.statedb import StateDB

log = logging.getLogger("rescheduler")
WHOLE_VDN = "vdn"
FILTERED = "filtered"


@dataclass
class Listing:
    """What listing cost: requests, items listed, seconds; how each VDN was listed."""

    requests: int = 0
    items: int = 0
    seconds: float = 0.0
    filtered: list[int] = field(default_factory=list)  # VDNs listed with a filter
    whole: list[int] = field(default_factory=list)  # VDNs listed whole
    incomplete: bool = False  # some listing never held still
    fields: list[str] = field(default_factory=list)  # every field an item carried


@dataclass(frozen=True)
class Scope:
    rows: int
    hints: Hints
    sent_fields: frozenset[str]  # update fields some row sends


def gather(db: StateDB, table: Table, source: Iterator[WorkItem | Done], config: Config) -> Scope:
    """Store the rows ``source`` would send; the hints for listing them (runs in a thread)."""
    zone, _label = resolve_timezone(config.input.timezone)
    agent = agent_field(config.server.deployment)
    wanted = {normalise_header(LISTED + name): name for name in (USER_ACCOUNT, WORK_NO)}
    listed_agents = [
        i for i, h in enumerate(table.headers) if normalise_header(h) in wanted
    ]  # the agents an export's --set replaced
    times_at = [
        i
        for i, h in enumerate(table.headers)
        if normalise_header(h) == normalise_header(LISTED + APPOINT_TIME)
    ]
    hints = Hints()
    sent: set[str] = set()

    def rows() -> Iterator[tuple[int, str, int, str, bytes]]:
        for item in source:
            if not isinstance(item, WorkItem):
                continue
            wire = item.wire
            body = orjson.loads(wire.body)
            sent.update(body)
            agents = [str(body[agent])] if agent in body else []
            agents += [clean_cell(item.values[i]) for i in listed_agents if i < len(item.values)]
            times: list[int] = []
            if APPOINT_TIME in body:
                times.append(int(body[APPOINT_TIME]))
                for i in times_at:
                    text = clean_cell(item.values[i]) if i < len(item.values) else ""
                    with contextlib.suppress(AppointTimeError):
                        times.append(parse_appoint_time(text, zone))
            hints.add(wire.vdn_id, tuple(agents), tuple(times))
            yield wire.line, item.key, wire.vdn_id, wire.appoint_id, wire.body

    count = db.add_scope(rows())
    sent.discard("appointId")
    return Scope(count, hints, frozenset(sent))


async def list_into(
    db: StateDB,
    target: str,
    config: Config,
    credentials: tuple[str, Secret],
    hints: Hints,
    *,
    staging_path: Path,
    stop: StopControl,
    flag: int | None = None,
    handle_signals: bool = False,
    hide_access_key: bool = False,
    on_page: Callable[[], None] = lambda: None,
) -> Listing:
    """List the reservations of ``hints``' VDNs into ``target`` (``listed`` or ``checked``).

    Raises what the pager raises (``ListRefused``, a ``RunAborted``, ``OutputError``).
    """
    from rescheduler.state.pager import Lister
    from rescheduler.state.staging import Staging

    cost = Listing()
    seen: dict[str, None] = {}
    started = time.monotonic()
    whole_first = config.listing.snapshot == WHOLE_VDN

    async def one(vdn: int, query: ListFilter) -> None:
        vdn_config = dataclasses.replace(
            config, server=dataclasses.replace(config.server, vdn_id=vdn)
        )
        staging = Staging(staging_path, f"{vdn}|{query.fingerprint()}", resume=False)
        try:
            with staging:
                lister = Lister(
                    vdn_config,
                    credentials,
                    query,
                    staging,
                    stop=stop,
                    on_page=lambda total, done, sweep: on_page(),
                    handle_signals=handle_signals,
                    hide_access_key=hide_access_key,
                )
                try:
                    listed = await lister.run()
                finally:
                    cost.requests += lister.requests
                    if handle_signals:
                        from rescheduler.send.stop import release_signals

                        release_signals()  # between listings a Ctrl-C is a plain interrupt
                # a reservation listed with two sets of values is not taken as either (it is
                # "not listed": sent, the server decides, and the undo does not guess)
                cost.items += db.add_items(
                    target, vdn, staging.items(listed.sweep, consistent=True)
                )
                seen.update(dict.fromkeys(staging.fields()))
        finally:
            staging.discard()
        cost.incomplete = cost.incomplete or listed.complete is False

    for vdn in hints.vdns:
        query = None if whole_first else hints.query(vdn)
        if query is not None:
            await one(vdn, query)
            cost.filtered.append(vdn)
            if db.missing(vdn, target, flag=flag) == 0:
                continue  # the filtered listing found every row
        await one(vdn, ListFilter())
        cost.whole.append(vdn)
    cost.seconds = time.monotonic() - started
    cost.fields = list(seen)
    log.info(
        "snapshot listing (%s): %d requests, %d items, %.1f s",
        target,
        cost.requests,
        cost.items,
        cost.seconds,
    )
    return cost
