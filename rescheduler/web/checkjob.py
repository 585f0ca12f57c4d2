"""The check of one upload, in a worker process of its own with hard limits.

``python -m rescheduler.web.checkjob`` reads a pickled ``CheckRequest`` on stdin (from the web
server; the secret key is not in it), then, before it opens the file:

* limits itself: address space (``RLIMIT_AS``, ``web.check_memory_mb``), CPU seconds
  (``RLIMIT_CPU``, a backstop to the server's wall-clock limit), the size of any file it writes
  (``RLIMIT_FSIZE``), and a lower scheduling priority (nice 5), so a hostile workbook can cost
  at most that and the pages stay responsive;
* bounds the archive of a zipped workbook (.xlsx/.xlsm/.xlsb/.ods: ``zipbounds``) before any
  reader sees it;

then runs the preview (the engine's dry run, with ``web.max_rows`` counted while reading) in
the language of the person who uploaded, writes ``preview.json`` into the run folder and prints
JSON lines on stdout: ``{"progress": {"phase": ..., "read": N, "done": N, "total": N}}`` every
``PROGRESS_EVERY_S`` while it works (the checking page shows them), then the answer,
``{"ok": true, "rows": N, "peak_rss_mb": M}`` or ``{"ok": false, "message": "..."}``. A worker
that dies (out of memory, killed) prints no answer; the server then says which limit it hit.
"""

from __future__ import annotations

import json
import os
import pickle
import resource
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rescheduler.config import Config

if TYPE_CHECKING:
    from rescheduler.engine import Progress

MB = 1_000_000
FILE_SIZE_LIMIT = 1024 * MB  # any one file the check writes (the validation report)
NICENESS = 5  # the server (nice 0) gets about three times the CPU of a check when both want it
PROGRESS_EVERY_S = 0.5
_OUT = threading.Lock()  # the progress thread and the answer share stdout, one line at a time


@dataclass(frozen=True)
class CheckRequest:
    input_path: Path
    run_dir: Path
    config: Config  # without credentials
    file_name: str
    max_rows: int
    memory_mb: int
    cpu_s: int
    max_listed: int  # invalid rows and duplicates kept for the page
    language: str = "en"  # of the row messages and the validation files


def limit_self(request: CheckRequest) -> None:
    memory = request.memory_mb * MB
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (request.cpu_s, request.cpu_s + 5))
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_SIZE_LIMIT, FILE_SIZE_LIMIT))
    os.nice(NICENESS)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / MB  # Linux: KiB


def say(answer: dict[str, object]) -> None:
    with _OUT:
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


def report_progress(progress: Progress, done: threading.Event) -> None:
    """Every ``PROGRESS_EVERY_S`` until ``done``: the rows read (first pass), then checked."""
    while not done.wait(PROGRESS_EVERY_S):
        say(
            {
                "progress": {
                    "phase": "checking" if progress.total is not None else "reading",
                    "read": progress.read,
                    "done": progress.done,
                    "total": progress.total,
                }
            }
        )


def check(request: CheckRequest) -> dict[str, object]:
    from rescheduler.engine import Progress
    from rescheduler.errors import ReschedulerError
    from rescheduler.read.reader import ZIP_SHEET_SUFFIXES
    from rescheduler.web import preview
    from rescheduler.web.zipbounds import check_workbook

    progress = Progress()
    done = threading.Event()
    reporter = threading.Thread(target=report_progress, args=(progress, done), daemon=True)
    reporter.start()
    try:
        if request.input_path.suffix.lower() in ZIP_SHEET_SUFFIXES:
            check_workbook(request.input_path)
        result = preview.check(
            request.input_path,
            request.run_dir,
            request.config,
            request.file_name,
            max_rows=request.max_rows,
            max_listed=request.max_listed,
            progress=progress,
        )
        result.save(request.run_dir / preview.PREVIEW_NAME)
    except ReschedulerError as exc:
        return {"ok": False, "message": str(exc), "kind": type(exc).__name__}
    finally:
        done.set()
        reporter.join()
    return {"ok": True, "rows": result.rows}


def main() -> None:
    from rescheduler.i18n import set_language

    request: CheckRequest = pickle.load(sys.stdin.buffer)
    limit_self(request)
    set_language(request.language)
    try:
        answer = check(request)
    except MemoryError:
        answer = {"ok": False, "memory": True}
    answer["peak_rss_mb"] = round(peak_rss_mb(), 1)
    say(answer)


if __name__ == "__main__":
    main()
