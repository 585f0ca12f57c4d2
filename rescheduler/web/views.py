"""The pages: upload, the run page (preview, start, live progress, results), history, files.

A run is visible to whoever ``roles.may_see`` allows (others get 404, as for a run that does not
exist) and changed only by whoever ``roles.may_change`` allows (403).
"""

from __future__ import annotations

from aiohttp import web

from rescheduler.i18n import N_, _
from rescheduler.web.access import changeable_run as _changeable
from rescheduler.web.access import session_of as _session
from rescheduler.web.access import visible_run as _record
from rescheduler.web.auth import FORM_EXPIRED, changes_runs, streams_csrf, tokens_match
from rescheduler.web.context import WebContext, audit, context
from rescheduler.web.files import files_of
from rescheduler.web.notes import show
from rescheduler.web.numbers import failure_reasons, job_numbers
from rescheduler.web.pages import render
from rescheduler.web.roles import may_change, may_change_runs, may_see, sees_every_run
from rescheduler.web.runs import FORMATS, Busy, NotStartable
from rescheduler.web.store import ACTIVE, CHECKABLE, STARTABLE, RunRecord, RunState
from rescheduler.web.uploads import (
    FORM_INCOMPLETE,
    UploadRefused,
    next_file_part,
    over_quota,
    read_field,
    save_part,
    too_big,
)

_MULTIPART_OVERHEAD = 64 * 1024
NOTICES = {  # shown after a redirect (?notice=...), translated when shown
    "busy": N_(
        "Another run is sending right now, and only one run sends at a time. Start this one "
        "when that one has finished."
    ),
    "not-startable": N_("This run cannot be started now: it has no rows to send, or it is busy."),
    "cancelled": N_("The check was cancelled."),
    "not-checking": N_("This file is not being checked, so there was nothing to cancel."),
    "deleted": N_("The upload and its files were deleted."),
    "active": N_("This run is busy (being checked or sending): cancel or stop it first."),
    "check-busy": N_(
        "You already have a file being checked: wait for it, or cancel it, then try again."
    ),
    "rechecked": N_(
        "The file is being checked again with your choice. Look at the result, then press Start."
    ),
}
ON_CONFLICT = ("reject", "last")


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


def upload_page_with(request: web.Request, message: str, *, status: int) -> web.Response:
    """The upload page again, with one line saying what went wrong (``exporting``)."""
    return _upload_page(request, message=message, status=status)


@changes_runs
@streams_csrf
async def upload(request: web.Request) -> web.StreamResponse:
    ctx = context(request)
    user = _session(request).user
    if ctx.checks.claim(user) is not None:
        return _upload_page(request, message=NOTICES["check-busy"], status=429)
    try:
        return await _receive(request, ctx, user)
    finally:
        ctx.checks.unclaim(user)  # a no-op once the upload's check has started


async def _receive(request: web.Request, ctx: WebContext, user: str) -> web.StreamResponse:
    limit = ctx.max_upload_bytes
    declared = request.content_length
    budget = await ctx.runs.budget(user)
    left, refusal = budget.left, None
    if left is not None and left < limit:  # web.quota_mb: what is left of it is the limit
        limit, refusal = left, over_quota(budget.used, ctx.config.web.quota_mb)
    try:
        if refusal is not None and (limit <= 0 or (declared or 0) > limit + _MULTIPART_OVERHEAD):
            raise refusal
        if declared is not None and declared > limit + _MULTIPART_OVERHEAD:
            raise too_big(limit, declared)
        if request.content_type != "multipart/form-data":
            raise UploadRefused(400, _(FORM_INCOMPLETE))
        reader = await request.multipart()
        if not tokens_match(await read_field(reader, "csrf"), _session(request).csrf):
            return render(
                request, "error.html", status=403, title=_("Refused"), message=_(FORM_EXPIRED)
            )
        part, file_name, suffix = await next_file_part(reader)
        record = ctx.store.new_run(file_name, suffix, user)
        try:
            size = await save_part(part, ctx.runs.input_path(record), limit, refusal)
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
    progress = ctx.runs.status(record)
    outcome = ctx.runs.outcome(record)
    if record.state == RunState.CHECKING:
        progress["check"] = ctx.checks.progress(record.id)
    sendable = preview is not None and (started or preview.to_send > 0)
    return render(
        request,
        "run.html",
        run=record,
        progress=progress,
        shown=show(record.message),
        preview=preview,
        outcome=outcome,
        reasons=failure_reasons(outcome.get("codes", {}), outcome.get("examples", {})),
        started=started,
        startable=changeable and record.state in STARTABLE and sendable,
        changeable=changeable,
        cancellable=changeable and record.state == RunState.CHECKING,
        checkable=changeable and record.state in CHECKABLE,
        deletable=changeable and record.state not in ACTIVE,
        keep_days=ctx.config.web.keep_days,
        files=files_of(ctx.runs, record),
        notice=_notice(request),
        busy_with=_busy_link(request),
        send=ctx.config.send,
        server=ctx.config.server,
        formats=FORMATS,
        on_conflict=record.on_conflict or ctx.config.input.on_conflict,
    )


