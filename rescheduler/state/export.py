"""``rescheduler export``: list reservations from the server into a change file (the shell).

    Lister (pager: pool, transport, journal) -> Staging -> layout/change_row -> TableWriter

Nothing is sent: the only requests are ``appoint/list`` pages. The output is written under a
temporary name and renamed when complete (``write.atomic``), so the final name only ever holds
a whole file. The pages read so far live in ``<out stem>.export.sqlite`` beside the output until
the export finishes; after Ctrl-C or an abort, the same command with ``--resume`` asks only for
the missing pages (without ``--resume`` the journal is discarded and the listing starts over).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from rescheduler.config import Config, Secret, resolve_timezone
from rescheduler.i18n import _
from rescheduler.job import Progress
from rescheduler.send.pool import StopControl
from rescheduler.state.changefile import Setup, change_row, layout
from rescheduler.state.listing import ListFilter
from rescheduler.state.pager import Listed, Lister
from rescheduler.state.rules import Rules
from rescheduler.state.staging import Staging
from rescheduler.write.atomic import replacing
from rescheduler.write.runfiles import target_locked
from rescheduler.write.table import TableWriter, check_suffix
from rescheduler.write.targets import Target, check_outputs

log = logging.getLogger("rescheduler")


@dataclass(frozen=True)
class ExportJob:
    config: Config
    out_path: Path
    query: ListFilter = field(default_factory=ListFilter)
    rules: Rules = field(default_factory=Rules)
    resume: bool = False
    handle_signals: bool = False
    hide_access_key: bool = False  # the upload page: no access key in any message


@dataclass(frozen=True)
class ExportResult:
    path: Path
    listed: Listed
    rows: int
    marks: dict[str, int]
    not_reschedulable: int
    columns: tuple[str, ...]
    timezone: str
    elapsed_s: float

    @property
    def exit_code(self) -> int:
        """0 complete; 1 the listing never held still, or some items had no usable appointId."""
        return 1 if self.listed.complete is False or self.listed.unusable else 0


def journal_path(out_path: Path) -> Path:
    """``tonight.csv`` -> ``tonight.export.sqlite`` (beside it)."""
    return out_path.with_name(f"{out_path.stem}.export.sqlite")


def default_out(now: float | None = None) -> Path:
    """``reservations-20300102-0930.csv`` in the current directory."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    return Path(f"reservations-{stamp}.csv")


async def export(
    job: ExportJob,
    *,
    on_progress: Callable[[Progress], None] | None = None,
    stop: StopControl | None = None,
) -> ExportResult:
    """List, then write the change file. ``ReschedulerError`` if the listing cannot finish."""
    cfg = job.config
    started = time.monotonic()
    credentials = cfg.require_credentials()
    zone = resolve_timezone(cfg.input.timezone)
    check_suffix(job.out_path)
    check_outputs(
        None, [Target("export", job.out_path), Target("journal", journal_path(job.out_path))]
    )
    try:
        with target_locked(job.out_path):  # as a run locks its results: one writer per file
            return await _export(job, credentials, zone, started, on_progress, stop)
    finally:
        if job.handle_signals:  # the pool held them from the end of the listing to here
            from rescheduler.send.stop import release_signals

            release_signals()


async def _export(
    job: ExportJob,
    credentials: tuple[str, Secret],
    zone_and_label: tuple[ZoneInfo, str],
    started: float,
    on_progress: Callable[[Progress], None] | None,
    stop: StopControl | None,
) -> ExportResult:
    cfg = job.config
    zone, zone_label = zone_and_label
    progress = Progress(phase="listing")

    def on_page(total: int | None, done: int, sweep: int) -> None:
        progress.total, progress.done = total, done
        progress.phase = "listing" if sweep == 1 else f"listing (sweep {sweep})"
        if on_progress is not None:
            on_progress(progress)

    fingerprint = "|".join(
        (cfg.server.base_url, str(cfg.server.vdn_id), str(cfg.listing.page_size),
         job.query.fingerprint())
    )  # fmt: skip
    staging = Staging(journal_path(job.out_path), fingerprint, resume=job.resume)
    with staging:
        if staging.resumed:
            log.info(
                _("resuming: {pages} pages read earlier are reused").format(pages=staging.pages())
            )
        lister = Lister(
            cfg,
            credentials,
            job.query,
            staging,
            stop=stop,
            on_page=on_page,
            handle_signals=job.handle_signals,
            hide_access_key=job.hide_access_key,
        )
        listed = await lister.run()
        progress.phase = "writing"
        setup = Setup(
            cfg.server.deployment,
            zone,
            int(time.time() * 1000),
            job.query,
            job.rules,
            max_days_ahead=cfg.input.max_days_ahead,
        )
        shape = layout(staging.fields(), setup)
        marks: Counter[str] = Counter()
        rows = held = 0
        with replacing(job.out_path) as tmp, TableWriter.for_path(tmp, shape.headers) as out:
            for ident, item in staging.items(listed.sweep):
                row = change_row(item, ident, shape, setup)
                out.write(row.cells)
                rows += 1
                if row.marks:
                    held += 1
                    marks.update(set(row.marks))
    staging.discard()
    log.info(_("exported {rows} reservations to {path}").format(rows=rows, path=job.out_path))
    return ExportResult(
        path=job.out_path,
        listed=listed,
        rows=rows,
        marks=dict(marks),
        not_reschedulable=held,
        columns=shape.headers,
        timezone=zone_label,
        elapsed_s=time.monotonic() - started,
    )


