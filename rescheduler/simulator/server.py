"""Running the simulator: in-process (tests, ``rescheduler demo``) or as a server process.

``running_simulator(...)`` is an async context manager serving on a loopback port inside the
caller's event loop. ``serve_forever(...)`` blocks, serving until SIGINT/SIGTERM; with
``processes > 1`` it forks that many workers sharing the port through SO_REUSEPORT (the kernel
spreads connections over them). Each worker has its own copy of the reservations and its own
counters, so updates, stats and fault attempt counts are per process then.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import ssl
import sys
import traceback
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from functools import partial
from typing import TextIO

from aiohttp import web

from rescheduler.simulator.app import Simulator, make_app, simulator_of
from rescheduler.simulator.config import SimConfig
from rescheduler.simulator.stats import Stats
from rescheduler.simulator.store import Store


@dataclass(slots=True)
class RunningSimulator:
    """A simulator serving in this process. ``base_url`` has no trailing slash."""

    host: str
    port: int
    base_url: str
    app: web.Application
    runner: web.AppRunner

    @property
    def simulator(self) -> Simulator:
        return simulator_of(self.app)

    @property
    def store(self) -> Store:
        return self.simulator.store

    @property
    def stats(self) -> Stats:
        return self.simulator.stats

    async def close(self) -> None:
        await self.runner.cleanup()


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _bind(host: str, port: int, *, reuse_port: bool, listen: bool = True) -> socket.socket:
    """A TCP socket bound to ``(host, port)``, listening unless told otherwise."""
    info = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    family, _, _, _, address = info[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        if sys.platform != "win32":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(address)
        if listen:
            sock.listen(1024)
            sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


def _runner(app: web.Application, shutdown_timeout: float) -> web.AppRunner:
    # No access log; a handler is cancelled when its client disconnects (ends "hang" faults).
    return web.AppRunner(
        app, access_log=None, handler_cancellation=True, shutdown_timeout=shutdown_timeout
    )


async def start_simulator(
    config: SimConfig,
    store: Store | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    shutdown_timeout: float = 1.0,
    ssl_context: ssl.SSLContext | None = None,
) -> RunningSimulator:
    """Serve on ``host:port`` (0 = a free port) in the running loop; ``close()`` it when done.

    With ``ssl_context`` it serves HTTPS (to rehearse TLS verification and ``server.ca_file``).
    """
    app = make_app(config, store)
    runner = _runner(app, shutdown_timeout)
    await runner.setup()
    try:
        sock = _bind(host, port, reuse_port=False)
        bound_port = sock.getsockname()[1]
        await web.SockSite(runner, sock, ssl_context=ssl_context).start()
    except BaseException:
        await runner.cleanup()
        raise
    url = _url(host, bound_port)
    if ssl_context is not None:
        url = "https" + url[len("http") :]
    return RunningSimulator(host, bound_port, url, app, runner)


@contextlib.asynccontextmanager
async def running_simulator(
    config: SimConfig,
    store: Store | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    shutdown_timeout: float = 1.0,
    ssl_context: ssl.SSLContext | None = None,
) -> AsyncIterator[RunningSimulator]:
    """``async with running_simulator(cfg, store) as sim:`` — ``sim.base_url``, ``sim.stats``."""
    sim = await start_simulator(
        config, store, host, port, shutdown_timeout=shutdown_timeout, ssl_context=ssl_context
    )
    try:
        yield sim
    finally:
        await sim.close()


def ready_line(config: SimConfig, host: str, port: int, processes: int = 1) -> str:
    """The one line printed when the server is ready (never shows a secret)."""
    more = f", {processes} processes" if processes > 1 else ""
    return f"serving CC-iSales simulator on {_url(host, port)} ({config.describe()}{more})"


def _event_loop_runner() -> asyncio.Runner:
    try:
        import uvloop
    except ImportError:
        return asyncio.Runner()
    return asyncio.Runner(loop_factory=uvloop.new_event_loop)


def _serve_socket(
    config: SimConfig, store: Store, sock: socket.socket, on_ready: Callable[[], object]
) -> None:
    """Serve on an already bound socket until SIGINT/SIGTERM, then shut down cleanly."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):  # Windows: Ctrl-C still raises
                loop.add_signal_handler(signum, stop.set)
        runner = _runner(make_app(config, store), shutdown_timeout=2.0)
        await runner.setup()
        try:
            await web.SockSite(runner, sock).start()
            on_ready()
            await stop.wait()
        finally:
            await runner.cleanup()

    with _event_loop_runner() as runner:
        runner.run(main())