def _notice(request: web.Request) -> str:
    key = request.query.get("notice", "")
    return _(NOTICES[key]) if key in NOTICES else ""


def _busy_link(request: web.Request) -> str:
    """The page of the run that is sending, after a Busy notice, if this user may see it."""
    if request.query.get("notice") != "busy":
        return ""
    sending = context(request).runs.sending_run()
    record = context(request).store.get_run(sending) if sending else None
    session = _session(request)
    if record is None or not may_see(session.role, session.user, record.uploaded_by):
        return ""
    return f"/runs/{record.id}"


async def status(request: web.Request) -> web.StreamResponse:
    ctx = context(request)
    record = _record(request)
    data = ctx.runs.status(record)
    if record.state == RunState.CHECKING:
        data["check"] = ctx.checks.progress(record.id)
    response = web.json_response(data)
    response.headers["Cache-Control"] = "no-store"
    return response


@changes_runs
async def start(request: web.Request) -> web.StreamResponse:
    """Start or resume sending; with another choice for conflicting rows than the check
    used, check the file again with it first (the supervisor sees what will be sent)."""
    ctx = context(request)
    record = _changeable(request)
    form = await request.post()
    choice = str(form.get("on_conflict", ""))
    preview = ctx.runs.preview(record)
    if (
        record.started is None
        and preview is not None
        and choice in ON_CONFLICT
        and choice != preview.on_conflict
    ):
        return await _check_again(request, record, on_conflict=choice)
    notice = ""
    try:
        ctx.runs.start(record.id, _session(request).user, str(form.get("format", "")))
    except Busy:
        notice = "?notice=busy"
    except NotStartable:
        notice = "?notice=not-startable"
    else:
        audit(request, "resume" if record.started else "start", run=record.id)
    raise web.HTTPSeeOther(f"/runs/{record.id}{notice}")


async def _check_again(
    request: web.Request, record: RunRecord, **change: str
) -> web.StreamResponse:
    ctx = context(request)
    user = _session(request).user
    if ctx.checks.claim(user) is not None:
        raise web.HTTPSeeOther(f"/runs/{record.id}?notice=check-busy")
    ctx.store.update_run(record.id, state=RunState.CHECKING, message="", **change)
    ctx.checks.start(record.id, user)
    audit(request, "check-again", run=record.id, **change)
    notice = "?notice=rechecked" if change else ""
    raise web.HTTPSeeOther(f"/runs/{record.id}{notice}")


@changes_runs
async def stop(request: web.Request) -> web.StreamResponse:
    ctx = context(request)
    record = _changeable(request)
    if ctx.runs.stop(record.id, _session(request).user):
        audit(request, "stop", run=record.id)
    raise web.HTTPSeeOther(f"/runs/{record.id}")


@changes_runs
async def cancel(request: web.Request) -> web.StreamResponse:
    """Cancel a check: its worker is killed; the upload stays, to be checked again or deleted."""
    ctx = context(request)
    record = _changeable(request)
    if not ctx.checks.cancel(record.id, _session(request).user):
        raise web.HTTPSeeOther(f"/runs/{record.id}?notice=not-checking")
    audit(request, "cancel-check", run=record.id)
    await ctx.checks.wait(record.id)
    raise web.HTTPSeeOther(f"/runs/{record.id}?notice=cancelled")


@changes_runs
async def recheck(request: web.Request) -> web.StreamResponse:
    """Check again an upload whose check was cancelled or cut off by a restart."""
    record = _changeable(request)
    if record.state not in CHECKABLE:
        raise web.HTTPSeeOther(f"/runs/{record.id}?notice=not-startable")
    return await _check_again(request, record)


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
        runs=[(r, job_numbers(r.rows, r.counts), files_of(ctx.runs, r)) for r in records],
        notice=_notice(request),
        keep_days=ctx.config.web.keep_days,
        every_run=mine is None,
    )
