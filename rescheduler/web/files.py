"""A run's downloadable files: which exist, under which names; the download handlers.

The check's validation report and rows-to-fix are kept as CSV and handed out as Excel
workbooks (``excel.py``; ``?format=csv`` for scripts). The results and rows-to-fix of a run are
in the format chosen at Start (Excel unless CSV was chosen). "Rows to fix" is offered only
when there are some; the undo file (what puts back what the run changed) and the before file
(the reservations as they were) once the run wrote them.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import quote

from aiohttp import web

from rescheduler.i18n import _, current_language
from rescheduler.web.access import visible_run
from rescheduler.web.context import audit, context
from rescheduler.web.numbers import job_numbers
from rescheduler.web.runs import Runs
from rescheduler.web.store import RunRecord, RunState

CONTENT_TYPES = {
    ".csv": "text/csv; charset=utf-8",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
CONVERTED = {"validation": "validation", "validation-errors": "errors"}  # kind -> sheet name


def file_table(runs: Runs, record: RunRecord) -> dict[str, tuple[Path, str]]:
    """kind -> (path on disk, download name)."""
    folder = runs.store.run_dir(record.id)
    stem = record.stem
    table = {
        "input": (runs.input_path(record), record.file_name),
        "validation": (folder / "validation.csv", f"{stem}.validation.csv"),
        "validation-errors": (folder / "validation.errors.csv", f"{stem}.to-fix.csv"),
    }
    if record.results_format:
        fmt = record.results_format
        table["results"] = (folder / f"results.{fmt}", f"{stem}.results.{fmt}")
        table["errors"] = (folder / f"results.errors.{fmt}", f"{stem}.errors.{fmt}")
        table["before"] = (folder / f"results.before.{fmt}", f"{stem}.before.{fmt}")
        table["undo"] = (folder / f"results.undo.{fmt}", f"{stem}.undo.{fmt}")
    return table


def files_of(runs: Runs, record: RunRecord) -> dict[str, str]:
    """kind -> URL, for the files that can be downloaded now (rows to fix: only if any)."""
    if record.state == RunState.CHECKING:
        return {}
    busy = record.state in (RunState.RUNNING, RunState.STOPPING)
    nothing_to_fix = job_numbers(record.rows, record.counts).to_fix == 0
    return {
        kind: f"/runs/{record.id}/files/{kind}"
        for kind, (path, _name) in file_table(runs, record).items()
        if path.is_file()
        and not (busy and kind in ("results", "errors", "before", "undo"))
        and not (nothing_to_fix and kind == "errors")
    }


def content_disposition(name: str) -> str:
    """``attachment`` with an ASCII fallback name and the real one (RFC 6266 / 5987)."""
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in name
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


async def download(request: web.Request) -> web.StreamResponse:
    ctx = context(request)
    record = visible_run(request)
    kind = request.match_info["kind"]
    if kind not in files_of(ctx.runs, record):
        raise web.HTTPNotFound()
    path, name = file_table(ctx.runs, record)[kind]
    if kind in CONVERTED and request.query.get("format") != "csv":
        preview = ctx.runs.preview(record)
        columns = (preview.columns or len(preview.headers)) if preview else 0
        workbook = await ctx.checks.convert(path, columns, CONVERTED[kind])
        if workbook is None:  # too large to convert within the limits: the CSV it is
            raise web.HTTPSeeOther(request.path + "?format=csv")
        path, name = workbook, name[: -len(".csv")] + ".xlsx"
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
    path = ctx.store.data_dir / f"template-{deployment}-{current_language()}.xlsx"
    if not path.is_file():  # its "How to fill" sheet is in the reader's language
        await asyncio.to_thread(write_template, path, deployment=deployment, overwrite=True)
    return web.FileResponse(
        path,
        headers={
            "Content-Type": CONTENT_TYPES[".xlsx"],
            "Content-Disposition": content_disposition(_("reservation-changes.xlsx")),
        },
    )
