"""The last resort: an unexpected exception (a bug) ends in one line, never in a traceback.

The line says what happened and where the report is; the traceback goes to a crash log
beside the results (or to stderr with ``--debug``). Both pass through ``scrub.scrub`` first
(the scrubber the transport also applies to server answers), so neither ever holds the
secret key or a request signature, whatever the exception says.
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from rescheduler.errors import Crashed
from rescheduler.i18n import _
from rescheduler.scrub import HIDDEN as HIDDEN
from rescheduler.scrub import scrub as scrub  # the one scrubber (the transport's too)


def describe(exc: BaseException) -> str:
    """``ValueError: the message`` on one line, at most 200 characters."""
    text = " ".join(f"{type(exc).__name__}: {exc}".split())
    return text if len(text) <= 200 else text[:199] + "…"


def format_traceback(exc: BaseException, secrets: Iterable[str] = ()) -> str:
    return scrub("".join(traceback.format_exception(exc)), secrets)


def crash_log_path(results: Path) -> Path:
    """``changes.results.csv`` -> ``changes.results.crash.log`` (beside the results)."""
    return results.with_name(f"{results.stem}.crash.log")


def write_crash_log(path: Path, exc: BaseException, secrets: Iterable[str] = ()) -> Path | None:
    """The scrubbed traceback in ``path`` (owner-only); None if it cannot be written."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(format_traceback(exc, secrets))
    except OSError:
        return None
    return path


def where_details(log: Path | None) -> str:
    """The end of the one line: where the traceback is."""
    if log is not None:
        return _("this is a bug: the details are in {log} (--debug shows them here)").format(
            log=log
        )
    return _("this is a bug: run again with --debug to see the details")


@dataclass(frozen=True)
class Ending:
    line: str  # the one line, scrubbed
    exit_code: int
    traceback: str = ""  # to show (with --debug), scrubbed; else it went to the crash log


def conclude(
    exc: BaseException,
    *,
    sent: bool,
    results: Path | None,
    secrets: Iterable[str] = (),
    debug: bool = False,
) -> Ending:
    """How a command ends on ``exc``: the engine's ``Crashed`` (the bug is its ``__cause__``)
    or the bug itself. Exit 3 if sending may have started, else 2."""
    secrets = tuple(secrets)
    bug = (exc.__cause__ or exc) if isinstance(exc, Crashed) else exc
    what = describe(bug)
    if isinstance(exc, Crashed):
        text = _("internal error ({error}); {detail}").format(error=what, detail=exc.detail)
        code = exc.exit_code
    elif sent:
        text = _(
            "internal error ({error}); the run stopped; the results may be incomplete: run "
            "again with --resume"
        ).format(error=what)
        code = 3
    else:
        text = _("internal error ({error}); nothing was sent").format(error=what)
        code = 2
    if debug:
        return Ending(scrub(text, secrets), code, format_traceback(bug, secrets))
    log = write_crash_log(crash_log_path(results), bug, secrets) if results is not None else None
    return Ending(scrub(f"{text}; {where_details(log)}", secrets), code)
