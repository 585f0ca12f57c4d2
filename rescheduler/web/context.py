"""What every handler reaches: ``context(request)`` (app-wide state) and ``SESSION`` (who)."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

from aiohttp import web

from rescheduler.config import Config
from rescheduler.web.runs import Runs
from rescheduler.web.store import Session, Store
from rescheduler.web.throttle import LoginThrottle


@dataclass
class WebContext:
    config: Config
    store: Store
    runs: Runs
    throttle: LoginThrottle
    max_upload_bytes: int


CONTEXT = web.AppKey("rescheduler", WebContext)
# The signed-in session of the request being handled (auth_middleware sets it first thing).
SESSION: ContextVar[Session | None] = ContextVar("rescheduler_session", default=None)


def context(request: web.Request) -> WebContext:
    return request.app[CONTEXT]
