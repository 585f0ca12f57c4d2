"""The connection guard ``rescheduler serve`` runs aiohttp's HTTP protocol with.

aiohttp gives a request no deadline once its headers have started or its body is being read,
so a client that trickles a byte every 20 seconds holds a connection (and a file descriptor)
for ever; 10,000 of them locked real users out. ``GuardedHandler`` (aiohttp's
``RequestHandler`` with four additions):

* **a deadline for each request**: from the first byte of a request (or from the connection's
  opening) its headers and its whole body must have arrived within ``web.request_timeout_s``,
  plus one second for every ``web.min_body_rate`` bytes received (a large upload on a slow
  line keeps going; a trickle does not). Past it the connection is closed.
* **a cap on open connections per address** (``web.max_connections_per_address``; IPv6
  counted per /64, as one host usually holds a whole /64; the trusted proxies are not capped:
  they carry everyone) and a cap on all open connections, below the file-descriptor limit:
  past a cap a new connection is closed at once, so the server never runs out of descriptors.
* **its own answer to requests aiohttp's parser refuses** (oversized or too many headers, a
  bad method, a bad chunk, Content-Length with Transfer-Encoding): a short text naming only
  the status, with the security headers and ``Server: rescheduler`` (aiohttp's own named
  Python's and its versions and echoed the request's bytes).
* **quiet logs**: those refusals and the closed connections are logged one line at a time, at
  most one line a minute per kind with a count of the others (``Quiet``).

``Guard`` holds the counts; ``GuardedServer`` makes a ``GuardedHandler`` per connection.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from aiohttp import web
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_request import BaseRequest
from aiohttp.web_server import Server

from rescheduler.web.headers import SECURITY_HEADERS
from rescheduler.web.proxy import Network
from rescheduler.web.throttle import address_key

log = logging.getLogger("rescheduler.web")
QUIET_S = 60.0


class Quiet:
    """At most one log line per ``every_s`` per kind; the next says how many were left out."""

    def __init__(self, every_s: float = QUIET_S, clock: Any = time.monotonic) -> None:
        self._every = every_s
        self._clock = clock
        self._last: dict[str, float] = {}
        self._left_out: Counter[str] = Counter()

    def say(self, kind: str, message: str, *args: object, level: int = logging.WARNING) -> bool:
        now = self._clock()
        last = self._last.get(kind)
        if last is not None and now - last < self._every:
            self._left_out[kind] += 1
            return False
        self._last[kind] = now
        more = self._left_out.pop(kind, 0)
        suffix = f" ({more} more like it in the last {self._every:g} s)" if more else ""
        log.log(level, message + suffix, *args)
        return True


@dataclass
class Guard:
    timeout_s: float
    min_rate: int  # bytes per second
    per_address: int
    total: int
    trusted: tuple[Network, ...] = ()
    open: Counter[str] = field(default_factory=Counter)
    quiet: Quiet = field(default_factory=Quiet)

    def admit(self, key: str) -> bool:
        """Count one more connection from ``key``; False (not counted) if over a cap."""
        if sum(self.open.values()) >= self.total:
            self.quiet.say("total", "refused a connection: %d are open already", self.total)
            return False
        if self.open[key] >= self.per_address and not self._trusted(key):
            self.quiet.say(
                "address", "refused a connection from %s: %d are open already", key, self.open[key]
            )
            return False
        self.open[key] += 1
        return True

    def release(self, key: str) -> None:
        self.open[key] -= 1
        if self.open[key] <= 0:
            del self.open[key]

    def _trusted(self, key: str) -> bool:
        try:
            ip = ipaddress.ip_network(key, strict=False)
        except ValueError:
            return False
        return any(ip.version == net.version and ip.subnet_of(net) for net in self.trusted)  # type: ignore[arg-type]


class GuardedHandler(RequestHandler):
    """aiohttp's protocol for one connection, with the guard's deadline, caps and answers."""

    guard: Guard

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        peer = transport.get_extra_info("peername")
        self._key = address_key(str(peer[0])) if isinstance(peer, tuple) and peer else "?"
        self._admitted = self.guard.admit(self._key)
        self._started: float | None = None
        self._received = 0
        self._payload: Any = None
        self._timer: asyncio.TimerHandle | None = None
        if not self._admitted:
            self.force_close()
            return
        self._begin()  # the first request is due from the opening

    def connection_lost(self, exc: BaseException | None) -> None:
        if getattr(self, "_admitted", False):
            self._admitted = False
            self.guard.release(self._key)
        if getattr(self, "_timer", None) is not None:
            assert self._timer is not None
            self._timer.cancel()
            self._timer = None
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._payload is not None and self._payload.is_eof():
            self._started = None  # the last request arrived whole: this is the next one
        if self._started is None and data:
            self._begin()
        self._received += len(data)
        count = self._request_count
        super().data_received(data)
        if self._request_count != count and self._messages:
            self._payload = self._messages[-1][1]

    def _begin(self) -> None:
        loop = asyncio.get_running_loop()
        self._started, self._received, self._payload = loop.time(), 0, None
        if self._timer is None:
            self._timer = loop.call_at(self._started + self.guard.timeout_s, self._check)

    def _check(self) -> None:
        """At the deadline: close a connection whose request has not fully arrived."""
        self._timer = None
        if self._started is None or self.transport is None:
            return
        if self._payload is not None and self._payload.is_eof():
            self._started = None
            return
        guard = self.guard
        deadline = self._started + guard.timeout_s + self._received / guard.min_rate
        loop = asyncio.get_running_loop()
        if loop.time() < deadline:
            self._timer = loop.call_at(deadline, self._check)
            return
        guard.quiet.say(
            "slow", "closed a connection from %s: its request came too slowly", self._key
        )
        self.force_close()

    def handle_error(
        self,
        request: BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        """A short answer naming the status only, with the security headers."""
        if status >= 500:
            self.log_exception("Error handling request from %s", request.remote, exc_info=exc)
        else:
            reason = str(message or exc or "")[:200]
            self.guard.quiet.say(
                "bad", "refused a malformed request from %s: %s", self._key, reason, level=20
            )
        if request.writer.output_size > 0:
            raise ConnectionError("Response is sent already, cannot send another response")
        phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else ""
        response = web.Response(
            status=status, text=f"{status} {phrase}\n", headers=dict(SECURITY_HEADERS)
        )
        response.force_close()
        return response


class GuardedServer(Server):
    """aiohttp's low-level server, making ``GuardedHandler``s that share one ``Guard``."""

    def __init__(self, server: Server, guard: Guard) -> None:
        super().__init__(
            server.request_handler,
            request_factory=server.request_factory,
            handler_cancellation=server.handler_cancellation,
            loop=server._loop,
            **server._kwargs,
        )
        self.guard = guard

    def __call__(self) -> RequestHandler:
        handler = GuardedHandler(self, loop=self._loop, **self._kwargs)
        handler.guard = self.guard
        return handler


class GuardedRunner(web.AppRunner):
    """``web.AppRunner`` whose server is a ``GuardedServer``."""

    def __init__(self, app: web.Application, guard: Guard, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self.guard = guard

    async def _make_server(self) -> Server:
        return GuardedServer(await super()._make_server(), self.guard)
