"""click's building blocks for the command line (``rescheduler.cli``): help texts translated
when shown (``TranslatedOption``, ``TranslatedCommand``: click builds the commands at import,
before the language is known), the group whose heavy subcommands load only when called
(``LazyGroup``), and the options several commands share (``input_options``, ``ops_options``,
``debug_option``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

import click

from rescheduler.cliends import debug_callback
from rescheduler.i18n import N_, _


class FilePath(click.Path):
    """A file's path; an empty one is a usage error (``Path("")`` is the current folder, and
    ``--out ''`` ended in an internal error)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and not value.strip():
            self.fail(_("a file name is needed, not an empty text"), param, ctx)
        return super().convert(value, param, ctx)


PATH = FilePath(path_type=Path, dir_okay=False)
# INPUT: a folder given as the input is refused by the run itself (read.presence: one line,
# exit 2, a run record and the alert), not by click before anything is recorded
INPUT = FilePath(path_type=Path)
EXISTING = click.Path(path_type=Path, dir_okay=False, exists=True)


@contextmanager
def translated(thing: click.Command | click.Option) -> Iterator[None]:
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


class TranslatedOption(click.Option):
    """An option whose help text (an ``N_`` msgid) is translated when shown."""

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        with translated(self):
            return super().get_help_record(ctx)


class TranslatedCommand(click.Command):
    """A command whose help text (an ``N_`` msgid) is translated when shown."""

    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with translated(self):
            super().format_help_text(ctx, formatter)

    def get_short_help_str(self, limit: int = 45) -> str:
        with translated(self):
            return super().get_short_help_str(limit)


def option(*names: str, **attrs: Any) -> Callable[[Any], Any]:
    """``click.option`` with a translated help text."""
    return click.option(*names, cls=TranslatedOption, **attrs)


def input_options(func: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        option("-c", "--config", "config_path", type=EXISTING, help=N_("TOML config file.")),
        option("--out", type=PATH, help=N_("Results file (.csv or .xlsx).")),
        option("--sheet", help=N_("Sheet to read (default: the first visible one).")),
        option("--encoding", help=N_("CSV encoding (default: detected).")),
        option("--timezone", help=N_("IANA zone for times written without an offset.")),
        option(
            "--on-conflict",
            type=click.Choice(["reject", "last"]),
            help=N_(
                "Same appointId with different changes: reject all (default) or keep the last."
            ),
        ),
        option("-q", "--quiet", is_flag=True, help=N_("No progress bar; one-line summary.")),
        debug_option(reset=False),
    ]
    for add in reversed(options):
        func = add(func)
    return ops_options(func)


def debug_option(*, reset: bool) -> Callable[[Any], Any]:
    """``--debug`` on the group (parsed first: it resets the setting for each invocation) and
    on ``run``/``validate``."""
    return option(
        "--debug",
        is_flag=True,
        expose_value=False,
        callback=debug_callback(reset=reset),
        help=N_("Show the details (traceback) of an internal error, and debug logging."),
    )


def ops_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """What an unattended command offers: the run record on stdout, logs, metrics."""
    options = [
        option(
            "--json",
            "as_json",
            is_flag=True,
            help=N_("Print the run record on stdout, no summary."),
        ),
        option("--log-file", type=PATH, help=N_("Also log to this file (rotated at 10 MB).")),
        option(
            "--log-format",
            type=click.Choice(["text", "json"]),
            default="text",
            show_default=True,
            help=N_("Log lines as text or as one JSON object per line."),
        ),
        option("--metrics-file", type=PATH, help=N_("Write Prometheus textfile metrics here.")),
    ]
    for add in reversed(options):
        func = add(func)
    return func


class LazyGroup(TranslatedCommand, click.Group):
    """Subcommands whose modules are heavy (aiohttp.web) load only when called."""

    command_class = TranslatedCommand

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
