"""Who is asking and which run: the signed-in session, a run this user may see or change.

A run is visible to whoever ``roles.may_see`` allows (others get 404, as for a run that does not
exist: another supervisor's run IDs are not confirmed) and changed only by whoever
``roles.may_change`` allows (403).
"""

from __future__ import annotations

import re

from aiohttp import web

from rescheduler.web.context import SESSION, context
from rescheduler.web.roles import may_change, may_see
from rescheduler.web.store import RunRecord, Session

_RUN_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")


def session_of(request: web.Request) -> Session:
    session = SESSION.get()
    assert session is not None  # auth_middleware lets no one else through
    return session


def visible_run(request: web.Request) -> RunRecord:
    """The run named in the path, if this user may see it (404 otherwise, whether or not it
    exists: another supervisor's run IDs are not confirmed)."""
    run_id = request.match_info["run_id"]
    record = context(request).store.get_run(run_id) if _RUN_ID.fullmatch(run_id) else None
    session = session_of(request)
    if record is None or not may_see(session.role, session.user, record.uploaded_by):
        raise web.HTTPNotFound()
    return record


def changeable_run(request: web.Request) -> RunRecord:
    record = visible_run(request)
    session = session_of(request)
    if not may_change(session.role, session.user, record.uploaded_by):
        raise web.HTTPForbidden()
    return record
