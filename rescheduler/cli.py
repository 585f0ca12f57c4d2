"""The command line: a thin face on the engine. Flags -> Config overrides -> run -> exit code.

Exit codes (design.md section 6): 0 all rows succeeded or skipped (dry run: all valid);
1 some row failed or is invalid; 2 usage, config or input-file error, nothing sent;
3 run aborted (credentials rejected, too many failures, interrupted), report complete;
4 the input file is missing or empty (the upstream export did not arrive?), nothing sent.
Every ``run``/``validate`` ends with a run record (``rescheduler.finish``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import click

from rescheduler import __version__
from rescheduler.errors import ReschedulerError

_PATH = click.Path(path_type=Path, dir_okay=False)
_EXISTING = click.Path(path_type=Path, dir_okay=False, exists=True)


def _fail(exc: ReschedulerError) -> None:
    click.echo(f"rescheduler: error: {exc}", err=True)
    sys.exit(exc.exit_code)


def _config(path: Path | None, overrides: dict[str, object]) -> Any:
    from rescheduler.config import load_config

    return load_config(path, overrides)


def _input_options(func: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("-c", "--config", "config_path", type=_EXISTING, help="TOML config file."),
        click.option("--out", type=_PATH, help="Results file (.csv or .xlsx)."),
        click.option("--sheet", help="Sheet to read (default: the first visible one)."),
        click.option("--encoding", help="CSV encoding (default: detected)."),
        click.option("--timezone", help="IANA zone for times written without an offset."),
        click.option(
            "--on-conflict",
            type=click.Choice(["reject", "last"]),
            help="Same appointId with different changes: reject all (default) or keep the last.",
        ),
        click.option("-q", "--quiet", is_flag=True, help="No progress bar; one-line summary."),
    ]
    for option in reversed(options):
        func = option(func)
    return _ops_options(func)


def _ops_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """What an unattended command offers: the run record on stdout, logs, metrics."""
    options = [
        click.option(
            "--json", "as_json", is_flag=True, help="Print the run record on stdout, no summary."
        ),
        click.option("--log-file", type=_PATH, help="Also log to this file (rotated at 10 MB)."),
        click.option(
            "--log-format",
            type=click.Choice(["text", "json"]),
            default="text",
            show_default=True,
            help="Log lines as text or as one JSON object per line.",
        ),
        click.option(
            "--metrics-file", type=_PATH, help="Write Prometheus textfile metrics here."
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


class _LazyGroup(click.Group):
    """Subcommands whose modules are heavy (aiohttp.web) load only when called."""

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


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="rescheduler")
def cli() -> None:
    """Reschedule reserved outbound calls on a Huawei CC-iSales server, in bulk."""


@cli.command()
@click.argument("input_path", metavar="INPUT", type=_PATH)
@_input_options
@click.option("--dry-run", is_flag=True, help="Read and validate every row; send nothing.")
@click.option("--resume", is_flag=True, help="Skip rows that succeeded in an earlier run.")
@click.option("--concurrency", type=int, help="Requests in flight at most.")
@click.option("--rate", "rate", type=float, help="Requests per second at most (0 = no limit).")
@click.option("--max-attempts", type=int, help="Attempts per row, retries included.")
@click.option("--max-failures", help='Stop after N failed rows ("50") or a share ("10%").')
@click.option("--journal", "journal_path", type=_PATH, help="Journal file (default: beside --out).")
def run(input_path: Path, **flags: Any) -> None:
    """Send every valid row of INPUT and write each row's outcome to the results file."""
    _run(input_path, **flags)


