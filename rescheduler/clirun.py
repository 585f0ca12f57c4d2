"""``run``, ``validate`` and ``plan`` from the command line: flags -> config overrides -> job ->
summary and run record -> exit code. How a run ends otherwise (a bad flag, Ctrl-C, a bug) is
``cliends``.
"""

from __future__ import annotations

import sys
from functools import partial
from pathlib import Path
from typing import Any

import click

from rescheduler.cliends import (
    FLAGS,
    check_planned,
    crash,
    ignore_signals,
    interrupted,
    leave,
    planned_outputs,
    record_refusal,
    require_journal,
    results_path,
    sent_anyway,
    watch_signals,
)
from rescheduler.errors import ConfigError, ReschedulerError, UsageError
from rescheduler.i18n import _


def _config(path: Path | None, overrides: dict[str, object]) -> Any:
    from rescheduler.config import load_config

    return load_config(path, overrides)


def run_command(
    input_path: Path,
    *,
    config_path: Path | None,
    out: Path | None,
    quiet: bool,
    as_json: bool,
    log_file: Path | None,
    log_format: str,
    metrics_file: Path | None,
    dry_run: bool = False,
    resume: bool = False,
    journal_path: Path | None = None,
    command: str = "run",
    plan: bool = False,
    no_snapshot: bool = False,
    verify: bool = False,
    **flags: Any,
) -> None:
    overrides = {
        "input.sheet": flags.get("sheet"),
        "input.encoding": flags.get("encoding"),
        "input.timezone": flags.get("timezone"),
        "input.on_conflict": flags.get("on_conflict"),
        "send.concurrency": flags.get("concurrency"),
        "send.rate_per_s": flags.get("rate"),
        "send.max_attempts": flags.get("max_attempts"),
        "send.max_failures": flags.get("max_failures"),
    }
    reporter: Any = None
    job: Any = None
    progress: Any = None
    secrets: tuple[str, ...] = ()  # scrubbed from anything a crash shows
    result: Any = None
    try:  # everything, imports included, inside: Ctrl-C at any moment still gets its record
        from rescheduler.console import ProgressDisplay, format_run
        from rescheduler.engine import run_sync
        from rescheduler.finish import RunReporter
        from rescheduler.job import Job, Progress
        from rescheduler.logs import setup_logging

        progress = Progress()
        watch_signals(progress)
        reporter = RunReporter(command, input_path, out, dry_run=dry_run, metrics_path=metrics_file)
        reporter.measure_input()
        planned = planned_outputs(
            input_path,
            out,
            dry_run=dry_run,
            journal=journal_path,
            log_file=log_file,
            metrics_file=metrics_file,
            record=reporter.record_path,
        )
        reporter.record_guard = partial(record_refusal, input_path, planned)
        check_planned(input_path, planned)  # before the log file is opened: nothing is yet
        if resume and not dry_run:
            require_journal(input_path, planned)
        # unattended (cron, systemd): log lines on stderr; --log-file: there too
        setup_logging(
            stderr=not quiet and not sys.stderr.isatty(), log_file=log_file, fmt=log_format
        )
        reporter.outputs.add("log", log_file)
        if verify and (no_snapshot or dry_run):
            flag = "--no-snapshot" if no_snapshot else "--dry-run"
            raise UsageError(_("--verify cannot be used with {flag}").format(flag=flag))
        config = reporter.config = _config(config_path, overrides)
        if config.auth.secret_key is not None:
            secrets = (config.auth.secret_key.reveal(),)
        job = Job(
            input_path=input_path,
            config=config,
            out_path=out,
            dry_run=dry_run,
            resume=resume,
            journal_path=journal_path,
            handle_signals=True,
            outputs=reporter.outputs,
            snapshot=not no_snapshot,
            plan=plan,
            verify=verify,
        )
        with ProgressDisplay(enabled=not quiet) as display:
            result = run_sync(job, on_progress=display.update, progress=progress)
    except ReschedulerError as exc:
        from rescheduler.errors import Crashed

        ignore_signals()  # the run is over: its record and exit code follow, whatever is pressed
        if isinstance(exc, ConfigError) and overrides.get(exc.key) is not None:
            exc = UsageError(f"{FLAGS[exc.key]} {exc.detail}")  # name the flag that was typed
        exc = sent_anyway(exc, progress, dry_run)  # never "nothing was sent" once it began
        if isinstance(exc, Crashed):
            line = crash(exc, sent=True, results=results_path(job), secrets=secrets)
        else:
            from rescheduler.scrub import scrub

            shown = scrub(str(exc), secrets)  # a secret pasted into another key is echoed
            click.echo(_("rescheduler: error: {message}").format(message=shown), err=True)
            line = shown
        if reporter is not None:
            _end(reporter, reporter.facts_from_error(exc, progress, line), as_json, secrets)
        leave(exc.exit_code)
    except KeyboardInterrupt as exc:
        if result is None:  # (a Ctrl-C the run already handled can land after it returned)
            sent = progress is not None and progress.phase in ("sending", "finished")
            message = interrupted(job, sent=sent and not dry_run)
            ignore_signals()
            if reporter is not None:
                facts = reporter.facts_from_error(exc, progress if sent else None, message)
                _end(reporter, facts, as_json, secrets)
            leave(3)
    except Exception as exc:  # the last resort: a bug
        from rescheduler.errors import Crashed

        ignore_signals()
        sent = progress is not None and progress.phase in ("sending", "finished") and not dry_run
        line = crash(exc, sent=sent, results=results_path(job), secrets=secrets)
        failure = Crashed.of(exc, line) if sent else ReschedulerError(line)  # exit 3 : 2
        if reporter is not None:
            _end(reporter, reporter.facts_from_error(failure, progress, line), as_json, secrets)
        leave(failure.exit_code)
    ignore_signals()
    if not as_json:
        click.echo(format_run(result, brief=quiet), err=True)
    _end(reporter, reporter.facts_from_result(result), as_json, secrets)
    leave(result.exit_code)


def _end(reporter: Any, facts: Any, as_json: bool, secrets: tuple[str, ...] = ()) -> None:
    """The run record (+ alert, metrics); on stdout with --json. Never changes the exit code:
    a failure here is one line."""
    from rescheduler.finish import end_command

    try:
        end_command(reporter, facts, as_json=as_json)
    except Exception as exc:
        from rescheduler.lastresort import describe
        from rescheduler.scrub import scrub

        click.echo(
            _("rescheduler: warning: the run record could not be finished ({error})").format(
                error=scrub(describe(exc), secrets)
            ),
            err=True,
        )
