"""How ``run``/``validate`` end when they do not end normally, for the command line.

A flag's bad value is named as the flag (``FLAGS``); ``--debug`` shows a bug's traceback
(``debug_callback``); a bug ends in one line (``crash``, see ``lastresort``); a Ctrl-C that the
run's own signal handling did not see, before sending or while finishing, says what became
of the results (``interrupted``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from rescheduler.errors import ReschedulerError
from rescheduler.i18n import _

# The flags that set config keys: a bad flag value is named as the flag, not the key.
FLAGS = {
    "input.sheet": "--sheet",
    "input.encoding": "--encoding",
    "input.timezone": "--timezone",
    "input.on_conflict": "--on-conflict",
    "send.concurrency": "--concurrency",
    "send.rate_per_s": "--rate",
    "send.max_attempts": "--max-attempts",
    "send.max_failures": "--max-failures",
}
DEBUG = {"on": False}


def debug_callback(*, reset: bool) -> Callable[[click.Context, click.Parameter, bool], bool]:
    """The ``--debug`` option's callback: on the group (parsed first, so it resets the setting
    for each invocation) and on ``run``/``validate``. Tracebacks of internal errors on stderr,
    and debug logging."""

    def remember(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
        DEBUG["on"] = value if reset else DEBUG["on"] or value
        if value:
            import logging

            logging.getLogger("rescheduler").setLevel(logging.DEBUG)
        return value

    return remember


def crash(
    exc: BaseException, *, sent: bool, results: Path | None, secrets: tuple[str, ...]
) -> str:
    """The last resort: one line on stderr (returned too, for the run record), the details in
    a crash log (``lastresort``). The caller exits."""
    from rescheduler.lastresort import conclude

    ending = conclude(exc, sent=sent, results=results, secrets=secrets, debug=DEBUG["on"])
    if ending.traceback:
        click.echo(ending.traceback, err=True, nl=False)
    click.echo(_("rescheduler: error: {message}").format(message=ending.line), err=True)
    return ending.line


def results_path(job: Any) -> Path | None:
    if job is None:
        return None
    from rescheduler.write.targets import default_paths

    try:
        return default_paths(job.input_path, job.out_path, dry_run=job.dry_run)[0]
    except ReschedulerError:
        return None


def interrupted(job: Any, *, sent: bool) -> str:
    """Ctrl-C outside the pool's own handling (before sending, or while finishing); the line."""
    from rescheduler.engine import NOT_STARTED, report_not_started

    if sent:  # the pool was not watching: the run stopped where it was
        from rescheduler.write.targets import partial_path

        results = results_path(job)
        kept = results is not None and partial_path(results).exists()
        line = (
            _(
                "interrupted: the run stopped at once; {results} was not replaced (the rows "
                "written so far are in {partial}); run again with --resume to finish"
            ).format(results=results, partial=partial_path(results))
            if kept and results is not None
            else _("interrupted while finishing: run again with --resume to be sure of every row")
        )
        click.echo(_("rescheduler: {message}").format(message=line), err=True)
        return line
    click.echo(_("rescheduler: interrupted before sending started; nothing was sent"), err=True)
    if job is not None:
        try:
            path = report_not_started(job)
        except ReschedulerError as error:
            click.echo(_("rescheduler: error: {message}").format(message=error), err=True)
            sys.exit(error.exit_code)
        except KeyboardInterrupt:
            click.echo(_("rescheduler: interrupted again: results incomplete"), err=True)
            sys.exit(3)
        click.echo(_("every row is 'not_sent' in {path}").format(path=path), err=True)
    return _(NOT_STARTED)


