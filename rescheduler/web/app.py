"""``rescheduler serve``: the upload page, an aiohttp application on the engine the CLI uses.

GET  /login  POST /login  POST /logout          sign in and out (auth.py)
POST /language                                  the language switch on every page
GET  /upload  POST /upload                      choose a sheet; it is stored and checked
GET  /runs/{id}                                 preview, Start/Stop, live progress, results
GET  /runs/{id}/status                          the progress as JSON (the page polls it)
POST /runs/{id}/start  POST /runs/{id}/stop     send (or resume) / stop cleanly
POST /runs/{id}/cancel  POST /runs/{id}/check   cancel a check / check again
POST /runs/{id}/delete                          delete an upload, its files and history row
GET  /runs/{id}/files/{kind}                    input, validation, validation-errors,
                                                results, errors
GET  /runs                                      the history: who, when, counts
GET  /admin                                     settings and disk used (admins)
GET  /template.xlsx                             an empty sheet with the right headers
POST /export                                    "Get current reservations": an export file

Every response, redirects and errors included, carries the security headers (``_headers``, on
``on_response_prepare``) and a ``Server`` header without versions. Requests pass through
``proxy.middleware`` first (``web.trusted_proxies``), then the 404 page, then ``auth``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from aiohttp import web

from rescheduler.config import Config, resolve_timezone
from rescheduler.i18n import _
from rescheduler.web import admin, auth, exporting, files, proxy, views
from rescheduler.web.audit import AuditLog
from rescheduler.web.checks import Checks
from rescheduler.web.context import CONTEXT, WebContext
from rescheduler.web.devices import Devices
from rescheduler.web.headers import HSTS, SECURITY_HEADERS
from rescheduler.web.pages import STATIC, ZONE_KEY, render
from rescheduler.web.passwords import dummy_hash
from rescheduler.web.runs import Runs
from rescheduler.web.store import Store
from rescheduler.web.throttle import LoginThrottle

log = logging.getLogger("rescheduler.web")
_RUN = "/runs/{run_id}"
CLEANUP_EVERY_S = 3600.0
HASHING_THREADS = 2


def default_data_dir() -> Path:
    import os

    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "rescheduler" / "web"


def data_dir_of(config: Config, override: Path | None = None) -> Path:
    return override or config.web.data_dir or default_data_dir()


@web.middleware
async def not_found_middleware(
    request: web.Request, handler: auth.Handler
) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPNotFound:
        return render(
            request,
            "error.html",
            status=404,
            title=_("Not found"),
            message=_("There is no such page, or it is not yours to see."),
        )


async def _headers(request: web.Request, response: web.StreamResponse) -> None:
    """On every response the app prepares: redirects, 401, 403, 404, 405, 413, 500 too."""
    for name, value in SECURITY_HEADERS.items():
        if name == "Server":
            response.headers[name] = value
        else:
            response.headers.setdefault(name, value)
    if proxy.view_of(request).secure:
        response.headers.setdefault("Strict-Transport-Security", HSTS)


def make_app(
    config: Config, data_dir: Path, *, throttle: LoginThrottle | None = None
) -> web.Application:
    """The application; its runs start with it and stop cleanly on its shutdown."""
    store = Store(data_dir)
    runs = Runs(store, config)
    checks = Checks(store, config, runs)
    max_bytes = int(config.web.max_upload_mb * 1_000_000)
    app = web.Application(
        middlewares=[proxy.middleware, not_found_middleware, auth.auth_middleware]
    )
    hasher = ThreadPoolExecutor(HASHING_THREADS, thread_name_prefix="rescheduler-passwords")
    app[CONTEXT] = WebContext(
        config,
        store,
        runs,
        checks,
        throttle or LoginThrottle(),
        max_bytes,
        AuditLog(data_dir),
        hasher,
        Devices(data_dir),
    )
    app[ZONE_KEY] = resolve_timezone(config.input.timezone)[0]
    app[proxy.TRUSTED] = proxy.networks(config.web.trusted_proxies)
    app.on_response_prepare.append(_headers)
    app.router.add_get("/", views.home)
    app.router.add_get("/login", auth.login_page)
    app.router.add_post("/login", auth.login)
    app.router.add_post("/logout", auth.logout)
    app.router.add_post("/language", auth.switch_language)
    app.router.add_get("/upload", views.upload_page)
    app.router.add_post("/upload", views.upload)
    app.router.add_get("/runs", views.history)
    app.router.add_get(_RUN, views.run_page)
    app.router.add_get(_RUN + "/status", views.status)
    app.router.add_post(_RUN + "/start", views.start)
    app.router.add_post(_RUN + "/stop", views.stop)
    app.router.add_post(_RUN + "/cancel", views.cancel)
    app.router.add_post(_RUN + "/check", views.recheck)
    app.router.add_post(_RUN + "/delete", views.delete)
    app.router.add_get(_RUN + "/files/{kind}", files.download)
    app.router.add_get("/admin", admin.settings)
    app.router.add_get("/template.xlsx", files.template)
    app.router.add_post("/export", exporting.export_reservations)
    app.router.add_static("/static", STATIC, append_version=False)
    janitor: list[asyncio.Task[None]] = []

    async def on_startup(app: web.Application) -> None:
        store.recover()
        # The dummy hash for unknown names, made now so the first one costs no extra hash.
        await asyncio.get_running_loop().run_in_executor(hasher, dummy_hash)
        janitor.append(asyncio.get_running_loop().create_task(_clean_up_regularly(app)))

    async def on_shutdown(app: web.Application) -> None:
        for task in janitor:
            task.cancel()
        await checks.close()
        await runs.close()

    async def on_cleanup(app: web.Application) -> None:
        hasher.shutdown(wait=False, cancel_futures=True)
        store.close()

    app.on_startup.append(on_startup)
    app.on_shutdown.append(on_shutdown)
    app.on_cleanup.append(on_cleanup)
    return app


async def _clean_up_regularly(app: web.Application) -> None:
    """Retention: delete runs older than web.keep_days now, then every hour."""
    ctx = app[CONTEXT]
    while True:
        try:
            gone = await ctx.runs.expire()
        except Exception:
            log.exception("retention clean-up failed")
        else:
            if gone:
                days = ctx.config.web.keep_days
                log.info("retention: deleted %d runs older than %d days", len(gone), days)
                with contextlib.suppress(OSError):
                    for record in gone:
                        ctx.audit.record(
                            "expired", "", "server", run=record.id, file=record.file_name
                        )
        await asyncio.sleep(CLEANUP_EVERY_S)


def serve(config: Config, data_dir: Path, host: str, port: int) -> None:
    """Serve until SIGINT/SIGTERM; runs in progress then stop cleanly (resumable)."""
    from rescheduler.web.serving import serve_app

    serve_app(make_app(config, data_dir), config, data_dir, host, port)
