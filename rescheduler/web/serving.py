"""Serving the page: aiohttp's runner with the connection guard, TLS, signals, quiet logs.

``serve_app`` runs until SIGINT or SIGTERM (runs in progress then stop cleanly, resumable), as
``web.run_app`` did, but with a ``GuardedRunner`` (``guard.py``: request deadlines, caps on
connections, its own answers to malformed requests). Before it listens it raises the soft
limit on open files to the hard one, and keeps ``FD_RESERVE`` descriptors out of the
connections' reach (the database, uploads, workers' pipes). Errors accepting a connection
(``EMFILE`` and the like, which asyncio logs with a traceback each time) are logged one line
a minute at most.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import resource
import ssl
from pathlib import Path
from typing import Any

from aiohttp import web

from rescheduler.config import Config
from rescheduler.web.guard import Guard, GuardedRunner, Quiet
from rescheduler.web.proxy import networks

log = logging.getLogger("rescheduler.web")
ACCESS_LOG_FORMAT = '%a "%r" %s %b %Tf'
KEEPALIVE_S = 75.0  # an idle connection between two requests
SHUTDOWN_S = 15.0
FD_RESERVE = 256
MAX_CONNECTIONS = 10_000
_RESOURCE_ERRORS = {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM}


def tls_context(config: Config) -> ssl.SSLContext | None:
    web_cfg = config.web
    if web_cfg.tls_cert_file is None or web_cfg.tls_key_file is None:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(web_cfg.tls_cert_file, web_cfg.tls_key_file)
    return context


def open_files_limit() -> int:
    """Raise the soft limit on open files to the hard one; the limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else max(soft, 65_536)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        soft = wanted
    return soft


def guard_for(config: Config) -> Guard:
    web_cfg = config.web
    return Guard(
        timeout_s=web_cfg.request_timeout_s,
        min_rate=web_cfg.min_body_rate,
        per_address=web_cfg.max_connections_per_address,
        total=max(16, min(MAX_CONNECTIONS, open_files_limit() - FD_RESERVE)),
        trusted=networks(web_cfg.trusted_proxies),
    )


def quiet_accept_errors(loop: asyncio.AbstractEventLoop, quiet: Quiet) -> None:
    """Out of descriptors (or buffers) while accepting: one line a minute, no traceback."""

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if isinstance(exc, OSError) and exc.errno in _RESOURCE_ERRORS:
            quiet.say("accept", "cannot accept connections: %s", exc.strerror or exc)
            return
        loop.default_exception_handler(context)

    loop.set_exception_handler(handler)


async def start(
    app: web.Application, config: Config, host: str, port: int, *, handle_signals: bool = False
) -> GuardedRunner:
    """The page listening on ``host:port`` behind the guard (stop it with ``cleanup()``)."""
    guard = guard_for(config)
    quiet_accept_errors(asyncio.get_running_loop(), guard.quiet)
    runner = GuardedRunner(
        app,
        guard,
        handle_signals=handle_signals,
        shutdown_timeout=SHUTDOWN_S,
        handler_cancellation=True,
        access_log_format=ACCESS_LOG_FORMAT,
        keepalive_timeout=KEEPALIVE_S,
    )
    await runner.setup()
    site = web.TCPSite(runner, host, port, ssl_context=tls_context(config))
    try:
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    return runner


def serve_app(app: web.Application, config: Config, data_dir: Path, host: str, port: int) -> None:
    scheme = "https" if tls_context(config) else "http"
    shown = f"[{host}]" if ":" in host else host

    async def main() -> None:
        runner = await start(app, config, host, port, handle_signals=True)
        print(
            f"rescheduler: upload page on {scheme}://{shown}:{port}/ (data in {data_dir})",
            flush=True,
        )
        try:
            await asyncio.Event().wait()  # until a signal (GracefulExit) or Ctrl-C
        finally:
            await runner.cleanup()

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    task = loop.create_task(main())
    try:
        loop.run_until_complete(task)
    except (web.GracefulExit, KeyboardInterrupt):
        pass
    finally:
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, web.GracefulExit):
                loop.run_until_complete(task)
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for other in pending:
            other.cancel()
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
