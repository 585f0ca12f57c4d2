"""The command line: a thin face on the engine. Flags -> Config overrides -> run -> exit code.

Exit codes (design.md section 6): 0 all rows succeeded or skipped (dry run: all valid);
1 some row failed or is invalid; 2 usage, config or input-file error, nothing sent;
3 run aborted after sending may have started (credentials or certificate rejected, too many
failures, server unreachable, disk full, interrupted, an internal error);
4 the input file is missing or empty (the upstream export did not arrive?), nothing sent.
Every ``run``/``validate`` ends with a run record (``rescheduler.finish``).

An unexpected exception (a bug) never ends in a traceback: one line says what happened and
where the report is (``cliends``, ``lastresort``); the traceback goes to a crash log, or with
``--debug`` to stderr. Exit 2 if nothing was sent, else 3.

Language: ``--lang en|zh-CN`` (a global option, before the command), else ``LC_ALL``,
``LC_MESSAGES`` or ``LANG`` (zh_* -> zh-CN), else English. Help texts are marked with ``N_``
and translated when shown (``_Option``, ``_Command``): click builds the commands at import,
before the language is known. click's own words (Usage, Options, its usage errors) stay
English.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

import click

from rescheduler import __version__
from rescheduler.cliends import (
    FLAGS,
    OWN_PROCESS,
    check_planned,
    crash,
    debug_callback,
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
from rescheduler.i18n import LANGUAGES, N_, _, language_from_env, set_language

_PATH = click.Path(path_type=Path, dir_okay=False)
_EXISTING = click.Path(path_type=Path, dir_okay=False, exists=True)


def _fail(exc: ReschedulerError) -> None:
    click.echo(_("rescheduler: error: {message}").format(message=exc), err=True)
    sys.exit(exc.exit_code)


@contextmanager
def _translated(thing: click.Command | click.Option) -> Iterator[None]:
    """Show ``thing``'s help (and short help) in the current language while in the block."""
    help_text, short = thing.help, getattr(thing, "short_help", None)
    if help_text:
        thing.help = _(help_text)
    if short:
        thing.short_help = _(short)  # type: ignore[union-attr]
    try:
        yield
    finally:
        thing.help = help_text
        if short:
            thing.short_help = short  # type: ignore[union-attr]


class _Option(click.Option):
    """An option whose help text (an ``N_`` msgid) is translated when shown."""

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        with _translated(self):
            return super().get_help_record(ctx)


class _Command(click.Command):
    """A command whose help text (an ``N_`` msgid) is translated when shown."""

    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with _translated(self):
            super().format_help_text(ctx, formatter)

    def get_short_help_str(self, limit: int = 45) -> str:
        with _translated(self):
            return super().get_short_help_str(limit)


def _option(*names: str, **attrs: Any) -> Callable[[Any], Any]:
    """``click.option`` with a translated help text."""
    return click.option(*names, cls=_Option, **attrs)


