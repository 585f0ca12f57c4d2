"""Paging through ``appoint/list`` with the run's own machinery (the async shell of ``state``).

Every page is a request in the worker pool (``send.pool.Pool``, the project's only task group):
signed by the transport (``Transport.fetch``, the same signed POST as an update), spaced by the
same rate limiter, retried by the same policy, stopped by the same ``StopControl`` (a 401, a
dead server, Ctrl-C). Pages run ``send.concurrency`` at a time; each is parsed
(``listing.parse_page``) and stored in the journal (``staging``) the moment it arrives.

One *sweep* reads the listing once:

1. the first page alone: it tells ``totalCount``, and whether the server returned fewer items
   than asked although more exist — it caps the page size; the sweep then uses its size
   (without a ``totalCount``, a short first page is followed by one more page to tell a cap
   from the end);
2. the other pages, concurrently, for as long as their offset is below the last ``totalCount``
   seen (without any ``totalCount``: until a page comes back short);
3. a page that came back short although more exist is asked for the rest, once.

A sweep is *complete* when every page reported the same ``totalCount`` and the distinct
appointIds seen (plus unusable items) equal it, and no reservation came twice with different
values. Otherwise the list moved while it was read (reservations added or removed shift the
offsets: a reservation can appear twice, which the journal's appointId key absorbs, or slip
between two pages; one changed while listed can appear with its old and its new values) and
another sweep starts, at most ``MAX_SWEEPS`` in all. The result is the reservations of the last
sweep; if none was complete, every reservation seen in any sweep, and ``complete`` is False.
Without ``totalCount`` a sweep is unchecked (``complete`` None) unless a short page was followed
by a page with items: then the short page was not the end, and the sweep is incomplete too.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

from rescheduler.config import Config, Secret
from rescheduler.errors import ListingFailed, ListRefused, OutputError
from rescheduler.i18n import _
from rescheduler.models import Outcome, OutcomeKind, Status, WireRequest
from rescheduler.send.plan import base_path
from rescheduler.send.pool import Done, FailureLimit, Pool, StopControl, WorkItem
from rescheduler.state.listing import ListFilter, Page, page_wire, parse_page
from rescheduler.state.staging import Staging

log = logging.getLogger("rescheduler")
MAX_SWEEPS = 3


@dataclass
class Listed:
    """What a listing found. ``sweep`` None: the rows are every reservation seen."""

    total: int | None
    rows: int
    sweep: int | None
    sweeps: int
    complete: bool | None  # None: the server sent no totalCount to check against
    page_size: int
    requests: int
    resumed_pages: int
    unusable: int


class Lister:
    """Lists every reservation matching ``query`` into ``staging``; ``await lister.run()``."""

    def __init__(
        self,
        config: Config,
        credentials: tuple[str, Secret],
        query: ListFilter,
        staging: Staging,
        *,
        stop: StopControl | None = None,
        on_page: Callable[[int | None, int, int], None] = lambda total, done, sweep: None,
        handle_signals: bool = False,
        hide_access_key: bool = False,
    ) -> None:
        self.config = config
        self.hide_access_key = hide_access_key  # the upload page: no access key in messages
        self.credentials = credentials
        self.query = query
        self.staging = staging
        self.stop = stop or StopControl()
        self.on_page = on_page
        self.handle_signals = handle_signals
        self.requests = 0
        self._replies: dict[int, Page] = {}
        self._asked: dict[int, int] = {}
        self._gaps: list[tuple[int, int]] = []
        self._refused: ListRefused | None = None
        self._unwritable: OutputError | None = None  # a page could not be stored (disk full)
        self._sweep = 1
        self._seen = 0
        self._total: int | None = None
        self._ended = False
        self._fetch: Callable[[WireRequest], Awaitable[tuple[Outcome, Any]]] | None = None

    async def run(self) -> Listed:
        from rescheduler.send.answers import page_bytes
        from rescheduler.send.ratelimit import RateLimiter
        from rescheduler.send.retry import RetryPolicy
        from rescheduler.send.transport import Transport

        cfg = self.config
        access_key, secret = self.credentials
        resumed = self.staging.pages() if self.staging.resumed else 0
        limit = page_bytes(cfg.listing.page_size)
        concurrency = cfg.send.concurrency
        transport = Transport(cfg.server, access_key, secret, concurrency, page_limit=limit)
        async with transport:
            self._fetch = transport.fetch
            self._pool = Pool(
                send=self._send,
                sink=self._sink,
                concurrency=cfg.send.concurrency,
                limiter=RateLimiter(cfg.send.rate_per_s),
                policy=RetryPolicy(
                    cfg.send.max_attempts, cfg.send.backoff_base_s, cfg.send.backoff_cap_s
                ),
                stop=self.stop,
                failure_limit=FailureLimit(""),
                access_key="***" if self.hide_access_key else access_key,
                handle_signals=self.handle_signals,
            )
            sweep = self.staging.sweep
            while True:
                complete = await self._one_sweep(sweep)
                if complete is not False or sweep >= MAX_SWEEPS:
                    break
                log.warning(
                    _(
                        "the listing changed while it was read (sweep {sweep}: {seen} seen, "
                        "totalCount {total}); reading it again"
                    ).format(sweep=sweep, seen=self.staging.seen_in(sweep), total=self._total)
                )
                sweep += 1
                self.staging.start_sweep(sweep)
        final = sweep if complete is not False else None
        rows = self.staging.seen_in(sweep) if final is not None else self.staging.count()
        pages = self.staging.done_offsets(sweep).values()
        return Listed(
            total=self._total,
            rows=rows,
            sweep=final,
            sweeps=sweep,
            complete=complete,
            page_size=self.staging.page_size(sweep) or cfg.listing.page_size,
            requests=self.requests,
            resumed_pages=resumed,
            unusable=sum(page.unusable for page in pages),
        )

    # -- one sweep ----------------------------------------------------------------------------

    async def _one_sweep(self, sweep: int) -> bool | None:
        self._sweep = sweep
        self._seen = self.staging.seen_in(sweep)
        self._gaps = []
        done = self.staging.done_offsets(sweep)
        size = self.staging.page_size(sweep) or self.config.listing.page_size
        if 0 not in done:
            await self._round(iter([(0, size)]))
            done = self.staging.done_offsets(sweep)
            self._gaps = []  # a short first page sets the page size instead (below)
        first = done[0]
        self._total = first.total
        if self.staging.page_size(sweep) is None:
            capped = first.total is not None and first.total > size
            if 0 < first.received < size and first.total is None:
                # no count: a short first page is the end, or a cap the server does not state;
                # one page more tells which (a capped listing stopped after its first page)
                if first.received not in done:
                    await self._round(iter([(first.received, size)]))
                    done = self.staging.done_offsets(sweep)
                    self._gaps = []
                capped = done[first.received].received > 0
            if 0 < first.received < size and capped:
                log.warning(
                    _(
                        "the server answered {got} reservations to a page of {asked}: using "
                        "pages of {got}"
                    ).format(got=first.received, asked=size)
                )
                size = first.received
            self.staging.set_page_size(sweep, size)
        for page in done.values():  # resumed: the latest totalCount seen
            if page.total is not None:
                self._total = page.total
        self._ended = first.total is None and first.received < size
        await self._round(self._offsets(size, done))
        if self._gaps:  # short pages although more exist: ask for the rest, once
            gaps, self._gaps = self._gaps, []
            await self._round(iter(gaps))
        return self._complete(sweep)

    def _offsets(self, size: int, done: dict[int, Any]) -> Iterator[tuple[int, int]]:
        offset = size
        while not self._ended and (self._total is None or offset < self._total):
            if offset not in done:
                yield offset, size
            offset += size

    def _complete(self, sweep: int) -> bool | None:
        if self.staging.conflicts(sweep):
            return False  # a reservation listed twice with different values: the list moved
        done = self.staging.done_offsets(sweep)
        pages = done.values()
        totals = {page.total for page in pages}
        if None in totals:
            # no count to check against; but a short page with items after it was not the end
            size = self.staging.page_size(sweep)
            ends = [
                start
                for start, page in done.items()
                if page.received < min(page.asked, size or page.asked)
            ]
            if ends and any(page.received for start, page in done.items() if start > min(ends)):
                return False
            return None
        unusable = sum(page.unusable for page in pages)
        return len(totals) == 1 and self.staging.seen_in(sweep) + unusable == self._total

    async def _round(self, pages: Iterator[tuple[int, int]]) -> None:
        """Fetch ``(offset, limit)`` pages through the pool; raise if the listing must stop."""
        cfg = self.config

        def items() -> Iterator[WorkItem]:
            for offset, limit in pages:
                self._asked[offset] = limit
                wire = page_wire(
                    self.query,
                    offset,
                    limit,
                    vdn_id=cfg.server.vdn_id,
                    prefix=base_path(cfg.server.base_url),
                )
                yield WorkItem(wire, (), str(offset), "")

        await self._pool.run(items())
        if self._unwritable is not None:
            raise self._unwritable
        if self._refused is not None:
            raise self._refused
        if self.stop.reason is not None:
            raise self.stop.reason

    # -- the pool's callbacks -----------------------------------------------------------------

    async def _send(self, wire: WireRequest) -> Outcome:
        assert self._fetch is not None
        self.requests += 1
        outcome, data = await self._fetch(wire)
        if outcome.kind is OutcomeKind.SUCCEEDED:
            page = parse_page(data)
            if isinstance(page, str):
                return Outcome(OutcomeKind.BAD_RESPONSE, http_status=200, message=page)
            self._replies[wire.line] = page
        return outcome

    def _sink(self, done: Done) -> None:
        offset = int(done.key)
        asked = self._asked.pop(offset)
        result = done.result
        if result.status is Status.SUCCEEDED:
            page = self._replies.pop(offset)
            try:
                self._store(offset, asked, page)
            except OutputError as exc:  # raised by _round, not through the pool's task group
                if self._unwritable is None:
                    self._unwritable = exc
                self.stop.request(ListingFailed(str(exc)))
        elif result.status is Status.FAILED and result.http_status != 401:
            self._replies.pop(offset, None)
            error = result.error
            if result.result_code:  # the server's own words (``error`` advises on update rows)
                desc = result.result_desc or result.return_desc
                error = f"{result.result_code}: {desc}".rstrip(": ")
            self._fail(offset, asked, result.http_status, result.result_code, error)

    def _store(self, offset: int, asked: int, page: Page) -> None:
        sweep = self._sweep
        self._seen += self.staging.add_page(
            sweep, offset, asked, page.received, page.total, page.ids, page.items
        )
        if page.total is not None:
            self._total = page.total
        if page.received < asked:
            if page.total is None:
                self._ended = True
            elif offset + page.received < page.total:
                self._gaps.append((offset + page.received, asked - page.received))
        self.on_page(self._total, self._seen, sweep)

    def _fail(self, offset: int, asked: int, status: int | None, code: str, error: str) -> None:
        where = _("appoint/list (offset {offset}, limit {limit})").format(
            offset=offset, limit=asked
        )
        if code or status == 200:  # the server answered: a refusal, or an unreadable answer
            hint = ""
            if code == "0200001":
                hint = _(
                    "; if the page is larger than this server allows, lower list.page_size "
                    "(now {size})"
                ).format(size=self.config.listing.page_size)
            message = _("{where} was refused: {error}{hint}; nothing was written").format(
                where=where, error=error, hint=hint
            )
            if self._refused is None:
                self._refused = ListRefused(message)
            self.stop.request(ListingFailed(message))
            return
        self.stop.request(
            ListingFailed(_("{where} failed: {error}").format(where=where, error=error))
        )
