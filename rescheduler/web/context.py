"""What every handler reaches: ``context(request)`` (app-wide state) and ``SESSION`` (who)."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar
from dataclasses import dataclass

from aiohttp import web

from rescheduler.config import Config
from rescheduler.web.audit import AuditLog
from rescheduler.web.checks import Checks
from rescheduler.web.devices import Devices
from rescheduler.web.proxy import view_of
from rescheduler.web.runs import Runs
from rescheduler.web.store import Session, Store
from rescheduler.web.throttle import LoginThrottle

log = logging.getLogger("rescheduler.web")


@dataclass
class WebContext:
    config: Config
    store: Store
    runs: Runs
    checks: Checks
    throttle: LoginThrottle
    max_upload_bytes: int
    audit: AuditLog
    hasher: ThreadPoolExecutor  # password checks only: small, never shared with other work
    devices: Devices  # browsers that signed in before (their own sign-in slot)


CONTEXT = web.AppKey("rescheduler", WebContext)
# The signed-in session of the request being handled (auth_middleware sets it first thing).
SESSION: ContextVar[Session | None] = ContextVar("rescheduler_session", default=None)


def context(request: web.Request) -> WebContext:
    return request.app[CONTEXT]


def audit(request: web.Request, event: str, user: str | None = None, **details: object) -> None:
    """Append to the audit log: ``user`` (default: the signed-in one), from the client's address."""
    if user is None:
        session = SESSION.get()
        user = session.user if session else ""
    try:
        context(request).audit.record(event, user, view_of(request).remote, **details)
    except OSError as exc:
        log.error("cannot write the audit log: %s", exc)
