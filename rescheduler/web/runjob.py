"""One start (or resume) of a run from the page, in a worker process of its own.

``python -m rescheduler.web.runjob`` reads a pickled ``RunRequest`` on stdin: the run's files
and the config *with* the credentials (they travel through the pipe only, never through the
environment or the command line). Then it bounds itself (``workers.limit_self``: address space
``web.check_memory_mb``, each file it writes to the run's output cap, nice 5; no CPU limit, a
run may last hours) and runs ``engine.run`` as ``rescheduler run --resume`` would, so reading
the upload, however hostile, costs the server process nothing.

It talks with the server in lines:

* stdout: ``{"progress": {...}}`` every ``PROGRESS_EVERY_S`` (the page's live numbers), then
  ``{"end": {...}}`` once every row has its outcome (what happened, or the run-level error);
  after that it writes the run record and sends the ``[notify]`` alert, and exits (the server
  has already freed the sending slot, so a slow webhook delays no other run);
* stdin: a line ``stop <reason>`` asks for a clean stop (no new request starts, the rows left
  are ``not_sent``); the end of stdin (the server went away) asks for one too;
* stderr: its log lines (warnings and above), which the server passes on to its own log.
"""

from __future__ import annotations

import asyncio
import json
import logging
import pickle
import sys
import threading
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rescheduler.config import Config
from rescheduler.web.scrub import scrub

if TYPE_CHECKING:
    from rescheduler.job import Progress
    from rescheduler.send.pool import StopControl

PROGRESS_EVERY_S = 0.5
MAX_EXAMPLE = 300  # characters of each error example in a progress line
_OUT = threading.Lock()


@dataclass(frozen=True)
class RunRequest:
    input_path: Path
    results_path: Path
    config: Config  # with the credentials
    file_name: str  # the upload's name, shown instead of the server's paths
    where: str  # "the upload page, run <id> (<file>)", for the alert
    memory_mb: int
    file_bytes: int  # the most any one file of the run may take (web.max_output_mb, quota)
    language: str = "en"


def say(data: dict[str, Any]) -> None:
    with _OUT:
        sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
        sys.stdout.flush()


def snapshot(progress: Progress) -> dict[str, Any]:
    """What the page shows of a run in progress (the server rebuilds a ``Progress`` from it)."""
    return {
        "total": progress.total,
        "done": progress.done,
        "read": progress.read,
        "phase": progress.phase,
        "counts": {status.value: n for status, n in progress.counts.items()},
        "codes": dict(progress.codes),
        "examples": {k: v[:MAX_EXAMPLE] for k, v in progress.examples.items()},
        "elapsed_s": progress.elapsed_s,
    }


def _listen(loop: asyncio.AbstractEventLoop, stop: StopControl) -> None:
    """Read stdin (a thread): ``stop <reason>`` or its end asks the run to stop cleanly."""
    from rescheduler.errors import Interrupted
    from rescheduler.i18n import _

    reason = ""
    for raw in sys.stdin.buffer:
        line = raw.decode("utf-8", "replace").strip()
        if line.startswith("stop"):
            reason = line[5:].strip()
            break
    else:
        reason = _("the web server was shut down")
    loop.call_soon_threadsafe(stop.request, Interrupted(reason))


async def _report_progress(progress: Progress) -> None:
    while True:
        await asyncio.sleep(PROGRESS_EVERY_S)
        say({"progress": snapshot(progress)})


async def run(request: RunRequest) -> None:
    from rescheduler.engine import run as engine_run
    from rescheduler.errors import Crashed, ReschedulerError
    from rescheduler.finish import RunReporter
    from rescheduler.job import Job, Progress
    from rescheduler.send.pool import StopControl

    config = request.config
    secret = config.auth.secret_key
    secrets = [s for s in (config.auth.access_key, secret.reveal() if secret else "") if s]

    def clean(text: str) -> str:
        return scrub(text, request.input_path, request.file_name, secrets)

    reporter = RunReporter(
        "run",
        request.input_path,
        request.results_path,
        hide_access_key=True,
        where=request.where,
        config=config,
    )
    reporter.measure_input()
    job = Job(
        input_path=request.input_path,
        config=config,
        out_path=request.results_path,
        resume=True,
        handle_signals=False,
        hide_access_key=True,
        outputs=reporter.outputs,
        snapshot=True,  # what the rows change is read first: already so, the undo file
    )
    stop, progress = StopControl(), Progress()
    loop = asyncio.get_running_loop()
    threading.Thread(target=_listen, args=(loop, stop), daemon=True).start()
    ticker = loop.create_task(_report_progress(progress))
    try:
        result = await engine_run(job, stop=stop, progress=progress)
    except ReschedulerError as exc:
        end: dict[str, Any] = {"error": type(exc).__name__, "message": clean(str(exc))}
        if isinstance(exc, Crashed):  # a bug: its traceback, scrubbed, for the server log
            cause = exc.__cause__ or exc
            text = "".join(traceback.format_exception(cause))
            end["traceback"] = scrub(text, None, "", secrets, limit=20_000)
        facts = reporter.facts_from_error(exc, progress, end["message"])
    else:
        aborted = result.aborted
        end = {
            "rows": result.info.rows,
            "counts": {s.value: n for s, n in result.summary.counts.items()},
            "elapsed_s": result.elapsed_s,
            "aborted": None
            if aborted is None
            else {"code": aborted.code, "message": clean(str(aborted))},
        }
        facts = reporter.facts_from_result(result)
    finally:
        ticker.cancel()
    say({"end": end, "progress": snapshot(progress)})
    try:
        await reporter.complete(facts)
    except Exception:
        logging.getLogger("rescheduler.web").exception("the run record or alert failed")


def main() -> None:
    import anyio

    from rescheduler.i18n import set_language
    from rescheduler.web.workers import limit_self

    request: RunRequest = pickle.load(sys.stdin.buffer)
    limit_self(request.memory_mb, request.file_bytes)
    set_language(request.language)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    options: dict[str, object] = {}
    try:
        import uvloop  # noqa: F401

        options["use_uvloop"] = True
    except ImportError:
        pass
    try:
        anyio.run(run, request, backend="asyncio", backend_options=options)
    except MemoryError:
        say({"end": {"memory": True}})


if __name__ == "__main__":
    main()
