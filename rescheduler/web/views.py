"""The pages: upload, the run page (preview, start, live progress, results), history, files."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

from aiohttp import web

from rescheduler.web.auth import streams_csrf, tokens_match
from rescheduler.web.context import SESSION, WebContext, context
from rescheduler.web.pages import render
from rescheduler.web.runs import Busy, NotStartable
from rescheduler.web.store import STARTABLE, RunRecord, RunState, Session
from rescheduler.web.uploads import UploadRefused, next_file_part, read_field, save_part, too_big

_RUN_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")
_MULTIPART_OVERHEAD = 64 * 1024
_CONTENT_TYPES = {
    ".csv": "text/csv; charset=utf-8",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
NOTICES = {
    "busy": "Another run is sending right now; only one run sends at a time. "
    "Start this one when it has finished (or stop it).",
    "not-startable": "This run cannot be started in its present state.",
    "stopping": "Stopping: the requests in flight finish, the rest will be left not sent.",
}


def _session(request: web.Request) -> Session:
    session = SESSION.get()
    assert session is not None  # auth_middleware lets no one else through
    return session


def _session_user(request: web.Request) -> str:
    return _session(request).user


def _record(request: web.Request) -> RunRecord:
    run_id = request.match_info["run_id"]
    record = context(request).store.get_run(run_id) if _RUN_ID.fullmatch(run_id) else None
    if record is None:
        raise web.HTTPNotFound(text="no such run\n")
    return record


async def home(request: web.Request) -> web.StreamResponse:
    raise web.HTTPSeeOther("/upload")


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
    )


async def upload_page(request: web.Request) -> web.StreamResponse:
    return _upload_page(request)


@streams_csrf
async def upload(request: web.Request) -> web.StreamResponse:
    ctx = context(request)
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
        record = ctx.store.new_run(file_name, suffix, _session_user(request))
        try:
            size = await save_part(part, ctx.runs.input_path(record), limit)
        except BaseException:
            ctx.store.delete_run(record.id)
            raise
    except UploadRefused as exc:
        return _upload_page(request, message=str(exc), status=exc.status)
    ctx.store.update_run(record.id, size=size)
    ctx.runs.check_later(record.id)
    raise web.HTTPSeeOther(f"/runs/{record.id}")


async def run_page(request: web.Request) -> web.StreamResponse:
    ctx = context(request)
    record = _record(request)
    preview = ctx.runs.preview(record)
    started = record.started is not None
    return render(
        request,
        "run.html",
        run=record,
        progress=ctx.runs.status(record),
        preview=preview,
        outcome=ctx.runs.outcome(record),
        started=started,
        startable=record.state in STARTABLE,
        files=_files(ctx, record),
        notice=NOTICES.get(request.query.get("notice", ""), ""),
        send=ctx.config.send,
        server=ctx.config.server,
        default_format="xlsx" if record.suffix in (".xlsx", ".xlsm") else "csv",
    )


async def status(request: web.Request) -> web.StreamResponse:
    ctx = context(request)
    record = _record(request)
    response = web.json_response(ctx.runs.status(record))
    response.headers["Cache-Control"] = "no-store"
    return response


async def start(request: web.Request) -> web.StreamResponse:
    ctx = context(request)
    record = _record(request)
    form = await request.post()
    notice = ""
    try:
        ctx.runs.start(record.id, _session_user(request), str(form.get("format", "")))
    except Busy:
        notice = "?notice=busy"
    except NotStartable:
        notice = "?notice=not-startable"
    raise web.HTTPSeeOther(f"/runs/{record.id}{notice}")


async def stop(request: web.Request) -> web.StreamResponse:
    ctx = context(request)
    record = _record(request)
    ctx.runs.stop(record.id, _session_user(request))
    raise web.HTTPSeeOther(f"/runs/{record.id}")


async def history(request: web.Request) -> web.StreamResponse:
    ctx = context(request)
    records = ctx.store.list_runs()
    return render(request, "history.html", runs=[(r, _files(ctx, r)) for r in records])


# -- files ------------------------------------------------------------------------------------
def _file_table(ctx: WebContext, record: RunRecord) -> dict[str, tuple[Path, str]]:
    """kind -> (path on disk, download name)."""
    folder = ctx.store.run_dir(record.id)
    stem = record.stem
    table = {
        "input": (ctx.runs.input_path(record), record.file_name),
        "validation": (folder / "validation.csv", f"{stem}.validation.csv"),
        "validation-errors": (folder / "validation.errors.csv", f"{stem}.to-fix.csv"),
    }
    if record.results_format:
        fmt = record.results_format
        table["results"] = (folder / f"results.{fmt}", f"{stem}.results.{fmt}")
        table["errors"] = (folder / f"results.errors.{fmt}", f"{stem}.errors.{fmt}")
    return table


def _files(ctx: WebContext, record: RunRecord) -> dict[str, str]:
    """kind -> URL, for the files that can be downloaded now."""
    if record.state == RunState.CHECKING:
        return {}
    busy = record.state in (RunState.RUNNING, RunState.STOPPING)
    return {
        kind: f"/runs/{record.id}/files/{kind}"
        for kind, (path, _) in _file_table(ctx, record).items()
        if path.is_file() and not (busy and kind in ("results", "errors"))
    }


async def download(request: web.Request) -> web.StreamResponse:
    ctx = context(request)
    record = _record(request)
    kind = request.match_info["kind"]
    if kind not in _files(ctx, record):
        raise web.HTTPNotFound(text="this file is not available (yet)\n")
    path, name = _file_table(ctx, record)[kind]
    return web.FileResponse(
        path,
        headers={
            "Content-Type": _CONTENT_TYPES.get(path.suffix, "application/octet-stream"),
            "Content-Disposition": content_disposition(name),
            "Cache-Control": "no-store",
        },
    )


def content_disposition(name: str) -> str:
    """``attachment`` with an ASCII fallback name and the real one (RFC 6266 / 5987)."""
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in name
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


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
            "Content-Type": _CONTENT_TYPES[".xlsx"],
            "Content-Disposition": content_disposition("reservation-changes.xlsx"),
        },
    )
