"""``rescheduler export``'s command-line face: flags -> ``ExportJob`` -> summary and exit code.

Times on the command line follow the sheet's rules (``read.times``): ``--from``/``--to`` take
``2030-01-02 09:00``, an ISO time with an offset, or epoch milliseconds; without an offset the
configured zone (or ``--timezone``) applies, and a wall time the clocks skip or repeat is
refused. Flag problems are ``UsageError`` (exit 2) naming the flag.

Every export ends, as ``run`` does, with a run record (``<out stem>.export.run.json`` beside the
change file; ``run`` of that file writes ``.run.json``), the ``[notify]`` alert and the metrics.
"""

from __future__ import annotations

import sys
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from rescheduler.errors import ReschedulerError, RunAborted, UsageError
from rescheduler.i18n import _

if TYPE_CHECKING:
    from rescheduler.finish import RunReporter
    from rescheduler.write.runrecord import RunFacts


def parse_time(flag: str, text: str | None, zone: ZoneInfo) -> int | None:
    """A command-line time as epoch ms, by the sheet's rules; ``UsageError`` naming ``flag``."""
    from rescheduler.read.times import AppointTimeError, parse_appoint_time
    from rescheduler.read.validate import clean_cell

    if text is None:
        return None
    cleaned = clean_cell(text)
    if not cleaned:
        raise UsageError(_("{flag}: give a time, e.g. 2030-01-02 09:00").format(flag=flag))
    try:
        return parse_appoint_time(cleaned, zone)
    except AppointTimeError as exc:
        raise UsageError(f"{flag}: {exc}") from None


def export_command(
    *,
    config_path: Path | None,
    agents: tuple[str, ...],
    from_time: str | None,
    to_time: str | None,
    task: str | None,
    called_no: str | None,
    out: Path | None,
    sets: tuple[str, ...],
    shift: str | None,
    move_to_date: str | None,
    timezone: str | None,
    resume: bool,
    concurrency: int | None,
    rate: float | None,
    page_size: int | None,
    quiet: bool,
    as_json: bool = False,
    log_file: Path | None = None,
    log_format: str = "text",
    metrics_file: Path | None = None,
) -> int:
    """Run one export as the flags say, then its run record; the exit code."""
    from rescheduler.cliends import record_refusal
    from rescheduler.finish import RunReporter, end_command
    from rescheduler.state.export import default_out
    from rescheduler.write.targets import Target

    out_path = out if out is not None else default_out()
    record = out_path.with_name(f"{out_path.stem}.export.run.json")  # run: .run.json
    reporter = RunReporter(
        "export", None, out_path=out_path, record_path=record, metrics_path=metrics_file
    )
    # none beside a file another command is writing (the export was refused for it)
    reporter.record_guard = partial(
        record_refusal, None, [Target("results", out_path), Target("run_record", record)]
    )
    try:
        from rescheduler.logs import setup_logging

        # unattended (cron): log lines on stderr; --log-file: there too
        setup_logging(
            stderr=not quiet and not sys.stderr.isatty(), log_file=log_file, fmt=log_format
        )
        reporter.outputs.add("log", log_file)
        facts = _export(
            reporter,
            config_path=config_path,
            agents=agents,
            from_time=from_time,
            to_time=to_time,
            task=task,
            called_no=called_no,
            out_path=out_path,
            sets=sets,
            shift=shift,
            move_to_date=move_to_date,
            timezone=timezone,
            resume=resume,
            concurrency=concurrency,
            rate=rate,
            page_size=page_size,
            quiet=quiet,
            summary=not as_json,  # --json: the record on stdout instead of the summary
        )
    except ReschedulerError as exc:
        from rescheduler.scrub import scrub

        shown = scrub(str(exc))  # a secret pasted into another key is echoed by its message
        sys.stderr.write(_("rescheduler: error: {message}").format(message=shown) + "\n")
        facts = reporter.facts(exc.exit_code, error=exc)
    end_command(reporter, facts, as_json=as_json)
    return facts.exit_code


