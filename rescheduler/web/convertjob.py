"""A validation file converted to Excel, in a worker process of its own (``excel.converted``).

The validation files are written by the check from the upload, so they are as hostile as the
upload (100 MB, rows two million cells wide): the server process does not read them either.
``python -m rescheduler.web.convertjob`` reads a pickled ``ConvertRequest`` on stdin, bounds
itself (``workers.limit_self``) and prints ``{"ok": true}`` once the workbook is in place, or
``{"ok": false}`` (too large, or wider than Excel's 16,384 columns: the page then hands out
the CSV).
"""

from __future__ import annotations

import json
import pickle
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ConvertRequest:
    csv_path: Path
    input_columns: int
    sheet: str
    memory_mb: int
    file_bytes: int
    cpu_s: int


def main() -> None:
    from rescheduler.errors import OutputError
    from rescheduler.web.excel import converted
    from rescheduler.web.workers import limit_self

    request: ConvertRequest = pickle.load(sys.stdin.buffer)
    limit_self(request.memory_mb, request.file_bytes, request.cpu_s)
    try:
        converted(request.csv_path, request.input_columns, request.sheet)
    except (MemoryError, OSError, OutputError):  # OutputError: past Excel's 16,384 columns
        answer = {"ok": False}
    else:
        answer = {"ok": True}
    sys.stdout.write(json.dumps(answer) + "\n")


if __name__ == "__main__":
    main()
