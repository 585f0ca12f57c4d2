""""Get current reservations": the upload page's form for ``rescheduler export``.

POST /export with ``agents`` (any number, separated by commas, spaces or new lines), ``from``
and ``to`` (times as in the sheet, in the configured zone; either may be left empty) and
``format`` (``xlsx``, the default, or ``csv``): the reservations on the server, listed by the
same ``state.export`` as the command line (the same signing, retries and rate limit; nothing is
sent), downloaded as a change file the supervisor can edit and upload. The file is written into
``data_dir/exports`` under a random name and removed once it has been streamed; one export per
person at a time. Supervisors and admins only (viewers do not prepare changes). A bad field or a
listing the server refuses shows the upload page again with one line saying what to do, cleaned
of keys and paths as a run's messages are. A listing that is not whole (it changed while it
was read: the command line's INCOMPLETE, exit 1) is not handed out:
the page says so instead (409). Items without a usable appointId are left out, as on the
command line (they could not be rescheduled anyway).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import time
from pathlib import Path

from aiohttp import web

from rescheduler.config import Config, resolve_timezone
from rescheduler.errors import ReschedulerError, UsageError
from rescheduler.i18n import _
from rescheduler.state.export import ExportJob, ExportResult, export, journal_path
from rescheduler.state.listing import ListFilter
from rescheduler.web.access import session_of
from rescheduler.web.auth import changes_runs
from rescheduler.web.context import audit, context
from rescheduler.web.files import CONTENT_TYPES, content_disposition

FORMATS = ("xlsx", "csv")
MAX_AGENTS = 200
_SPLIT = re.compile(r"[\s,;，；]+")
_EXPORTING: set[str] = set()  # people with an export on its way
_CHUNK = 1 << 16


@changes_runs
async def export_reservations(request: web.Request) -> web.StreamResponse:
    from rescheduler.web.views import upload_page_with

    ctx = context(request)
    user = session_of(request).user
    form = await request.post()
    if user in _EXPORTING:
        message = _("Your earlier export is still being read from the server: wait for it.")
        return upload_page_with(request, message, status=429)
    fmt = str(form.get("format", FORMATS[0]))
    try:
        query = _query(str(form.get("agents", "")), str(form.get("from", "")),
                       str(form.get("to", "")), ctx.config)  # fmt: skip
    except UsageError as exc:
        return upload_page_with(request, str(exc), status=400)
    folder = ctx.store.data_dir / "exports"
    await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
    out = folder / f"{os.urandom(8).hex()}.{fmt if fmt in FORMATS else FORMATS[0]}"
    _EXPORTING.add(user)
    try:
        result = await _export(ctx.config, out, query)
    except ReschedulerError as exc:
        _remove(out)
        cleaned = _clean(str(exc), ctx.config, folder)
        return upload_page_with(
            request,
            _("The reservations could not be read from the iSales server: {reason}").format(
                reason=cleaned
            ),
            status=502,
        )
    finally:
        _EXPORTING.discard(user)
    audit(request, "export", agents=list(query.agents), rows=result.rows,
          complete=result.listed.complete)  # fmt: skip
    if result.listed.complete is False:  # never hand out a partial listing as the whole
        _remove(out)
        why = _(
            "The reservations changed while they were read from the iSales server, so the list "
            "would be incomplete: try again when nobody else is changing them."
        )
        return upload_page_with(request, why, status=409)
    name = _("reservations-{stamp}.{ext}").format(
        stamp=time.strftime("%Y%m%d-%H%M"), ext=out.suffix[1:]
    )
    return await _stream(request, out, name)


def _query(agents: str, begin: str, end: str, config: Config) -> ListFilter:
    from rescheduler.state.cli import parse_time

    zone, _label = resolve_timezone(config.input.timezone)
    names = tuple(dict.fromkeys(a for a in _SPLIT.split(agents.strip()) if a))
    if len(names) > MAX_AGENTS:
        raise UsageError(
            _("At most {n} agents at a time: export them in several goes.").format(n=MAX_AGENTS)
        )
    start = parse_time(_("From"), begin, zone) if begin.strip() else None
    stop = parse_time(_("To"), end, zone) if end.strip() else None
    if start is not None and stop is not None and start > stop:
        raise UsageError(_("“From” is after “To”: nothing can match."))
    return ListFilter(agents=names, begin_ms=start, end_ms=stop)


async def _export(config: Config, out: Path, query: ListFilter) -> ExportResult:
    job = ExportJob(config=config, out_path=out, query=query, hide_access_key=True)
    try:
        return await export(job)
    finally:
        for suffix in ("", "-wal", "-shm"):  # the page journal of an export that stopped
            _remove(Path(f"{journal_path(out)}{suffix}"))
        _remove(out.with_name(f"{out.name}.lock"))  # a random name of ours: no one else waits


def _clean(message: str, config: Config, folder: Path) -> str:
    message = message.replace(str(folder) + os.sep, "").replace(str(folder), "…")
    auth = config.auth
    for secret in (auth.access_key, auth.secret_key.reveal() if auth.secret_key else ""):
        if secret:
            message = message.replace(secret, "***")
    return message


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


async def _stream(request: web.Request, path: Path, name: str) -> web.StreamResponse:
    """Send the file, then remove it (it holds reservation data: it is not kept)."""
    response = web.StreamResponse(
        headers={
            "Content-Type": CONTENT_TYPES.get(path.suffix, "application/octet-stream"),
            "Content-Disposition": content_disposition(name),
            "Cache-Control": "no-store",
        }
    )
    try:
        handle = await asyncio.to_thread(path.open, "rb")
        try:
            response.content_length = os.fstat(handle.fileno()).st_size
            await response.prepare(request)
            while chunk := await asyncio.to_thread(handle.read, _CHUNK):
                await response.write(chunk)
            await response.write_eof()
        finally:
            handle.close()
    finally:
        _remove(path)
    return response