def _export(
    reporter: RunReporter,
    *,
    config_path: Path | None,
    agents: tuple[str, ...],
    from_time: str | None,
    to_time: str | None,
    task: str | None,
    called_no: str | None,
    out_path: Path,
    sets: tuple[str, ...],
    shift: str | None,
    move_to_date: str | None,
    timezone: str | None,
    resume: bool,
    concurrency: int | None,
    rate: float | None,
    page_size: int | None,
    quiet: bool,
    summary: bool = True,
) -> RunFacts:
    """The export itself; what happened, for the record. Raises ``ReschedulerError``."""
    from rescheduler.config import load_config, resolve_timezone
    from rescheduler.console import ProgressDisplay
    from rescheduler.state.export import (
        ExportJob,
        export_sync,
        format_export,
        journal_path,
    )
    from rescheduler.state.listing import ListFilter
    from rescheduler.state.rules import RuleError, Rules, parse_date, parse_sets, parse_shift

    config = reporter.config = load_config(
        config_path,
        {
            "input.timezone": timezone,
            "send.concurrency": concurrency,
            "send.rate_per_s": rate,
            "list.page_size": page_size,
        },
    )
    zone, _label = resolve_timezone(config.input.timezone)
    begin = parse_time("--from", from_time, zone)
    end = parse_time("--to", to_time, zone)
    if begin is not None and end is not None and begin > end:
        raise UsageError(_("--from is after --to: nothing can match"))
    try:
        rules = Rules(
            sets=parse_sets(sets),
            shift=parse_shift(shift) if shift is not None else None,
            move_to=parse_date(move_to_date) if move_to_date is not None else None,
        )
    except RuleError as exc:
        raise UsageError(str(exc)) from None
    for flag, value in (("--agent", agents), ("--task", (task,)), ("--called-no", (called_no,))):
        if any(v is not None and not v.strip() for v in value):
            raise UsageError(_("{flag} needs a value").format(flag=flag))
    query = ListFilter(
        agents=tuple(dict.fromkeys(a.strip() for a in agents)),
        begin_ms=begin,
        end_ms=end,
        task_id=task.strip() if task is not None else None,
        called_no=called_no.strip() if called_no is not None else None,
    )
    job = ExportJob(
        config=config,
        out_path=out_path,
        query=query,
        rules=rules,
        resume=resume,
        handle_signals=True,
    )
    reporter.outputs.add("export", job.out_path)
    reporter.outputs.add("journal", journal_path(job.out_path))  # kept only when interrupted
    try:
        with ProgressDisplay(enabled=not quiet) as display:
            result = export_sync(job, on_progress=display.update)
    except KeyboardInterrupt:
        from rescheduler.errors import Interrupted

        _interrupted(journal_path(job.out_path))
        return reporter.facts(3, aborted=Interrupted(_("interrupted")))
    except RunAborted as exc:
        _interrupted(journal_path(job.out_path), str(exc))
        return reporter.facts(exc.exit_code, aborted=exc)
    if summary:
        text = format_export(result, job)
        sys.stderr.write((text.splitlines()[0] if quiet else text) + "\n")
    listed = result.listed
    return reporter.facts(
        result.exit_code,
        requests=listed.requests,
        export={
            "out": str(result.path),
            "rows": result.rows,
            "total_count": listed.total,
            "complete": listed.complete,
            "not_reschedulable": result.not_reschedulable,
            "unusable": listed.unusable,
            "marks": dict(result.marks),
        },
    )


def _interrupted(journal: Path, reason: str = "") -> None:
    what = reason or _("interrupted")
    sys.stderr.write(
        _(
            "rescheduler: export stopped: {reason}\n"
            "nothing was written to the output; the pages read so far are in {journal}: "
            "run the same command with --resume to continue\n"
        ).format(reason=what, journal=journal)
    )