def _set_language(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    set_language(value or language_from_env(os.environ))


def _config(path: Path | None, overrides: dict[str, object]) -> Any:
    from rescheduler.config import load_config

    return load_config(path, overrides)


def _input_options(func: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        _option("-c", "--config", "config_path", type=_EXISTING, help=N_("TOML config file.")),
        _option("--out", type=_PATH, help=N_("Results file (.csv or .xlsx).")),
        _option("--sheet", help=N_("Sheet to read (default: the first visible one).")),
        _option("--encoding", help=N_("CSV encoding (default: detected).")),
        _option("--timezone", help=N_("IANA zone for times written without an offset.")),
        _option(
            "--on-conflict",
            type=click.Choice(["reject", "last"]),
            help=N_(
                "Same appointId with different changes: reject all (default) or keep the last."
            ),
        ),
        _option("-q", "--quiet", is_flag=True, help=N_("No progress bar; one-line summary.")),
        _debug_option(reset=False),
    ]
    for option in reversed(options):
        func = option(func)
    return _ops_options(func)


def _debug_option(*, reset: bool) -> Callable[[Any], Any]:
    """``--debug`` on the group (parsed first: it resets the setting for each invocation) and
    on ``run``/``validate``."""
    return _option(
        "--debug",
        is_flag=True,
        expose_value=False,
        callback=debug_callback(reset=reset),
        help=N_("Show the details (traceback) of an internal error, and debug logging."),
    )


def _ops_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """What an unattended command offers: the run record on stdout, logs, metrics."""
    options = [
        _option(
            "--json",
            "as_json",
            is_flag=True,
            help=N_("Print the run record on stdout, no summary."),
        ),
        _option("--log-file", type=_PATH, help=N_("Also log to this file (rotated at 10 MB).")),
        _option(
            "--log-format",
            type=click.Choice(["text", "json"]),
            default="text",
            show_default=True,
            help=N_("Log lines as text or as one JSON object per line."),
        ),
        _option("--metrics-file", type=_PATH, help=N_("Write Prometheus textfile metrics here.")),
    ]
    for option in reversed(options):
        func = option(func)
    return func


class _LazyGroup(_Command, click.Group):
    """Subcommands whose modules are heavy (aiohttp.web) load only when called."""

    command_class = _Command

    lazy: ClassVar[dict[str, tuple[str, str]]] = {
        "simulate": ("rescheduler.simulator.cli", "simulate_command"),
        "serve": ("rescheduler.web.cli", "serve_command"),
        "user": ("rescheduler.web.cli", "user_group"),
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.lazy])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy:
            import importlib

            module, attr = self.lazy[cmd_name]
            command: click.Command = getattr(importlib.import_module(module), attr)
            return command
        return super().get_command(ctx, cmd_name)


@click.group(
    cls=_LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
    help=N_("Reschedule reserved outbound calls on a Huawei CC-iSales server, in bulk."),
)
@click.version_option(__version__, prog_name="rescheduler")
@_option(
    "--lang",
    type=click.Choice(LANGUAGES, case_sensitive=False),
    is_eager=True,
    expose_value=False,
    callback=_set_language,
    help=N_("Language of the messages (default: from LANG, else en)."),
)
@_debug_option(reset=True)
def cli() -> None:
    """The ``rescheduler`` command group."""


@cli.command(
    help=N_("Send every valid row of INPUT and write each row's outcome to the results file.")
)
@click.argument("input_path", metavar="INPUT", type=_PATH)
@_input_options
@_option("--dry-run", is_flag=True, help=N_("Read and validate every row; send nothing."))
@_option("--resume", is_flag=True, help=N_("Skip rows that succeeded in an earlier run."))
@_option("--concurrency", type=int, help=N_("Requests in flight at most."))
@_option("--rate", "rate", type=float, help=N_("Requests per second at most (0 = no limit)."))
@_option("--max-attempts", type=int, help=N_("Attempts per row, retries included."))
@_option("--max-failures", help=N_('Stop after N failed rows ("50") or a share ("10%").'))
@_option("--journal", "journal_path", type=_PATH, help=N_("Journal file (default: beside --out)."))
@_option(
    "--no-snapshot",
    is_flag=True,
    help=N_("Do not list the reservations first: no before or undo file, no 'already so'."),
)
@_option(
    "--verify",
    is_flag=True,
    help=N_("List the changed reservations again after the run: the verified column."),
)
def run(input_path: Path, **flags: Any) -> None:
    """``rescheduler run``."""
    _run(input_path, **flags)


@cli.command(
    help=N_(
        "Compare every row of INPUT with the reservations on the server: current -> new and a "
        "verdict per row (will change, already so, not found, automatic, expired); send "
        "nothing."
    )
)
@click.argument("input_path", metavar="INPUT", type=_PATH)
@_input_options
@_option("--concurrency", type=int, help=N_("List pages in flight at most."))
@_option("--rate", "rate", type=float, help=N_("Requests per second at most (0 = no limit)."))
def plan(input_path: Path, **flags: Any) -> None:
    """``rescheduler plan``."""
    _run(input_path, dry_run=True, plan=True, command="plan", **flags)


@cli.command(
    help=N_(
        "Read and validate every row of INPUT; write the report; send nothing (= run --dry-run)."
    )
)
@click.argument("input_path", metavar="INPUT", type=_PATH)
@_input_options
def validate(input_path: Path, **flags: Any) -> None:
    """``rescheduler validate``."""
    _run(input_path, dry_run=True, command="validate", **flags)


