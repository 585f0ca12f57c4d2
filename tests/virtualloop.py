"""An asyncio event loop on a virtual clock, for timing tests that never wait and never flake.

The clock moves only when the loop has nothing to run: where a real loop would sleep until
its next timer, this one jumps straight to it. Everything else is the real asyncio loop, so
anyio's sleeps, cancel scopes and task groups behave as in production. ``stall(seconds)``
models a busy CPU: called from a task, it moves the clock on while that task keeps the loop,
so every timer that falls due meanwhile fires late, all at once (a late wake-up).

    anyio.run(main, backend_options={"loop_factory": VirtualClockLoop})
"""

from __future__ import annotations

import asyncio
import selectors
from collections.abc import Awaitable, Callable
from typing import Any

import anyio

START = 1000.0  # the clock's reading when a loop starts: far from zero, as a real clock is


class _JumpingSelector(selectors.DefaultSelector):
    """Polls for I/O without blocking; instead of waiting ``timeout``, moves the clock on."""

    def __init__(self) -> None:
        super().__init__()
        self.loop: VirtualClockLoop | None = None

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        events = super().select(0)
        if events or timeout == 0:
            return events
        if timeout is None:
            raise RuntimeError("virtual clock: every task waits and no timer is set (deadlock)")
        assert self.loop is not None
        self.loop.stall(timeout)
        return events


class VirtualClockLoop(asyncio.SelectorEventLoop):
    def __init__(self) -> None:
        selector = _JumpingSelector()
        super().__init__(selector)
        selector.loop = self
        self._now = START

    def time(self) -> float:
        return self._now

    def stall(self, seconds: float) -> None:
        """The clock moves on by ``seconds`` with nothing else running (a busy CPU)."""
        self._now += seconds


def run_virtual(main: Callable[[], Awaitable[Any]]) -> Any:
    """Run ``main`` on a fresh virtual-clock loop and return its result."""
    return anyio.run(main, backend="asyncio", backend_options={"loop_factory": VirtualClockLoop})


def stall(seconds: float) -> None:
    """From inside ``run_virtual``: keep the loop busy for ``seconds`` of virtual time."""
    loop = asyncio.get_running_loop()
    assert isinstance(loop, VirtualClockLoop)
    loop.stall(seconds)
