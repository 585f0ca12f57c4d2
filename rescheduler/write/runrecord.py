"""The run record: what one run did, as JSON a machine can read (pure; no I/O).

``<stem>.run.json`` beside the results file. Its shape is the versioned JSON Schema
``rescheduler/schemas/run-record.v1.json``: a new optional field keeps version 1; removing or
changing the meaning of a field makes version 2 (a new schema file, a new ``schema`` value).

:func:`build` turns :class:`RunFacts` (gathered by ``rescheduler.finish``) into the record;
:func:`config_view` gives the effective config with every secret removed. The record never
holds the secret key, a signature, a webhook's key or its signing secret; the access key is
kept unless the caller asks (the upload page does: its records must not reach a browser).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rescheduler.i18n import _
from rescheduler.secret import Secret

SCHEMA_ID = "rescheduler/run-record/v1"
STATUSES = ("succeeded", "failed", "invalid", "skipped", "not_sent")
EXIT_NAMES = {0: "ok", 1: "rows_failed", 2: "not_started", 3: "aborted", 4: "input_missing"}
EXPORT_EXIT_NAMES = {**EXIT_NAMES, 1: "incomplete"}
HIDDEN = "***"


def exit_meaning(code: int, *, dry_run: bool = False, command: str = "run") -> str:
    """What exit ``code`` means, in a sentence (design.md section 6)."""
    if command == "export":
        export_meanings = {
            0: _("every reservation listed was written to the output file"),
            1: _("the listing is incomplete, or some items had no usable appointId"),
            2: _("usage, config or listing problem; no output file was written"),
            3: _("the export was stopped; nothing was written under the output name"),
        }
        return export_meanings.get(code, _("unexpected error"))
    if dry_run and code in (0, 1):
        return _("every row is valid") if code == 0 else _("at least one row is invalid")
    meanings = {
        0: _("every row succeeded or was skipped"),
        1: _("at least one row failed or is invalid"),
        2: _("usage, config or input-file problem; nothing was sent"),
        3: _("the run was aborted; rows not attempted are not_sent"),
        4: _("the input file is missing or empty; nothing was sent"),
    }
    return meanings.get(code, _("unexpected error"))


@dataclass(frozen=True)
class InputFacts:
    """The input file; ``size``/``sha256`` are None when it was absent."""

    path: Path
    size: int | None = None
    sha256: str | None = None
    changed_during_run: bool = False
    rows: int | None = None
    blank_rows: int | None = None
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    timezone: str | None = None


@dataclass(frozen=True)
class RunFacts:
    command: str  # "run", "validate", "plan", "export"
    dry_run: bool
    started: datetime
    ended: datetime
    exit_code: int
    input: InputFacts | None = None
    config: Mapping[str, Any] | None = None  # config_view(...), secrets already removed
    counts: Mapping[str, int] | None = None  # None: the rows were never counted
    failure_codes: Mapping[str, int] = field(default_factory=dict)
    invalid_columns: Mapping[str, int] = field(default_factory=dict)
    requests: int | None = None
    retries: int | None = None
    aborted: tuple[str, str] | None = None  # (kind, message): stopped after sending began
    error: tuple[str, str] | None = None  # (kind, message): stopped before anything was sent
    files: Sequence[tuple[str, Path]] = ()
    host: str = ""
    version: str = ""
    notification: Mapping[str, Any] | None = None
    export: Mapping[str, Any] | None = None  # what an export listed and wrote
    snapshot: Mapping[str, Any] | None = None  # what the listing before a run cost and found


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _problem(pair: tuple[str, str] | None) -> dict[str, str] | None:
    return None if pair is None else {"kind": pair[0], "message": pair[1]}


def _ranked(counter: Mapping[str, int]) -> dict[str, int]:
    return dict(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))


def build(facts: RunFacts) -> dict[str, Any]:
    """The run record as a JSON-ready dict, keys in a stable, readable order."""
    counts = None
    if facts.counts is not None:
        counts = {"total": sum(facts.counts.get(s, 0) for s in STATUSES)}
        counts.update({s: facts.counts.get(s, 0) for s in STATUSES})
    source = facts.input
    names = EXPORT_EXIT_NAMES if facts.command == "export" else EXIT_NAMES
    record = {
        "schema": SCHEMA_ID,
        "tool": {"name": "rescheduler", "version": facts.version},
        "command": facts.command,
        "dry_run": facts.dry_run,
        "host": facts.host,
        "started": _utc(facts.started),
        "ended": _utc(facts.ended),
        "duration_s": round(max(0.0, (facts.ended - facts.started).total_seconds()), 3),
        "input": None if source is None else {
            "path": str(source.path),
            "exists": source.size is not None,
            "size": source.size,
            "sha256": source.sha256,
            "changed_during_run": source.changed_during_run,
            "rows": source.rows,
            "blank_rows": source.blank_rows,
            "encoding": source.encoding,
            "delimiter": source.delimiter,
            "sheet": source.sheet,
            "timezone": source.timezone,
        },
        "config": None if facts.config is None else dict(facts.config),
        "rows": counts,
        "failures": {
            "by_code": _ranked(facts.failure_codes),
            "invalid_by_column": _ranked(facts.invalid_columns),
        },
        "requests": {"sent": facts.requests, "retries": facts.retries},
        "exit": {
            "code": facts.exit_code,
            "name": names.get(facts.exit_code, "error"),
            "ok": facts.exit_code == 0,
            "meaning": exit_meaning(facts.exit_code, dry_run=facts.dry_run, command=facts.command),
        },
        "aborted": _problem(facts.aborted),
        "error": _problem(facts.error),
        "files": [{"kind": kind, "path": str(path)} for kind, path in facts.files],
        "notification": None if facts.notification is None else dict(facts.notification),
    }  # fmt: skip
    if facts.export is not None:
        record["export"] = dict(facts.export)
    if facts.snapshot is not None:
        record["snapshot"] = dict(facts.snapshot)
    return record


def config_view(config: object, *, hide_access_key: bool = False) -> dict[str, Any]:
    """The effective config as plain data: every ``Secret`` shown as ``"***"`` (None if unset).

    ``hide_access_key`` also hides ``auth.access_key`` (the upload page's records).
    """
    view = _plain(config)
    assert isinstance(view, dict)
    auth = view.get("auth")
    if hide_access_key and isinstance(auth, dict) and auth.get("access_key"):
        auth["access_key"] = HIDDEN
    return view


def _plain(value: object) -> Any:
    if isinstance(value, Secret):
        return HIDDEN
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
