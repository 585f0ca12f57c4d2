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
and translated when shown (``clioptions``): click builds the commands at import, before the
language is known. click's own words (Usage, Options, its usage errors) stay English.

Here: the commands and their flags. ``run``/``validate``/``plan`` are driven by ``clirun``;
the shared options and click classes are ``clioptions``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from rescheduler import __version__
from rescheduler.cliends import OWN_PROCESS, crash
from rescheduler.clioptions import (
    EXISTING,
    INPUT,
    PATH,
    LazyGroup,
    debug_option,
    input_options,
    ops_options,
    option,
)
from rescheduler.clirun import run_command
from rescheduler.errors import ReschedulerError
from rescheduler.i18n import LANGUAGES, N_, _, language_from_env, set_language


def _fail(exc: ReschedulerError) -> None:
    click.echo(_("rescheduler: error: {message}").format(message=exc), err=True)
    sys.exit(exc.exit_code)


def _set_language(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    set_language(value or language_from_env(os.environ))


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
    help=N_("Reschedule reserved outbound calls on a Huawei CC-iSales server, in bulk."),
)
@click.version_option(__version__, prog_name="rescheduler")
@option(
    "--lang",
    type=click.Choice(LANGUAGES, case_sensitive=False),
    is_eager=True,
    expose_value=False,
    callback=_set_language,
    help=N_("Language of the messages (default: from LANG, else en)."),
)
@debug_option(reset=True)
def cli() -> None:
    """The ``rescheduler`` command group."""


@cli.command(
    help=N_("Send every valid row of INPUT and write each row's outcome to the results file.")
)
@click.argument("input_path", metavar="INPUT", type=INPUT)
@input_options
@option("--dry-run", is_flag=True, help=N_("Read and validate every row; send nothing."))
@option("--resume", is_flag=True, help=N_("Skip rows that succeeded in an earlier run."))
@option("--concurrency", type=int, help=N_("Requests in flight at most."))
@option("--rate", "rate", type=float, help=N_("Requests per second at most (0 = no limit)."))
@option("--max-attempts", type=int, help=N_("Attempts per row, retries included."))
@option("--max-failures", help=N_('Stop after N failed rows ("50") or a share ("10%").'))
@option("--journal", "journal_path", type=PATH, help=N_("Journal file (default: beside --out)."))
@option(
    "--no-snapshot",
    is_flag=True,
    help=N_("Do not list the reservations first: no before or undo file, no 'already so'."),
)
@option(
    "--verify",
    is_flag=True,
    help=N_("List the changed reservations again after the run: the verified column."),
)
def run(input_path: Path, **flags: Any) -> None:
    """``rescheduler run``."""
    run_command(input_path, **flags)


@cli.command(
    help=N_(
        "Compare every row of INPUT with the reservations on the server: current -> new and a "
        "verdict per row (will change, already so, not found, automatic, expired); send "
        "nothing."
    )
)
@click.argument("input_path", metavar="INPUT", type=INPUT)
@input_options
@option("--concurrency", type=int, help=N_("List pages in flight at most."))
@option("--rate", "rate", type=float, help=N_("Requests per second at most (0 = no limit)."))
def plan(input_path: Path, **flags: Any) -> None:
    """``rescheduler plan``."""
    run_command(input_path, dry_run=True, plan=True, command="plan", **flags)


@cli.command(
    help=N_(
        "Read and validate every row of INPUT; write the report; send nothing (= run --dry-run)."
    )
)
@click.argument("input_path", metavar="INPUT", type=INPUT)
@input_options
def validate(input_path: Path, **flags: Any) -> None:
    """``rescheduler validate``."""
    run_command(input_path, dry_run=True, command="validate", **flags)


@cli.command(
    help=N_(
        "Write the reservations on the server to a change file (a valid input for run).\n\n"
        "Sends nothing: it reads appoint/list. With --set, --shift or --move-to-date the file "
        "holds the changes to review and then send with 'rescheduler run FILE'."
    )
)
@option("-c", "--config", "config_path", type=EXISTING, help=N_("TOML config file."))
@option("--agent", "agents", multiple=True, metavar="NAME", help=N_("Only this agent's (repeat)."))
@option("--from", "from_time", metavar="TIME", help=N_("Only appointTime at or after TIME."))
@option("--to", "to_time", metavar="TIME", help=N_("Only appointTime at or before TIME."))
@option("--task", metavar="ID", help=N_("Only this outbound task (taskId)."))
@option("--called-no", metavar="NUMBER", help=N_("Only reservations calling NUMBER."))
@option("--out", type=PATH, help=N_("Change file to write (.csv or .xlsx)."))
@option(
    "--set", "sets", multiple=True, metavar="FIELD=VALUE", help=N_("userAccount, workNo, remark.")
)
@option("--shift", metavar="DELTA", help=N_("Move appointTime by +1d, -2h, +30m ..."))
@option("--move-to-date", metavar="DATE", help=N_("Same time of day on DATE (YYYY-MM-DD)."))
@option("--timezone", help=N_("IANA zone for times, in and out (default: the config's)."))
@option("--resume", is_flag=True, help=N_("Continue an interrupted export of the same listing."))
@option("--concurrency", type=int, help=N_("Pages in flight at most."))
@option("--rate", "rate", type=float, help=N_("Requests per second at most (0 = no limit)."))
@option("--page-size", type=int, help=N_("Reservations per page (list.page_size)."))
@option("-q", "--quiet", is_flag=True, help=N_("No progress bar; one-line summary."))
@ops_options
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
@option(
    "--workdir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("rescheduler-demo"),
    show_default=True,
    help=N_("Where the demo's input copy and results go."),
)
@option("--xlsx", is_flag=True, help=N_("Use the Excel sample and write an Excel report."))
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
@click.argument("path", type=PATH)
@option(
    "--deployment",
    type=click.Choice(["standard", "op-independent"]),
    default="standard",
    show_default=True,
    help=N_("Which agent column is mandatory."),
)
@option("--force", is_flag=True, help=N_("Overwrite an existing file."))
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
