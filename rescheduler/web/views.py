"""The pages: upload, the run page (preview, start, live progress, results), history, files.

A run is visible to whoever ``roles.may_see`` allows (others get 404, as for a run that does not
exist) and changed only by whoever ``roles.may_change`` allows (403).
"""

from __future__ import annotations

import re

from aiohttp import web

from rescheduler.i18n import _
from rescheduler.read.reader import SHEET_SUFFIXES
from rescheduler.web.auth import changes_runs, streams_csrf, tokens_match
from rescheduler.web.context import SESSION, WebContext, audit, context
from rescheduler.web.files import CONTENT_TYPES, content_disposition, file_table, files_of
from rescheduler.web.pages import render
from rescheduler.web.roles import may_change, may_change_runs, may_see, sees_every_run
from rescheduler.web.runs import Busy, NotStartable
from rescheduler.web.store import ACTIVE, CHECKABLE, STARTABLE, RunRecord, RunState, Session
from rescheduler.web.uploads import UploadRefused, next_file_part, read_field, save_part, too_big

_RUN_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")
_MULTIPART_OVERHEAD = 64 * 1024
NOTICES = {
    "busy": "Another run is sending right now; only one run sends at a time. "
    "Start this one when it has finished (or stop it).",
    "not-startable": "This run cannot be started in its present state.",
    "stopping": "Stopping: the requests in flight finish, the rest will be left not sent.",
    "cancelled": _("The check was cancelled."),
    "deleted": _("The upload and its files were deleted."),
    "active": _("This run is busy (being checked or sending): cancel or stop it first."),
    "check-busy": _(
        "You already have a file being checked: wait for it, or cancel it, then try again."
    ),
}


def _session(request: web.Request) -> Session:
    session = SESSION.get()
    assert session is not None  # auth_middleware lets no one else through
    return session


def _session_user(request: web.Request) -> str:
    return _session(request).user


def _record(request: web.Request) -> RunRecord:
    """The run named in the path, if this user may see it (404 otherwise, whether or not it
    exists: another supervisor's run IDs are not confirmed)."""
    run_id = request.match_info["run_id"]
    record = context(request).store.get_run(run_id) if _RUN_ID.fullmatch(run_id) else None
    session = _session(request)
    if record is None or not may_see(session.role, session.user, record.uploaded_by):
        raise web.HTTPNotFound(text="no such run\n")
    return record


def _changeable(request: web.Request) -> RunRecord:
    record = _record(request)
    session = _session(request)
    if not may_change(session.role, session.user, record.uploaded_by):
        raise web.HTTPForbidden(text="this run is not yours to change\n")
    return record


async def home(request: web.Request) -> web.StreamResponse:
    raise web.HTTPSeeOther("/upload" if may_change_runs(_session(request).role) else "/runs")


def _upload_page(request: web.Request, *, message: str = "", status: int = 200) -> web.Response:
    ctx = context(request)
    return render(
        request,
        "upload.html",
        status=status,
        message=message,
        max_bytes=ctx.max_upload_bytes,
        deployment=ctx.config.server.deployment,
        agent_field=ctx.config.server.agent_field,
        keep_days=ctx.config.web.keep_days,
        max_rows=ctx.config.web.max_rows,
    )


@changes_runs
async def upload_page(request: web.Request) -> web.StreamResponse:
    return _upload_page(request)


@changes_runs
@streams_csrf
async def upload(request: web.Request) -> web.StreamResponse:
    ctx = context(request)
    user = _session_user(request)
    if ctx.checks.claim(user) is not None:
        return _upload_page(request, message=NOTICES["check-busy"], status=429)
    try:
        return await _receive(request, ctx, user)
    finally:
        ctx.checks.unclaim(user)  # a no-op once the upload's check has started


async def _receive(request: web.Request, ctx: WebContext, user: str) -> web.StreamResponse:
    limit = ctx.max_upload_bytes
    declared = request.content_length
    try:
        if declared is not None and declared > limit + _MULTIPART_OVERHEAD:
            raise too_big(limit, declared)
        if request.content_type != "multipart/form-data":
            raise UploadRefused(400, "the upload must be sent as multipart/form-data")
        reader = await request.multipart()
        if not tokens_match(await read_field(reader, "csrf"), _session(request).csrf):
            return render(
                request,
                "error.html",
                status=403,
                title="Refused",
                message="The form had expired. Go back, reload the page and retry.",
            )
        part, file_name, suffix = await next_file_part(reader)
        record = ctx.store.new_run(file_name, suffix, user)
        try:
            size = await save_part(part, ctx.runs.input_path(record), limit)
        except BaseException:
            ctx.store.delete_run(record.id)
            raise
    except UploadRefused as exc:
        return _upload_page(request, message=str(exc), status=exc.status)
    ctx.store.update_run(record.id, size=size)
    ctx.checks.start(record.id, user)
    audit(request, "upload", run=record.id, file=file_name, size=size)
    raise web.HTTPSeeOther(f"/runs/{record.id}")


