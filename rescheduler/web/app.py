"""``rescheduler serve``: the upload page, an aiohttp application on the engine the CLI uses.

GET  /login  POST /login  POST /logout          sign in and out (auth.py)
GET  /upload  POST /upload                      choose a sheet; it is stored and checked
GET  /runs/{id}                                 preview, Start/Stop, live progress, results
GET  /runs/{id}/status                          the progress as JSON (the page polls it)
POST /runs/{id}/start  POST /runs/{id}/stop     send (or resume) / stop cleanly
GET  /runs/{id}/files/{kind}                    input, validation, validation-errors,
                                                results, errors
GET  /runs                                      the history: every run, who, when, counts
GET  /template.xlsx                             an empty sheet with the right headers
"""

from __future__ import annotations

import logging
import ssl
from pathlib import Path

from aiohttp import web

from rescheduler.config import Config, resolve_timezone
from rescheduler.web import auth, views
from rescheduler.web.context import CONTEXT, WebContext
from rescheduler.web.pages import STATIC, ZONE_KEY, render
from rescheduler.web.runs import Runs
from rescheduler.web.store import Store
from rescheduler.web.throttle import LoginThrottle

log = logging.getLogger("rescheduler.web")
_RUN = "/runs/{run_id}"
_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


def default_data_dir() -> Path:
    import os

    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "rescheduler" / "web"


def data_dir_of(config: Config, override: Path | None = None) -> Path:
    return override or config.web.data_dir or default_data_dir()


@web.middleware
async def headers_middleware(request: web.Request, handler: auth.Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPNotFound as exc:
        response = render(
            request,
            "error.html",
            status=404,
            title="Not found",
            message=exc.text or "There is no such page.",
        )
    response.headers.setdefault("Content-Security-Policy", _CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Cache-Control", "no-store")
    if request.secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def make_app(
    config: Config, data_dir: Path, *, throttle: LoginThrottle | None = None
) -> web.Application:
    """The application; its runs start with it and stop cleanly on its shutdown."""
    store = Store(data_dir)
    runs = Runs(store, config)
    max_bytes = int(config.web.max_upload_mb * 1_000_000)
    app = web.Application(middlewares=[headers_middleware, auth.auth_middleware])
    app[CONTEXT] = WebContext(config, store, runs, throttle or LoginThrottle(), max_bytes)
    app[ZONE_KEY] = resolve_timezone(config.input.timezone)[0]
    app.router.add_get("/", views.home)
    app.router.add_get("/login", auth.login_page)
    app.router.add_post("/login", auth.login)
    app.router.add_post("/logout", auth.logout)
    app.router.add_get("/upload", views.upload_page)
    app.router.add_post("/upload", views.upload)
    app.router.add_get("/runs", views.history)
    app.router.add_get(_RUN, views.run_page)
    app.router.add_get(_RUN + "/status", views.status)
    app.router.add_post(_RUN + "/start", views.start)
    app.router.add_post(_RUN + "/stop", views.stop)
    app.router.add_get(_RUN + "/files/{kind}", views.download)
    app.router.add_get("/template.xlsx", views.template)
    app.router.add_static("/static", STATIC, append_version=False)

    async def on_startup(app: web.Application) -> None:
        runs.recover()

    async def on_shutdown(app: web.Application) -> None:
        await runs.close()

    async def on_cleanup(app: web.Application) -> None:
        store.close()

    app.on_startup.append(on_startup)
    app.on_shutdown.append(on_shutdown)
    app.on_cleanup.append(on_cleanup)
    return app


def tls_context(config: Config) -> ssl.SSLContext | None:
    web_cfg = config.web
    if web_cfg.tls_cert_file is None or web_cfg.tls_key_file is None:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(web_cfg.tls_cert_file, web_cfg.tls_key_file)
    return context


def serve(config: Config, data_dir: Path, host: str, port: int) -> None:
    """Serve until SIGINT/SIGTERM; runs in progress then stop cleanly (resumable)."""
    tls = tls_context(config)
    scheme = "https" if tls else "http"
    shown = f"[{host}]" if ":" in host else host

    def ready(*_: object) -> None:
        print(
            f"rescheduler: upload page on {scheme}://{shown}:{port}/ (data in {data_dir})",
            flush=True,
        )

    web.run_app(
        make_app(config, data_dir),
        host=host,
        port=port,
        ssl_context=tls,
        print=ready,
        access_log_format='%a "%r" %s %b %Tf',
        shutdown_timeout=15,
        handler_cancellation=True,
    )
