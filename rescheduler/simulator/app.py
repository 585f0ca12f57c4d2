"""The simulator's aiohttp application: the CC-iSales ``appoint`` endpoints and ``/_sim`` pages.

Checks run in this order, the first failure answers:

1. rate limit (``FaultPlan.rate_limit_per_s``)      -> HTTP 429, ``Retry-After``, code 0200022
2. auth-v2 signature (``rescheduler.send.auth.verify``)   -> HTTP 401, JSON body with the reason
3. ``Content-Type`` is not JSON                      -> HTTP 415, JSON body, code 0200001
4. vdnId not 1..9999 or not served                   -> HTTP 200, code 0200001
5. body is not JSON                                  -> HTTP 200, code 0200001
6. fault injection and latency (``faults.decide``)   -> see ``faults.FaultKind``
7. body rules (``validation.validate_update``)       -> HTTP 200, 0200001/02000001/2/3
8. unknown appointId 04000004, automatic reservation 0200001, else the update is applied.

Only authenticated, well-formed requests (stage 6 on) get injected latency or faults and count
as an attempt for their appointId. ``appoint/list`` goes through stages 1-5, then its own
faults and latency (``SimConfig.list_faults``, drawn per request body and attempt), then
``validation.validate_list`` (a limit above ``max_list_limit`` is 0200001), then answers the
envelope plus ``totalCount`` and ``data`` (isales-api.md, list): the matching reservations
ordered by (appointTime, appointId), as ``Reservation.list_item`` spells them
(``listing.Listings`` filters, orders and caches them). ``Simulator.on_list`` (tests) runs
before each listing is computed, e.g. to change the store between pages. ``GET /_sim/stats``
and ``GET /_sim/reservations/{appointId}`` need no signature; nor does ``/_sim/hooks``
(``hooks.py``: a stand-in chat webhook for rehearsing alerts).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import struct
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson
from aiohttp import web

from rescheduler.send.auth import verify
from rescheduler.simulator.config import SimConfig
from rescheduler.simulator.faults import FaultKind, RateLimiter, decide
from rescheduler.simulator.hooks import add_hook_routes
from rescheduler.simulator.listing import Listings
from rescheduler.simulator.stats import Stats
from rescheduler.simulator.store import AUTOMATIC, Store
from rescheduler.simulator.validation import (
    DB_ERROR,
    NOT_FOUND,
    PARAM_ERROR,
    SUCCESS,
    TOO_FAST,
    ListQuery,
    Rejection,
    validate_list,
    validate_update,
)

API_PREFIX = "/rest/isales/v1/openapi/campaigns/{vdnId}/appoint"
JSON_TYPE = "application/json;charset=UTF-8"


def envelope(code: str, desc: str, **extra: Any) -> bytes:
    """The four-field answer every API response carries (all strings), plus ``extra``."""
    return orjson.dumps(
        {"returnCode": code, "resultCode": code, "resultDesc": desc, "returnDesc": desc, **extra}
    )


_SUCCESS_BODY = envelope(SUCCESS, "update success")
_NOT_FOUND_BODY = envelope(NOT_FOUND, "the reservation does not exist")
_AUTOMATIC_BODY = envelope(
    PARAM_ERROR,
    "parameter error: only reservations for manual outbound calls can be modified; "
    "this one is for an automatic outbound call",
)
_FAULT_ANSWERS: dict[FaultKind, tuple[int, str, bytes]] = {
    FaultKind.HTTP_500: (500, "text/plain", b"500 Internal Server Error (simulated)"),
    FaultKind.HTTP_502: (502, "text/plain", b"502 Bad Gateway (simulated)"),
    FaultKind.HTTP_503: (503, "text/plain", b"503 Service Unavailable (simulated)"),
    FaultKind.HTTP_504: (504, "text/plain", b"504 Gateway Timeout (simulated)"),
    FaultKind.DB_ERROR: (200, JSON_TYPE, envelope(DB_ERROR, "database operation error")),
    FaultKind.TOO_FAST: (200, JSON_TYPE, envelope(TOO_FAST, "the interface is called too fast")),
}
_FAULT_CODES = {FaultKind.DB_ERROR: DB_ERROR, FaultKind.TOO_FAST: TOO_FAST}


def _reset(request: web.Request) -> None:
    """Close the client's connection abruptly: RST, no answer."""
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        # the connection may already be gone; abort() still closes it
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


