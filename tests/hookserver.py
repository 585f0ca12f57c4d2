"""A local webhook receiver on 127.0.0.1 for the alert tests: real sockets, scripted answers.

It records every request (path, query, headers, parsed JSON body) and answers from a script:
``answers`` is a list of ``(status, body)`` used in turn (the last one repeats); ``hang`` makes
it never answer (for the timeout test). Run it in a thread (``receiver_thread``) for CLI tests,
or on the test's own loop (``running_receiver``) for async tests.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

OK_BODIES = {
    "wecom": b'{"errcode":0,"errmsg":"ok"}',
    "dingtalk": b'{"errcode":0,"errmsg":"ok"}',
    "feishu": b'{"code":0,"msg":"success","data":{}}',
    "slack": b"ok",
    "json": b"",
}


@dataclass
class Received:
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    raw: bytes

    @property
    def body(self) -> Any:
        return json.loads(self.raw)


@dataclass
class Receiver:
    answers: list[tuple[int, bytes]] = field(default_factory=lambda: [(200, b"ok")])
    hang: bool = False
    location: str = ""  # the Location header of a 3xx answer
    received: list[Received] = field(default_factory=list)
    base_url: str = ""
    arrived: asyncio.Event | None = None  # set at each request (on the receiver's own loop)

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append(
            Received(
                request.path, dict(request.query), dict(request.headers), await request.read()
            )
        )
        if self.arrived is not None:
            self.arrived.set()
        if self.hang:
            await asyncio.sleep(3600)
        index = min(len(self.received), len(self.answers)) - 1
        status, body = self.answers[index]
        headers = {"Location": self.location} if 300 <= status < 400 and self.location else {}
        return web.Response(status=status, body=body, headers=headers)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/{tail:.*}", self.handle)
        return app


@asynccontextmanager
async def running_receiver(receiver: Receiver) -> AsyncIterator[Receiver]:
    receiver.arrived = asyncio.Event()
    runner = web.AppRunner(receiver.app(), shutdown_timeout=0.1, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server = site._server
    assert server is not None
    port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
    receiver.base_url = f"http://127.0.0.1:{port}"
    try:
        yield receiver
    finally:
        await runner.cleanup()


@contextmanager
def receiver_thread(receiver: Receiver) -> Iterator[Receiver]:
    ready = threading.Event()
    stop: dict[str, Any] = {}

    async def main() -> None:
        stop["event"] = asyncio.Event()
        stop["loop"] = asyncio.get_running_loop()
        async with running_receiver(receiver):
            ready.set()
            await stop["event"].wait()

    thread = threading.Thread(target=asyncio.run, args=(main(),), daemon=True)
    thread.start()
    assert ready.wait(10), "the receiver did not start"
    try:
        yield receiver
    finally:
        stop["loop"].call_soon_threadsafe(stop["event"].set)
        thread.join(10)
