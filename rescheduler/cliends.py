"""How ``run``/``validate`` end when they do not end normally, for the command line.

A flag's bad value is named as the flag (``FLAGS``); ``--debug`` shows a bug's traceback
(``debug_callback``); a bug ends in one line (``crash``, see ``lastresort``); a Ctrl-C that the
run's own signal handling did not see, before sending or while finishing, says what became
of the results (``interrupted``).

Every file a command will write is checked before the first is opened (``check_planned``:
the log file is opened before the config is read), and the run record is written only to a
place this command owns (``record_refusal``): not beside a results "file" that is a device
(``--out /dev/null``), never while another run holds the results' lock (its record).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

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
OWN_PROCESS = {"on": False}  # set by the console script; not when embedded (tests, CliRunner)


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
            leave(error.exit_code)
        except KeyboardInterrupt:
            ignore_signals()
            click.echo(_("rescheduler: interrupted again: results incomplete"), err=True)
            leave(3)
        click.echo(_("every row is 'not_sent' in {path}").format(path=path), err=True)
    return _(NOT_STARTED)




def sent_anyway(exc: ReschedulerError, progress: Any, dry_run: bool) -> ReschedulerError:
    """``exc`` as an abort (exit 3) when sending had begun: an error that means "nothing was
    sent" (exit 2) is never said after a request may have gone out."""
    from rescheduler.errors import RunAborted

    began = progress is not None and progress.phase in ("sending", "finished") and not dry_run
    if not began or exc.exit_code != 2:
        return exc
    aborted = RunAborted(
        _("{error}; sending had started: run again with --resume to finish").format(error=exc)
    )
    aborted.__cause__ = exc
    return aborted


def watch_signals(progress: Any) -> None:
    """The command line's own Ctrl-C (and SIGTERM) outside the pool: before sending it stops
    the run (``KeyboardInterrupt``: every row ``not_sent``); once sending began the pool has
    its own, and once the run is over a press is ignored, so the exit code stands."""
    import signal

    if not OWN_PROCESS["on"]:
        return

    def on_signal(signum: int, frame: object) -> None:
        if progress.phase not in ("sending", "finished"):
            raise KeyboardInterrupt

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, on_signal)


def ignore_signals() -> None:
    """From now on a Ctrl-C (or SIGTERM) is ignored: the run is over and its outcome decided;
    what is left (the record, the alert, the metrics) is bounded, and the exit code stands.
    (A Ctrl-C landing in the interpreter's own shutdown used to end the process by the signal
    itself, exit -2, instead of 3.)"""
    import signal

    if not OWN_PROCESS["on"]:
        return  # an embedding program's signal handling is its own
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_IGN)


EXIT_GRACE_S = 10.0  # how long the interpreter's own shutdown may take once the outcome stands


def leave(code: int) -> NoReturn:
    """Exit with ``code``, whatever is pressed meanwhile, and within ``EXIT_GRACE_S``: Ctrl-C
    is ignored from here on, so a library thread the interpreter waits for at shutdown (an
    idle AnyIO worker left behind by an interrupted event loop) would otherwise hold the
    process for ever, out of reach of anything but SIGKILL — a nightly job that never ends."""
    ignore_signals()
    if OWN_PROCESS["on"]:
        _exit_anyway(code, EXIT_GRACE_S)
    sys.exit(code)


def _exit_anyway(code: int, after_s: float) -> None:
    """A daemon thread that ends the process with ``code`` if it is still there ``after_s``
    seconds from now (daemon threads run on while the interpreter waits for the others)."""
    import contextlib
    import os
    import threading
    import time

    def force() -> None:
        time.sleep(after_s)
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        os._exit(code)

    threading.Thread(target=force, name="rescheduler-exit-watchdog", daemon=True).start()


