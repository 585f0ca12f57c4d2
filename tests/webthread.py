"""The simulator and the web server in one background thread, for the browser test.

The browser (Playwright's sync API) drives the page from the main thread, as a person would,
while the server runs on its own event loop and sends to the simulator over loopback.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

from rescheduler.simulator.server import running_simulator
from rescheduler.simulator.store import Store as SimStore
from rescheduler.web.app import make_app
from tests.e2e import sim
from tests.threadloop import serve_in_thread
from tests.webtools import add_user, sample_store, web_config


@dataclass
class WebHandle:
    url: str
    simulator_url: str


@contextmanager
def web_thread(
    tmp_path: Path,
    *,
    sim_knobs: dict[str, Any] | None = None,
    concurrency: int = 4,
    store: SimStore | None = None,
) -> Iterator[WebHandle]:
    @asynccontextmanager
    async def serve() -> AsyncIterator[WebHandle]:
        reservations = store if store is not None else sample_store()
        async with running_simulator(sim(**(sim_knobs or {})), reservations) as simulator:
            config = web_config(tmp_path, simulator.base_url, concurrency=concurrency)
            add_user(config)
            assert config.web.data_dir is not None
            runner = web.AppRunner(make_app(config, config.web.data_dir), access_log=None)
            await runner.setup()
            try:
                site = web.TCPSite(runner, "127.0.0.1", 0)
                await site.start()
                port = runner.addresses[0][1]
                yield WebHandle(f"http://127.0.0.1:{port}", simulator.base_url)
            finally:
                await runner.cleanup()

    with serve_in_thread(serve, what="the web server", timeout_s=20) as (handle, _loop):
        yield handle
