"""Where the run record goes (``record_path_for``) and how it and the metrics file are
written (``save_record``, ``write_metrics``): atomically, only where this command may write;
a failure is logged, never raised (the run's own outcome stands). ``finish.RunReporter``
decides what they hold.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from rescheduler.errors import OutputError

log = logging.getLogger("rescheduler")


def record_path_for(
    input_path: Path, out_path: Path | None, *, dry_run: bool = False, kind: str = ""
) -> Path:
    """``<stem>.run.json`` beside the results file (``changes.results.csv`` -> ``changes``); a
    dry run's beside its own report (``changes.validation.run.json``): a check never replaces
    a real run's record, as it never replaces its results."""
    kind = kind or ("validation" if dry_run else "results")
    results = out_path or input_path.with_name(f"{input_path.stem}.{kind}.csv")
    stem = results.stem
    if stem.lower().endswith(".results"):
        stem = stem[: -len(".results")]
    return results.with_name(f"{stem}.run.json")


def save_record(
    record_path: Path, record: dict[str, Any], record_guard: Callable[[], str | None] | None
) -> None:
    """Write ``record`` atomically to ``record_path``, unless ``record_guard`` says why not;
    a record not written is logged and dropped from its own ``files``."""
    import json

    from rescheduler.write.atomic import write_atomic

    why = record_guard() if record_guard is not None else None
    if why is not None:
        log.warning("run record not written: %s", why, extra={"event": "record.skipped"})
        record["files"] = [f for f in record["files"] if f["kind"] != "run_record"]
        return
    try:
        write_atomic(record_path, json.dumps(record, ensure_ascii=False, indent=2) + "\n")
    except OutputError as exc:
        log.error("run record not written: %s", exc, extra={"event": "record.failed"})
        record["files"] = [f for f in record["files"] if f["kind"] != "run_record"]


def write_metrics(
    metrics_path: Path | None, input_path: Path | None, record: Mapping[str, Any]
) -> bool:
    """The Prometheus textfile from ``record`` (nothing without ``--metrics-file``); False if
    it could not be written (logged)."""
    if metrics_path is None:
        return True
    from rescheduler.write.atomic import write_atomic
    from rescheduler.write.metrics import render
    from rescheduler.write.targets import Target, check_outputs

    try:  # the checks of every output: never the input, never a file that is not metrics
        check_outputs(input_path, [Target("metrics", metrics_path, "--metrics-file")])
        write_atomic(metrics_path, render(record))
    except OutputError as exc:
        log.error("metrics file not written: %s", exc, extra={"event": "metrics.failed"})
        return False
    return True