async def run_page(request: web.Request) -> web.StreamResponse:
    ctx = context(request)
    record = _record(request)
    preview = ctx.runs.preview(record)
    started = record.started is not None
    session = _session(request)
    changeable = may_change(session.role, session.user, record.uploaded_by)
    return render(
        request,
        "run.html",
        run=record,
        progress=ctx.runs.status(record),
        preview=preview,
        outcome=ctx.runs.outcome(record),
        started=started,
        startable=changeable and record.state in STARTABLE,
        changeable=changeable,
        cancellable=changeable and record.state == RunState.CHECKING,
        checkable=changeable and record.state in CHECKABLE,
        deletable=changeable and record.state not in ACTIVE,
        keep_days=ctx.config.web.keep_days,
        files=files_of(ctx.runs, record),
        notice=NOTICES.get(request.query.get("notice", ""), ""),
        send=ctx.config.send,
        server=ctx.config.server,
        default_format="xlsx" if record.suffix in SHEET_SUFFIXES else "csv",
    )


async def status(request: web.Request) -> web.StreamResponse:
    ctx = context(request)
    record = _record(request)
    response = web.json_response(ctx.runs.status(record))
    response.headers["Cache-Control"] = "no-store"
    return response


@changes_runs
async def start(request: web.Request) -> web.StreamResponse:
    ctx = context(request)
    record = _changeable(request)
    form = await request.post()
    notice = ""
    try:
        ctx.runs.start(record.id, _session_user(request), str(form.get("format", "")))
    except Busy:
        notice = "?notice=busy"
    except NotStartable:
        notice = "?notice=not-startable"
    else:
        audit(request, "resume" if record.started else "start", run=record.id)
    raise web.HTTPSeeOther(f"/runs/{record.id}{notice}")


@changes_runs
async def stop(request: web.Request) -> web.StreamResponse:
    ctx = context(request)
    record = _changeable(request)
    if ctx.runs.stop(record.id, _session_user(request)):
        audit(request, "stop", run=record.id)
    raise web.HTTPSeeOther(f"/runs/{record.id}")


@changes_runs
async def cancel(request: web.Request) -> web.StreamResponse:
    """Cancel a check: its worker is killed; the upload stays, to be checked again or deleted."""
    ctx = context(request)
    record = _changeable(request)
    if ctx.checks.cancel(record.id, _session_user(request)):
        audit(request, "cancel-check", run=record.id)
        await ctx.checks.wait(record.id)
    raise web.HTTPSeeOther(f"/runs/{record.id}?notice=cancelled")


@changes_runs
async def recheck(request: web.Request) -> web.StreamResponse:
    """Check again an upload whose check was cancelled or cut off by a restart."""
    ctx = context(request)
    record = _changeable(request)
    user = _session_user(request)
    if record.state not in CHECKABLE:
        raise web.HTTPSeeOther(f"/runs/{record.id}?notice=not-startable")
    if ctx.checks.claim(user) is not None:
        raise web.HTTPSeeOther(f"/runs/{record.id}?notice=check-busy")
    ctx.store.update_run(record.id, state=RunState.CHECKING, message="")
    ctx.checks.start(record.id, user)
    audit(request, "check-again", run=record.id)
    raise web.HTTPSeeOther(f"/runs/{record.id}")


@changes_runs
async def delete(request: web.Request) -> web.StreamResponse:
    """Delete an upload that is not being checked or sent: its files and its history row."""
    ctx = context(request)
    record = _changeable(request)
    if record.state in ACTIVE or ctx.checks.active(record.id):
        raise web.HTTPSeeOther(f"/runs/{record.id}?notice=active")
    await ctx.runs.delete(record)
    audit(request, "delete", run=record.id, file=record.file_name)
    raise web.HTTPSeeOther("/runs?notice=deleted")


async def history(request: web.Request) -> web.StreamResponse:
    ctx = context(request)
    session = _session(request)
    mine = None if sees_every_run(session.role) else session.user
    records = ctx.store.list_runs(uploaded_by=mine)
    return render(
        request,
        "history.html",
        runs=[(r, files_of(ctx.runs, r)) for r in records],
        notice=NOTICES.get(request.query.get("notice", ""), ""),
        keep_days=ctx.config.web.keep_days,
        every_run=mine is None,
    )


# -- files ------------------------------------------------------------------------------------
async def download(request: web.Request) -> web.StreamResponse:
    ctx = context(request)
    record = _record(request)
    kind = request.match_info["kind"]
    if kind not in files_of(ctx.runs, record):
        raise web.HTTPNotFound(text="this file is not available (yet)\n")
    path, name = file_table(ctx.runs, record)[kind]
    audit(request, "download", run=record.id, kind=kind)
    return web.FileResponse(
        path,
        headers={
            "Content-Type": CONTENT_TYPES.get(path.suffix, "application/octet-stream"),
            "Content-Disposition": content_disposition(name),
            "Cache-Control": "no-store",
        },
    )


async def template(request: web.Request) -> web.StreamResponse:
    """An empty sheet with the right headers (the CLI's ``rescheduler template``)."""
    from rescheduler.template import write_template

    ctx = context(request)
    deployment = ctx.config.server.deployment
    path = ctx.store.data_dir / f"template-{deployment}.xlsx"
    if not path.is_file():
        write_template(path, deployment=deployment, overwrite=True)
    return web.FileResponse(
        path,
        headers={
            "Content-Type": CONTENT_TYPES[".xlsx"],
            "Content-Disposition": content_disposition("reservation-changes.xlsx"),
        },
    )
