"""Server-rendered pages: a Jinja2 environment with autoescaping, translations and a few filters.

Jinja2 rather than ``string.Template``: every value on these pages comes from an uploaded
sheet or a user, so escaping must be the default, not something each call site remembers;
and the pages share one layout and loop over tables, which plain string templates cannot do.

Every word on a page goes through the catalogs (``rescheduler.i18n.install_jinja``): templates
write ``{{ _("%(n)s rows", n=count) }}`` (new-style gettext: Jinja formats and escapes), and the
language is the request's (``language.py`` picks it before anything is rendered).
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web

from rescheduler.i18n import LANGUAGES, N_, _, current_language, install_jinja
from rescheduler.web.context import SESSION
from rescheduler.web.roles import may_change_runs, sees_settings

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"

STATE_LABELS = {
    "checking": N_("checking the file"),
    "unreadable": N_("cannot be used"),
    "cancelled": N_("check cancelled"),
    "ready": N_("checked, not sent"),
    "running": N_("sending"),
    "stopping": N_("stopping"),
    "finished": N_("finished"),
    "stopped": N_("stopped"),
    "interrupted": N_("interrupted"),
    "failed": N_("did not start"),
}
ROLE_LABELS = {"admin": N_("admin"), "supervisor": N_("supervisor"), "viewer": N_("viewer")}
LANGUAGE_NAMES = {"en": "English", "zh-CN": "中文"}  # each in its own language: not translated


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    install_jinja(env)
    env.filters["size"] = size
    env.filters["duration"] = duration
    env.filters["number"] = lambda n: "" if n is None else f"{n:,}"
    env.globals["state_label"] = lambda state: _(STATE_LABELS.get(str(state), str(state)))
    env.globals["role_label"] = lambda role: _(ROLE_LABELS.get(str(role), str(role)))
    env.globals["language_names"] = LANGUAGE_NAMES
    env.globals["languages"] = LANGUAGES
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
    context.setdefault("lang", current_language())
    context.setdefault("here", request.path_qs)
    html = environment().get_template(template).render(**context)
    response = web.Response(text=html, status=status, content_type="text/html", charset="utf-8")
    response.headers["Content-Language"] = current_language()
    return response


ZONE_KEY = web.AppKey("zone", tzinfo)


def _when_in(zone: tzinfo | None) -> Any:
    def when(epoch: float | None, seconds: bool = False) -> str:
        if epoch is None:
            return ""
        moment = datetime.fromtimestamp(epoch, UTC).astimezone(zone)
        return moment.strftime("%Y-%m-%d %H:%M:%S %Z" if seconds else "%Y-%m-%d %H:%M %Z")

    return when


def size(n: int) -> str:
    if n < 1000:
        return _("{n} bytes").format(n=n)
    if n < 1_000_000:
        return _("{n} KB").format(n=f"{n / 1000:.0f}")
    return _("{n} MB").format(n=f"{n / 1e6:.3g}")


def duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    seconds = round(seconds)
    if seconds < 60:
        return _("{s} s").format(s=seconds)
    if seconds < 3600:
        return _("{m} min {s} s").format(m=seconds // 60, s=f"{seconds % 60:02d}")
    return _("{h} h {m} min").format(h=seconds // 3600, m=f"{seconds % 3600 // 60:02d}")
