"""A run's downloadable files: which exist, under which names, and how they are named."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from rescheduler.web.runs import Runs
from rescheduler.web.store import RunRecord, RunState

CONTENT_TYPES = {
    ".csv": "text/csv; charset=utf-8",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def file_table(runs: Runs, record: RunRecord) -> dict[str, tuple[Path, str]]:
    """kind -> (path on disk, download name)."""
    folder = runs.store.run_dir(record.id)
    stem = record.stem
    table = {
        "input": (runs.input_path(record), record.file_name),
        "validation": (folder / "validation.csv", f"{stem}.validation.csv"),
        "validation-errors": (folder / "validation.errors.csv", f"{stem}.to-fix.csv"),
    }
    if record.results_format:
        fmt = record.results_format
        table["results"] = (folder / f"results.{fmt}", f"{stem}.results.{fmt}")
        table["errors"] = (folder / f"results.errors.{fmt}", f"{stem}.errors.{fmt}")
    return table


def files_of(runs: Runs, record: RunRecord) -> dict[str, str]:
    """kind -> URL, for the files that can be downloaded now."""
    if record.state == RunState.CHECKING:
        return {}
    busy = record.state in (RunState.RUNNING, RunState.STOPPING)
    return {
        kind: f"/runs/{record.id}/files/{kind}"
        for kind, (path, _name) in file_table(runs, record).items()
        if path.is_file() and not (busy and kind in ("results", "errors"))
    }


def content_disposition(name: str) -> str:
    """``attachment`` with an ASCII fallback name and the real one (RFC 6266 / 5987)."""
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in name
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
