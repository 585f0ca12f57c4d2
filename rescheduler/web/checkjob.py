"""The check of one upload, in a worker process of its own with hard limits.

``python -m rescheduler.web.checkjob`` reads a pickled ``CheckRequest`` on stdin (from the web
server; the secret key is not in it), then, before it opens the file:

* limits itself (``workers.limit_self``): address space (``web.check_memory_mb``), CPU
  seconds (a backstop to the server's wall-clock limit), the size of any file it writes (the
  upload's output cap, ``quota.py``: a write past it fails and the check answers
  ``{"ok": false, "output": true}``), and a lower scheduling priority (nice 5), so a hostile
  workbook can cost at most that and the pages stay responsive;
* bounds the archive of a zipped workbook (.xlsx/.xlsm/.xlsb/.ods: ``zipbounds``) before any
  reader sees it;

then runs the preview (the engine's dry run, with ``web.max_rows`` and ``web.max_cells``
counted while reading) in
the language of the person who uploaded, writes ``preview.json`` into the run folder and prints
JSON lines on stdout: ``{"progress": {"phase": ..., "read": N, "done": N, "total": N}}`` every
``PROGRESS_EVERY_S`` while it works (the checking page shows them), then the answer,
``{"ok": true, "rows": N, "peak_rss_mb": M}`` or ``{"ok": false, "message": "..."}``. A worker
that dies (out of memory, killed) prints no answer; the server then says which limit it hit.
"""

from __future__ import annotations

import errno
import json
import pickle
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rescheduler.config import Config
from rescheduler.web.workers import limit_self, peak_rss_mb

if TYPE_CHECKING:
    from rescheduler.job import Progress

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
    max_cells: int | None = None
    file_bytes: int = 100_000_000  # the most any one file of the check may take


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
    from rescheduler.errors import OutputError, ReschedulerError
    from rescheduler.job import Progress
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
            max_cells=request.max_cells,
        )
        result.save(request.run_dir / preview.PREVIEW_NAME)
    except OutputError as exc:
        if exc.errno == errno.EFBIG:
            return {"ok": False, "output": True}
        return {"ok": False, "message": str(exc), "kind": type(exc).__name__}
    except ReschedulerError as exc:
        return {"ok": False, "message": str(exc), "kind": type(exc).__name__}
    except OSError as exc:  # the preview itself past the file-size limit
        if exc.errno == errno.EFBIG:
            return {"ok": False, "output": True}
        raise
    finally:
        done.set()
        reporter.join()
    return {"ok": True, "rows": result.rows}


def main() -> None:
    from rescheduler.i18n import set_language

    request: CheckRequest = pickle.load(sys.stdin.buffer)
    limit_self(request.memory_mb, request.file_bytes, request.cpu_s)
    set_language(request.language)
    try:
        answer = check(request)
    except MemoryError:
        answer = {"ok": False, "memory": True}
    answer["peak_rss_mb"] = round(peak_rss_mb(), 1)
    say(answer)


if __name__ == "__main__":
    main()