def serve_forever(
    config: SimConfig,
    store: Store,
    host: str = "127.0.0.1",
    port: int = 0,
    processes: int = 1,
    *,
    out: TextIO | None = None,
) -> None:
    """Serve until SIGINT/SIGTERM, printing ``ready_line`` to ``out`` (stdout) once ready.

    Raises ``OSError`` if the address cannot be bound, ``ValueError`` for bad arguments and
    ``RuntimeError`` if a worker process fails.
    """
    stream = out if out is not None else sys.stdout
    if processes < 1:
        raise ValueError("processes must be at least 1")
    if processes == 1:
        sock = _bind(host, port, reuse_port=False)
        bound = sock.getsockname()[1]
        _serve_socket(
            config,
            store,
            sock,
            lambda: print(ready_line(config, host, bound), file=stream, flush=True),
        )
        return
    if not hasattr(os, "fork") or not hasattr(socket, "SO_REUSEPORT"):
        raise ValueError("several processes need fork() and SO_REUSEPORT (Linux, macOS)")
    # Holds the port (bound, not listening, so it gets no connections) while workers start.
    placeholder = _bind(host, port, reuse_port=True, listen=False)
    bound = placeholder.getsockname()[1]
    try:
        children = _fork_workers(config, store, host, bound, processes)
    finally:
        placeholder.close()
    print(ready_line(config, host, bound, processes), file=stream, flush=True)
    _supervise(children)


def _fork_workers(
    config: SimConfig, store: Store, host: str, port: int, processes: int
) -> list[int]:
    """Fork the workers; return their pids once every one is listening."""
    read_fd, write_fd = os.pipe()
    children: list[int] = []
    sys.stdout.flush()
    sys.stderr.flush()
    for _ in range(processes):
        pid = os.fork()
        if pid == 0:  # the worker
            os.close(read_fd)
            code = 0
            try:
                sock = _bind(host, port, reuse_port=True)
                _serve_socket(config, store, sock, partial(_signal_ready, write_fd))
            except BaseException:
                traceback.print_exc()
                code = 1
            finally:
                os._exit(code)
        children.append(pid)
    os.close(write_fd)
    ready = 0
    with os.fdopen(read_fd, "rb", buffering=0) as pipe:
        while ready < processes:
            chunk = pipe.read(processes - ready)
            if not chunk:  # a worker died before listening
                _stop(children)
                _reap(children)
                raise RuntimeError("a simulator worker process failed to start")
            ready += len(chunk)
    return children


def _signal_ready(write_fd: int) -> None:
    # Closing the pipe end matters: the parent sees EOF once every worker is ready or dead.
    os.write(write_fd, b".")
    os.close(write_fd)


def _stop(children: list[int]) -> None:
    for pid in children:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)


def _reap(children: list[int]) -> list[int]:
    """Wait for every child; return the pids that exited with a non-zero status."""
    failed = []
    for pid in children:
        with contextlib.suppress(ChildProcessError):
            _, status = os.waitpid(pid, 0)
            if os.waitstatus_to_exitcode(status) != 0:
                failed.append(pid)
    return failed


def _supervise(children: list[int]) -> None:
    """Forward SIGINT/SIGTERM to the workers; stop all if one dies; wait for every one."""
    remaining = set(children)
    stopping = False

    def forward(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True
        _stop(list(remaining))

    previous = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM)}
    failed: list[int] = []
    try:
        while remaining:
            pid, status = os.wait()
            remaining.discard(pid)
            if os.waitstatus_to_exitcode(status) != 0 and not stopping:
                failed.append(pid)
                stopping = True
                _stop(list(remaining))
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if failed:
        raise RuntimeError(f"simulator worker process {failed[0]} exited unexpectedly")
