"""Run the real simulator on a loopback port in a background thread, for CLI-level tests.

The CLI under test then runs in the main thread exactly as a user runs it (its own event loop,
its own signal handling), and talks to the simulator over a real socket.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from rescheduler.simulator.config import SimConfig
from rescheduler.simulator.server import RunningSimulator, running_simulator
from rescheduler.simulator.store import Store


@dataclass
class SimHandle:
    base_url: str
    sim: RunningSimulator
    loop: asyncio.AbstractEventLoop

    @property
    def store(self) -> Store:
        return self.sim.store


@contextmanager
def simulator_thread(config: SimConfig, store: Store) -> Iterator[SimHandle]:
    ready = threading.Event()
    holder: dict[str, object] = {}

    async def main() -> None:
        stop = asyncio.Event()
        holder["stop"] = stop
        holder["loop"] = asyncio.get_running_loop()
        try:
            async with running_simulator(config, store, "127.0.0.1", 0) as sim:
                holder["sim"] = sim
                ready.set()
                await stop.wait()
        except BaseException as exc:
            holder["error"] = exc
            ready.set()
            raise

    thread = threading.Thread(target=asyncio.run, args=(main(),), daemon=True)
    thread.start()
    ready.wait(10)
    error = holder.get("error")
    if isinstance(error, BaseException):
        raise RuntimeError("simulator failed to start") from error
    sim = holder["sim"]
    loop = holder["loop"]
    assert isinstance(sim, RunningSimulator)
    assert isinstance(loop, asyncio.AbstractEventLoop)
    try:
        yield SimHandle(sim.base_url, sim, loop)
    finally:
        stop = holder["stop"]
        assert isinstance(stop, asyncio.Event)
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)
