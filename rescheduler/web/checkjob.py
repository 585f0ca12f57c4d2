"""The check of one upload, in a worker process of its own with hard limits.

``python -m rescheduler.web.checkjob`` reads a pickled ``CheckRequest`` on stdin (from the web
server; the secret key is not in it), then, before it opens the file:

* limits itself: address space (``RLIMIT_AS``, ``web.check_memory_mb``), CPU seconds
  (``RLIMIT_CPU``, a backstop to the server's wall-clock limit), the size of any file it writes
  (``RLIMIT_FSIZE``), and a lower scheduling priority (nice 5), so a hostile workbook can cost
  at most that and the pages stay responsive;
* bounds the archive of a zipped workbook (.xlsx/.xlsm/.xlsb/.ods: ``zipbounds``) before any
  reader sees it;

then runs the preview (the engine's dry run, with ``web.max_rows`` counted while reading),
writes ``preview.json`` into the run folder and prints one JSON line on stdout:
``{"ok": true, "rows": N, "peak_rss_mb": M}`` or ``{"ok": false, "message": "..."}``. A worker
that dies (out of memory, killed) prints nothing; the server then says which limit it hit.
"""

from __future__ import annotations

import json
import os
import pickle
import resource
import sys
from dataclasses import dataclass
from pathlib import Path

from rescheduler.config import Config

MB = 1_000_000
FILE_SIZE_LIMIT = 1024 * MB  # any one file the check writes (the validation report)
NICENESS = 5  # the server (nice 0) gets about three times the CPU of a check when both want it


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


def limit_self(request: CheckRequest) -> None:
    memory = request.memory_mb * MB
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (request.cpu_s, request.cpu_s + 5))
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_SIZE_LIMIT, FILE_SIZE_LIMIT))
    os.nice(NICENESS)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / MB  # Linux: KiB


def check(request: CheckRequest) -> dict[str, object]:
    from rescheduler.errors import ReschedulerError
    from rescheduler.read.reader import ZIP_SHEET_SUFFIXES
    from rescheduler.web import preview
    from rescheduler.web.zipbounds import check_workbook

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
        )
        result.save(request.run_dir / preview.PREVIEW_NAME)
    except ReschedulerError as exc:
        return {"ok": False, "message": str(exc)}
    return {"ok": True, "rows": result.rows}


def main() -> None:
    request: CheckRequest = pickle.load(sys.stdin.buffer)
    limit_self(request)
    try:
        answer = check(request)
    except MemoryError:
        answer = {"ok": False, "memory": True}
    answer["peak_rss_mb"] = round(peak_rss_mb(), 1)
    sys.stdout.write(json.dumps(answer) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
