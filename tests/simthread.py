"""Run the real simulator on a loopback port in a background thread, for CLI-level tests.

The CLI under test then runs in the main thread exactly as a user runs it (its own event loop,
its own signal handling), and talks to the simulator over a real socket.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import AbstractAsyncContextManager, contextmanager
from dataclasses import dataclass

from rescheduler.simulator.config import SimConfig
from rescheduler.simulator.server import RunningSimulator, running_simulator
from rescheduler.simulator.store import Store
from tests.threadloop import serve_in_thread


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
    def serve() -> AbstractAsyncContextManager[RunningSimulator]:
        return running_simulator(config, store, "127.0.0.1", 0)

    with serve_in_thread(serve, what="simulator", timeout_s=10) as (sim, loop):
        yield SimHandle(sim.base_url, sim, loop)