class Simulator:
    """The state behind one application: config, reservations, counters, and the handlers."""

    def __init__(self, config: SimConfig, store: Store) -> None:
        self.config = config
        self.store = store
        self.stats = Stats()
        plan = config.faults
        self._limiter = RateLimiter(plan.rate_limit_per_s) if plan.rate_limit_per_s else None
        self._decides = plan.injects_faults or plan.latency_jitter_ms > 0
        self._latency_s = plan.latency_ms / 1000.0
        self._too_many = envelope(TOO_FAST, "the interface is called too fast")
        self._retry_after = str(plan.retry_after_s)
        listing = config.list_faults
        self._list_decides = listing.injects_faults or listing.has_latency
        self._listings = Listings()
        self.on_list: Callable[[ListQuery], None] | None = None

    # helpers -----------------------------------------------------------------------------------

    def _answer(self, code: str, body: bytes, status: int = 200) -> web.Response:
        self.stats.answered(status, code)
        return web.Response(body=body, status=status, headers={"Content-Type": JSON_TYPE})

    async def _admit(self, request: web.Request) -> tuple[web.Response | None, object]:
        """Stages 1-5: an early answer, or ``(None, decoded body)``."""
        if self._limiter is not None and not self._limiter.allow():
            response = self._answer(TOO_FAST, self._too_many, 429)
            response.headers["Retry-After"] = self._retry_after
            return response, None
        body = await request.read()
        reason = verify(
            authorization=request.headers.get("Authorization", ""),
            secret_for=self.config.credentials,
            method=request.method,
            path=request.rel_url.raw_path,
            query=dict(request.query) if request.query_string else None,
            headers=request.headers,
            body=body,
            now=datetime.now(UTC),
            max_skew_s=self.config.max_skew_s,
        )
        if reason is not None:
            desc = f"authentication failed: {reason}"
            return self._answer(PARAM_ERROR, envelope(PARAM_ERROR, desc), 401), None
        if request.content_type != "application/json":
            desc = "parameter error: Content-Type must be application/json"
            return self._answer(PARAM_ERROR, envelope(PARAM_ERROR, desc), 415), None
        vdn_text = request.match_info["vdnId"]
        if not (vdn_text.isascii() and vdn_text.isdigit() and 1 <= int(vdn_text) <= 9999):
            desc = "parameter error: vdnId must be an integer in 1..9999"
            return self._answer(PARAM_ERROR, envelope(PARAM_ERROR, desc)), None
        if int(vdn_text) not in self.config.vdn_ids:
            served = ",".join(str(v) for v in sorted(self.config.vdn_ids))
            desc = f"parameter error: vdnId {int(vdn_text)} does not exist (served: {served})"
            return self._answer(PARAM_ERROR, envelope(PARAM_ERROR, desc)), None
        try:
            return None, orjson.loads(body)
        except orjson.JSONDecodeError:
            desc = "parameter error: the request body is not valid JSON"
            return self._answer(PARAM_ERROR, envelope(PARAM_ERROR, desc)), None

    async def _fault(self, request: web.Request, kind: FaultKind) -> web.Response:
        self.stats.fault(kind.value)
        if kind is FaultKind.HANG:
            await asyncio.sleep(self.config.faults.hang_s)
        if kind in (FaultKind.RESET, FaultKind.HANG):
            _reset(request)
            return web.Response()  # never reaches the client: the transport is closed
        status, content_type, body = _FAULT_ANSWERS[kind]
        self.stats.answered(status, _FAULT_CODES.get(kind))
        return web.Response(body=body, status=status, headers={"Content-Type": content_type})

    # API handlers ------------------------------------------------------------------------------

    async def handle_update(self, request: web.Request) -> web.Response:
        self.stats.enter()
        try:
            early, body = await self._admit(request)
            if early is not None:
                return early
            if self._decides:
                appoint_id = body.get("appointId") if isinstance(body, dict) else None
                key = appoint_id if isinstance(appoint_id, str) else ""
                decision = decide(self.config.faults, key, self.stats.next_attempt(key))
                if decision.delay_s > 0:
                    await asyncio.sleep(decision.delay_s)
                if decision.fault is not FaultKind.NONE:
                    return await self._fault(request, decision.fault)
            elif self._latency_s > 0:
                await asyncio.sleep(self._latency_s)
            return self._apply(body)
        finally:
            self.stats.leave()

    def _apply(self, body: object) -> web.Response:
        fields = validate_update(body, self.config)
        if isinstance(fields, Rejection):
            return self._answer(fields.code, envelope(fields.code, fields.desc))
        reservation = self.store.lookup(fields.appoint_id)
        if reservation is None:
            return self._answer(NOT_FOUND, _NOT_FOUND_BODY)
        if reservation.call_type == AUTOMATIC:
            return self._answer(PARAM_ERROR, _AUTOMATIC_BODY)
        if fields.user_account is not None:
            reservation.user_account = fields.user_account
        if fields.work_no is not None:
            reservation.work_no = fields.work_no
        if fields.appoint_time_ms is not None:
            reservation.appoint_time_ms = fields.appoint_time_ms
        if fields.remark is not None:
            reservation.remark = fields.remark
        self.store.record_update(reservation)
        return self._answer(SUCCESS, _SUCCESS_BODY)

    async def handle_list(self, request: web.Request) -> web.Response:
        self.stats.enter()
        self.stats.list_requests += 1
        try:
            early, body = await self._admit(request)
            if early is not None:
                return early
            if self._list_decides:
                key = "list:" + orjson.dumps(body, option=orjson.OPT_SORT_KEYS).decode()
                decision = decide(self.config.list_faults, key, self.stats.next_attempt(key))
                if decision.delay_s > 0:
                    await asyncio.sleep(decision.delay_s)
                if decision.fault is not FaultKind.NONE:
                    return await self._fault(request, decision.fault)
            query = validate_list(body, self.config)
            if isinstance(query, Rejection):
                return self._answer(query.code, envelope(query.code, query.desc))
            if self.on_list is not None:
                self.on_list(query)
            config = self.config
            agent_id = config.deployment.agent_field == "workNo"
            found = self._listings.find(self.store, query, agent_id)
            limit = min(query.limit, config.list_page_cap or query.limit)
            data = [
                r.list_item(
                    agent_id=agent_id, remark=config.list_remark, work_no=config.list_work_no
                )
                for r in found[query.offset : query.offset + limit]
            ]
            extra: dict[str, Any] = {"data": data}
            if config.list_total_count:
                extra = {"totalCount": len(found), **extra}
            answer = envelope(SUCCESS, "query success", **extra)
            return self._answer(SUCCESS, answer)
        finally:
            self.stats.leave()

    # simulator pages ---------------------------------------------------------------------------

    async def handle_stats(self, request: web.Request) -> web.Response:
        page = {
            **self.stats.to_json(),
            "updates": self.store.update_summary(),
            "config": {
                "deployment": str(self.config.deployment),
                "vdn_ids": sorted(self.config.vdn_ids),
                "access_keys": sorted(self.config.credentials),
                "max_skew_s": self.config.max_skew_s,
                "accept_any": self.store.accept_any,
                "faults": self.config.faults.summary(),
            },
            "pid": os.getpid(),
        }
        return web.Response(body=orjson.dumps(page), headers={"Content-Type": JSON_TYPE})

    async def handle_reservation(self, request: web.Request) -> web.Response:
        found = self.store.get(request.match_info["appointId"])
        if found is None:
            body = orjson.dumps({"error": "no reservation with this appointId"})
            return web.Response(body=body, status=404, headers={"Content-Type": JSON_TYPE})
        return web.Response(body=orjson.dumps(found.to_json()), headers={"Content-Type": JSON_TYPE})


SIMULATOR = web.AppKey("simulator", Simulator)


def make_app(config: SimConfig, store: Store | None = None) -> web.Application:
    """The application; ``app[SIMULATOR]`` (or ``simulator_of(app)``) holds store and stats."""
    sim = Simulator(config, store if store is not None else Store())
    app = web.Application()
    app[SIMULATOR] = sim
    app.router.add_post(f"{API_PREFIX}/update", sim.handle_update)
    app.router.add_post(f"{API_PREFIX}/list", sim.handle_list)
    app.router.add_get("/_sim/stats", sim.handle_stats)
    app.router.add_get("/_sim/reservations/{appointId}", sim.handle_reservation)
    add_hook_routes(app)  # /_sim/hooks: stands in for the chat service (rehearsing alerts)
    return app


def simulator_of(app: web.Application) -> Simulator:
    return app[SIMULATOR]