def planned_outputs(
    input_path: Path,
    out: Path | None,
    *,
    dry_run: bool,
    journal: Path | None,
    log_file: Path | None,
    metrics_file: Path | None,
    record: Path,
) -> list[Any]:
    """Every file ``run``/``validate`` will write, as ``targets.Target``s."""
    from rescheduler.lastresort import crash_log_path
    from rescheduler.write.journal import default_journal_path
    from rescheduler.write.targets import Target, default_paths

    results, errors = default_paths(input_path, out, dry_run=dry_run)
    targets = [Target("results", results), Target("errors", errors)]
    if not dry_run:
        flag = "--journal" if journal is not None else "--out"
        targets.append(Target("journal", journal or default_journal_path(results), flag))
    if log_file is not None:
        targets.append(Target("log", log_file, "--log-file"))
    if metrics_file is not None:
        targets.append(Target("metrics", metrics_file, "--metrics-file"))
    targets.append(Target("run_record", record))
    targets.append(Target("crash_log", crash_log_path(results)))
    return targets


def check_planned(input_path: Path, targets: list[Any]) -> None:
    """``targets.check_outputs`` for ``planned_outputs`` (``OutputError``: exit 2)."""
    from rescheduler.write.targets import check_outputs

    check_outputs(input_path, targets)


def record_refusal(input_path: Path | None, targets: list[Any]) -> str | None:
    """Why the run record must not be written (None: it may). Only where the results may go:
    not beside a device or folder given as the results, not while another command holds
    the results' lock (the record there is that run's), not over anything but a record."""
    import os
    import stat

    from rescheduler.errors import OutputError
    from rescheduler.write import lock
    from rescheduler.write.runfiles import lock_path
    from rescheduler.write.targets import check_name, check_outputs, same_file

    kinds = {t.kind: t for t in targets}
    results, record = kinds["results"].path, kinds["run_record"]
    try:
        mode = os.stat(results).st_mode
    except FileNotFoundError:
        mode = stat.S_IFREG
    except OSError as exc:
        return str(exc.strerror or exc)
    if not stat.S_ISREG(mode):
        return _("{results} is not a regular file").format(results=results)
    try:
        check_name(results)  # another run's .partial or .lock given as the results
    except OutputError as exc:
        return str(exc)
    if lock.held_elsewhere(lock_path(results)):
        return _("another rescheduler run is writing {results}").format(results=results)
    try:
        check_outputs(input_path, [record])
    except OutputError as exc:
        return str(exc)
    for other in targets:
        if other is not record and same_file(record.path, other.path):
            return _("{path} is another output of this run").format(path=record.path)
    return None


def require_journal(input_path: Path, targets: list[Any]) -> None:
    """``--resume`` needs a journal to resume: ``UsageError`` (exit 2, nothing sent) naming
    where it looked and the journals of earlier runs of this input it can find."""
    from rescheduler.errors import UsageError
    from rescheduler.write.journal import journal_runs, journals_of

    journal = next(t.path for t in targets if t.kind == "journal")
    if journal_runs(journal):
        return
    results = next(t.path for t in targets if t.kind == "results")
    folders = [input_path.parent, results.parent, Path.cwd()]
    found = journals_of(input_path, folders)
    if found:
        listed = "; ".join(
            _("{journal} (last run {started})").format(journal=path, started=started)
            for path, started in found[:5]
        )
        hint = _(
            "journals of earlier runs of {input}: {journals}; run again with the --out of that "
            "run, or with --journal and the journal's path, and --resume"
        ).format(input=input_path, journals=listed)
    else:
        where = ", ".join(str(f) for f in dict.fromkeys(folders))
        hint = _(
            "no journal of an earlier run of {input} was found in {folders}: there is nothing "
            "to resume; name the journal with --journal, or run without --resume (every row "
            "is sent)"
        ).format(input=input_path, folders=where)
    raise UsageError(
        _("--resume: there is no journal at {journal}, so every row would be sent again; "
          "{hint}").format(journal=journal, hint=hint)
    )  # fmt: skip
