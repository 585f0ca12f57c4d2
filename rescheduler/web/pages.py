"""Server-rendered pages: a Jinja2 environment with autoescaping, and a few display filters.

Jinja2 rather than ``string.Template``: every value on these pages comes from an uploaded
sheet or a user, so escaping must be the default, not something each call site remembers;
and the pages share one layout and loop over tables, which plain string templates cannot do.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web

from rescheduler.i18n import _
from rescheduler.web.context import SESSION
from rescheduler.web.roles import may_change_runs, sees_settings
from rescheduler.write.summary import CODE_MEANINGS

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"

STATE_LABELS = {
    "checking": "checking the file",
    "unreadable": "cannot be read",
    "cancelled": _("check cancelled"),
    "ready": "checked, not sent",
    "running": "sending",
    "stopping": "stopping",
    "finished": "finished",
    "stopped": "stopped",
    "interrupted": "interrupted",
    "failed": "failed to start",
}


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["size"] = _size
    env.filters["duration"] = _duration
    env.filters["number"] = lambda n: "" if n is None else f"{n:,}"
    env.globals["code_meanings"] = CODE_MEANINGS
    env.globals["_"] = _
    env.globals["state_label"] = lambda state: STATE_LABELS.get(str(state), str(state))
    return env


def render(
    request: web.Request, template: str, *, status: int = 200, **context: Any
) -> web.Response:
    session = SESSION.get()
    context.setdefault("user", session.user if session else None)
    context.setdefault("csrf", session.csrf if session else "")
    context.setdefault("role", session.role.value if session else "")
    context.setdefault("may_upload", session is not None and may_change_runs(session.role))
    context.setdefault("is_admin", session is not None and sees_settings(session.role))
    context.setdefault("when", _when_in(request.app.get(ZONE_KEY)))
    html = environment().get_template(template).render(**context)
    return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")


ZONE_KEY = web.AppKey("zone", tzinfo)


def _when_in(zone: tzinfo | None) -> Any:
    def when(epoch: float | None) -> str:
        if epoch is None:
            return ""
        moment = datetime.fromtimestamp(epoch, UTC).astimezone(zone)
        return moment.strftime("%Y-%m-%d %H:%M %Z")

    return when


def _size(n: int) -> str:
    if n < 1000:
        return f"{n} bytes"
    if n < 1_000_000:
        return f"{n / 1000:.0f} KB"
    return f"{n / 1e6:.3g} MB"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
