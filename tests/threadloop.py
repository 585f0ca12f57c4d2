"""Serve something asynchronous from a background thread, for tests that run synchronously.

``serve_in_thread(serve)`` runs ``serve()`` (an async context manager that yields what it
serves) on its own event loop in a daemon thread, until the ``with`` block ends, and hands the
block what was served and that loop. A failure to start is raised in the caller's thread.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractAsyncContextManager, contextmanager
from typing import Any, TypeVar

T = TypeVar("T")


@contextmanager
def serve_in_thread(
    serve: Callable[[], AbstractAsyncContextManager[T]], *, what: str, timeout_s: float
) -> Iterator[tuple[T, asyncio.AbstractEventLoop]]:
    ready = threading.Event()
    holder: dict[str, Any] = {}

    async def main() -> None:
        stop = asyncio.Event()
        holder["stop"], holder["loop"] = stop, asyncio.get_running_loop()
        try:
            async with serve() as served:
                holder["served"] = served
                ready.set()
                await stop.wait()
        except BaseException as exc:
            holder["error"] = exc
            ready.set()
            raise

    thread = threading.Thread(target=asyncio.run, args=(main(),), daemon=True)
    thread.start()
    ready.wait(timeout_s)
    if "served" not in holder:
        raise RuntimeError(f"{what} failed to start") from holder.get("error")
    loop: asyncio.AbstractEventLoop = holder["loop"]
    try:
        yield holder["served"], loop
    finally:
        loop.call_soon_threadsafe(holder["stop"].set)
        thread.join(timeout_s)