def _run(
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
        from rescheduler.engine import Job, Progress, run_sync
        from rescheduler.finish import RunReporter
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


@cli.command(
    help=N_(
        "Write the reservations on the server to a change file (a valid input for run).\n\n"
        "Sends nothing: it reads appoint/list. With --set, --shift or --move-to-date the file "
        "holds the changes to review and then send with 'rescheduler run FILE'."
    )
)
@_option("-c", "--config", "config_path", type=_EXISTING, help=N_("TOML config file."))
@_option("--agent", "agents", multiple=True, metavar="NAME", help=N_("Only this agent's (repeat)."))
@_option("--from", "from_time", metavar="TIME", help=N_("Only appointTime at or after TIME."))
@_option("--to", "to_time", metavar="TIME", help=N_("Only appointTime at or before TIME."))
@_option("--task", metavar="ID", help=N_("Only this outbound task (taskId)."))
@_option("--called-no", metavar="NUMBER", help=N_("Only reservations calling NUMBER."))
@_option("--out", type=_PATH, help=N_("Change file to write (.csv or .xlsx)."))
@_option(
    "--set", "sets", multiple=True, metavar="FIELD=VALUE", help=N_("userAccount, workNo, remark.")
)
@_option("--shift", metavar="DELTA", help=N_("Move appointTime by +1d, -2h, +30m ..."))
@_option("--move-to-date", metavar="DATE", help=N_("Same time of day on DATE (YYYY-MM-DD)."))
@_option("--timezone", help=N_("IANA zone for times, in and out (default: the config's)."))
@_option("--resume", is_flag=True, help=N_("Continue an interrupted export of the same listing."))
@_option("--concurrency", type=int, help=N_("Pages in flight at most."))
@_option("--rate", "rate", type=float, help=N_("Requests per second at most (0 = no limit)."))
@_option("--page-size", type=int, help=N_("Reservations per page (list.page_size)."))
@_option("-q", "--quiet", is_flag=True, help=N_("No progress bar; one-line summary."))
@_ops_options
def export(**flags: Any) -> None:
    """``rescheduler export``."""
    from rescheduler.state.cli import export_command

    try:
        sys.exit(export_command(**flags))
    except ReschedulerError as exc:
        _fail(exc)


@cli.command(
    help=N_("Run the bundled sample against the built-in simulator (nothing leaves this machine).")
)
@_option(
    "--workdir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("rescheduler-demo"),
    show_default=True,
    help=N_("Where the demo's input copy and results go."),
)
@_option("--xlsx", is_flag=True, help=N_("Use the Excel sample and write an Excel report."))
def demo(workdir: Path, xlsx: bool) -> None:
    """``rescheduler demo``."""
    from rescheduler.demo import run_demo

    try:
        sys.exit(run_demo(workdir, xlsx=xlsx))
    except ReschedulerError as exc:
        _fail(exc)


@cli.command(
    help=N_("Write an empty input file (CSV or XLSX) with the right headers and one example row.")
)
@click.argument("path", type=_PATH)
@_option(
    "--deployment",
    type=click.Choice(["standard", "op-independent"]),
    default="standard",
    show_default=True,
    help=N_("Which agent column is mandatory."),
)
@_option("--force", is_flag=True, help=N_("Overwrite an existing file."))
def template(path: Path, deployment: str, force: bool) -> None:
    """``rescheduler template``."""
    from rescheduler.template import write_template

    try:
        write_template(path, deployment=deployment, overwrite=force)
    except ReschedulerError as exc:
        _fail(exc)
    click.echo(_("wrote {path}").format(path=path))


def main() -> None:
    """The console script (and ``python -m rescheduler``): the process is ours, so its signal
    handling may be set for its last moments (``cliends.ignore_signals``)."""
    OWN_PROCESS["on"] = True
    try:
        cli(prog_name="rescheduler")
    except Exception as exc:  # the last resort for the commands without their own
        crash(exc, sent=False, results=None, secrets=())
        sys.exit(2)
