"""A hand-written HTTP server on a loopback port, in a background thread, for the answers the
simulator does not give (redirects, far-future Retry-After, requests held until released).

``handler`` is an aiohttp.web handler; the server answers every method and path with it.
``Gate`` holds requests until the test releases them, counting what arrived.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
SUCCESS = b'{"resultCode":"0200000","resultDesc":"update success"}'


@dataclass
class Fake:
    base_url: str
    loop: asyncio.AbstractEventLoop
    seen: list[tuple[str, str]] = field(default_factory=list)  # (method, path) per request


@contextmanager
def fake_server(handler: Handler) -> Iterator[Fake]:
    ready = threading.Event()
    holder: dict[str, object] = {}

    async def main() -> None:
        stop = asyncio.Event()
        seen: list[tuple[str, str]] = []

        async def record(request: web.Request) -> web.StreamResponse:
            seen.append((request.method, request.path))
            return await handler(request)

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", record)
        runner = web.AppRunner(app, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        holder["fake"] = Fake(f"http://127.0.0.1:{port}", asyncio.get_running_loop(), seen)
        holder["stop"] = stop
        ready.set()
        try:
            await stop.wait()
        finally:
            await runner.cleanup()

    thread = threading.Thread(target=asyncio.run, args=(main(),), daemon=True)
    thread.start()
    assert ready.wait(10), "the fake server did not start"
    fake = holder["fake"]
    stop = holder["stop"]
    assert isinstance(fake, Fake)
    assert isinstance(stop, asyncio.Event)
    try:
        yield fake
    finally:
        fake.loop.call_soon_threadsafe(stop.set)
        thread.join(10)


class Gate:
    """Answers the first ``open_for`` requests (after ``latency_s``), holds the rest until
    ``release``; then answers everything."""

    def __init__(self, open_for: int, latency_s: float = 0.0) -> None:
        self.open_for = open_for
        self.latency_s = latency_s
        self.arrived = 0
        self.answered = 0
        self._lock = threading.Lock()
        self._released = False
        self._event: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def handler(self, request: web.Request) -> web.StreamResponse:
        await request.read()
        self.arrived += 1
        if self.arrived > self.open_for:
            with self._lock:
                if self._event is None:
                    self._event = asyncio.Event()
                    self._loop = asyncio.get_running_loop()
                    if self._released:
                        self._event.set()
            await self._event.wait()
        elif self.latency_s:
            await asyncio.sleep(self.latency_s)
        self.answered += 1
        return web.Response(body=SUCCESS, content_type="application/json")

    def release(self) -> None:
        with self._lock:
            self._released = True
            if self._event is not None and self._loop is not None:
                self._loop.call_soon_threadsafe(self._event.set)