@cli.command()
@click.argument("input_path", metavar="INPUT", type=_PATH)
@_input_options
def validate(input_path: Path, **flags: Any) -> None:
    """Read and validate every row of INPUT; write the report; send nothing (= run --dry-run)."""
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
    try:  # everything, imports included, inside: Ctrl-C at any moment still gets its record
        from rescheduler.console import ProgressDisplay, format_run
        from rescheduler.engine import Job, Progress, run_sync
        from rescheduler.finish import RunReporter
        from rescheduler.logs import setup_logging

        progress = Progress()
        reporter = RunReporter(
            command, input_path, out, dry_run=dry_run, metrics_path=metrics_file
        )
        reporter.measure_input()
        # unattended (cron, systemd): log lines on stderr; --log-file: there too
        setup_logging(
            stderr=not quiet and not sys.stderr.isatty(), log_file=log_file, fmt=log_format
        )
        reporter.outputs.add("log", log_file)
        config = reporter.config = _config(config_path, overrides)
        job = Job(
            input_path=input_path,
            config=config,
            out_path=out,
            dry_run=dry_run,
            resume=resume,
            journal_path=journal_path,
            handle_signals=True,
            outputs=reporter.outputs,
        )
        with ProgressDisplay(enabled=not quiet) as display:
            result = run_sync(job, on_progress=display.update, progress=progress)
    except ReschedulerError as exc:
        click.echo(f"rescheduler: error: {exc}", err=True)
        if reporter is not None:
            _end(reporter, reporter.facts_from_error(exc, progress), as_json)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt as exc:
        from rescheduler.engine import NOT_STARTED, report_not_started

        click.echo("rescheduler: interrupted before sending started; nothing was sent", err=True)
        if job is not None:
            try:
                path = report_not_started(job)
            except ReschedulerError as error:
                _fail(error)
            except KeyboardInterrupt:
                click.echo("rescheduler: interrupted again: results incomplete", err=True)
                sys.exit(3)
            click.echo(f"every row is 'not_sent' in {path}", err=True)
        if reporter is not None:
            _end(reporter, reporter.facts_from_error(exc, None, NOT_STARTED), as_json)
        sys.exit(3)
    if not as_json:
        click.echo(format_run(result, brief=quiet), err=True)
    _end(reporter, reporter.facts_from_result(result), as_json)
    sys.exit(result.exit_code)


def _end(reporter: Any, facts: Any, as_json: bool) -> None:
    """The run record (+ alert, metrics); on stdout with --json. Never changes the exit code."""
    from rescheduler.finish import end_command

    end_command(reporter, facts, as_json=as_json)


@cli.command()
@click.option("-c", "--config", "config_path", type=_EXISTING, help="TOML config file.")
@click.option(
    "--agent", "agents", multiple=True, metavar="NAME", help="Only this agent's (repeat)."
)
@click.option("--from", "from_time", metavar="TIME", help="Only appointTime at or after TIME.")
@click.option("--to", "to_time", metavar="TIME", help="Only appointTime at or before TIME.")
@click.option("--task", metavar="ID", help="Only this outbound task (taskId).")
@click.option("--called-no", metavar="NUMBER", help="Only reservations calling NUMBER.")
@click.option("--out", type=_PATH, help="Change file to write (.csv or .xlsx).")
@click.option(
    "--set", "sets", multiple=True, metavar="FIELD=VALUE", help="userAccount, workNo, remark."
)
@click.option("--shift", metavar="DELTA", help="Move appointTime by +1d, -2h, +30m ...")
@click.option("--move-to-date", metavar="DATE", help="Same time of day on DATE (YYYY-MM-DD).")
@click.option("--timezone", help="IANA zone for times, in and out (default: the config's).")
@click.option("--resume", is_flag=True, help="Continue an interrupted export of the same listing.")
@click.option("--concurrency", type=int, help="Pages in flight at most.")
@click.option("--rate", "rate", type=float, help="Requests per second at most (0 = no limit).")
@click.option("--page-size", type=int, help="Reservations per page (list.page_size).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar; one-line summary.")
@_ops_options
def export(**flags: Any) -> None:
    """Write the reservations on the server to a change file (a valid input for run).

    Sends nothing: it reads appoint/list. With --set, --shift or --move-to-date the file
    holds the changes to review and then send with 'rescheduler run FILE'.
    """
    from rescheduler.state.cli import export_command

    try:
        sys.exit(export_command(**flags))
    except ReschedulerError as exc:
        _fail(exc)


@cli.command()
@click.option(
    "--workdir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("rescheduler-demo"),
    show_default=True,
    help="Where the demo's input copy and results go.",
)
@click.option("--xlsx", is_flag=True, help="Use the Excel sample and write an Excel report.")
def demo(workdir: Path, xlsx: bool) -> None:
    """Run the bundled sample against the built-in simulator (nothing leaves this machine)."""
    from rescheduler.demo import run_demo

    try:
        sys.exit(run_demo(workdir, xlsx=xlsx))
    except ReschedulerError as exc:
        _fail(exc)


@cli.command()
@click.argument("path", type=_PATH)
@click.option(
    "--deployment",
    type=click.Choice(["standard", "op-independent"]),
    default="standard",
    show_default=True,
    help="Which agent column is mandatory.",
)
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def template(path: Path, deployment: str, force: bool) -> None:
    """Write an empty input file (CSV or XLSX) with the right headers and one example row."""
    from rescheduler.template import write_template

    try:
        write_template(path, deployment=deployment, overwrite=force)
    except ReschedulerError as exc:
        _fail(exc)
    click.echo(f"wrote {path}")


def main() -> None:
    cli(prog_name="rescheduler")