def export_sync(job: ExportJob, **kwargs: object) -> ExportResult:
    """``export`` on a fresh event loop (uvloop where available), as ``engine.run_sync``."""
    import anyio

    options: dict[str, object] = {}
    try:
        import uvloop  # noqa: F401

        options["use_uvloop"] = True
    except ImportError:
        pass

    async def main() -> ExportResult:
        return await export(job, **kwargs)  # type: ignore[arg-type]

    return anyio.run(main, backend="asyncio", backend_options=options)


def format_export(result: ExportResult, job: ExportJob) -> str:
    """The summary printed at the end of an export."""
    listed = result.listed
    rate = result.rows / result.elapsed_s if result.elapsed_s > 0 else 0.0
    lines = [
        _(
            "rescheduler: exported {rows} reservations to {path} in {seconds} s ({rate} rows/s)"
        ).format(
            rows=result.rows,
            path=result.path,
            seconds=f"{result.elapsed_s:.1f}",
            rate=f"{rate:.0f}",
        ),
        _("  listing: {requests} requests, pages of {size}, {sweeps} sweep(s)").format(
            requests=listed.requests, size=listed.page_size, sweeps=listed.sweeps
        )
        + (
            _(", {pages} pages reused from the interrupted export").format(
                pages=listed.resumed_pages
            )
            if listed.resumed_pages
            else ""
        ),
    ]
    if listed.complete is None:
        lines.append(_("  the server sent no totalCount: completeness could not be checked"))
    elif listed.complete:
        lines.append(_("  complete: totalCount {total} = rows written").format(total=listed.total))
    else:
        lines.append(
            _(
                "  INCOMPLETE: the reservations changed while they were listed ({sweeps} "
                "sweeps); totalCount {total}, {rows} rows written (every reservation seen). "
                "Export again when nothing else is changing them."
            ).format(sweeps=listed.sweeps, total=listed.total, rows=result.rows)
        )
    if listed.unusable:
        lines.append(
            _("  {count} listed items had no usable appointId and were left out").format(
                count=listed.unusable
            )
        )
    can = result.rows - result.not_reschedulable
    lines.append(_("  can_reschedule yes: {count}").format(count=can))
    if result.not_reschedulable:
        why = _(", ").join(
            _("{reason} {count}").format(reason=_(name), count=count)
            for name, count in sorted(result.marks.items())
        )
        lines.append(
            _("  can_reschedule no: {count} ({why}; see the note column; run skips them)").format(
                count=result.not_reschedulable, why=why
            )
        )
    lines.append(_("  times written in {zone}").format(zone=result.timezone))
    if "remark" not in result.columns:
        lines.append(_("  no remark column: the server's list items carry no remark"))
    if "remark" in result.columns and job.rules.given and job.rules.value("remark") is None:
        lines.append(
            _(
                "  remark column left empty: run leaves each remark as it is (the current one is "
                "in listed_remark; type a new one in the remark cell to change it)"
            )
        )
    if job.rules.given:
        changes = [f"--set {name}={value}" for name, value in job.rules.sets]
        if job.rules.time_rule:
            changes.append(job.rules.time_rule)
        lines.append(_("  rules applied to the yes rows: {rules}").format(rules="; ".join(changes)))
    return "\n".join(lines)
