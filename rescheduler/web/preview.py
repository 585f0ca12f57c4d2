"""The preview of an upload: the engine's own dry run, plus a few of the requests it would send.

``check`` runs ``engine.run`` with ``dry_run=True`` (exactly ``rescheduler validate``), which
writes ``validation.csv`` (every row's verdict) and ``validation.errors.csv`` (the rows to fix)
into the run folder, then reads that report back for the page: the invalid rows (line, column,
reason) and the duplicates. A sample of the requests is rebuilt for the first rows the dry run
would send, by the same validate and plan functions the engine uses. It is blocking code: the
server runs it in a bounded worker process (``checkjob.py``), so a large or hostile file stalls
neither the pages nor a running run.
"""

from __future__ import annotations

import csv
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rescheduler.config import Config, resolve_timezone
from rescheduler.models import Problem, Status, UpdateRequest

MAX_LISTED = 1000  # invalid rows shown on the page; the validation report has all of them
SAMPLE_SIZE = 5
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
VALIDATION_NAME = "validation.csv"
PREVIEW_NAME = "preview.json"


@dataclass(frozen=True)
class ListedRow:
    line: int
    problems: list[Problem]


@dataclass(frozen=True)
class SampleRequest:
    line: int
    url: str
    body: str  # the JSON body, indented for reading (the wire has it compact)
    when: str = ""  # appointTime in the configured zone, to check the zone reading


@dataclass(frozen=True)
class Preview:
    file_name: str
    encoding: str
    delimiter: str
    sheet: str
    timezone: str
    headers: list[str]
    rows: int
    blank_rows: int
    counts: dict[str, int]  # dry-run statuses: skipped = would be sent or a duplicate
    to_send: int
    invalid: list[ListedRow] = field(default_factory=list)
    duplicates: list[ListedRow] = field(default_factory=list)
    sample: list[SampleRequest] = field(default_factory=list)
    elapsed_s: float = 0.0

    @property
    def invalid_total(self) -> int:
        return self.counts.get(Status.INVALID.value, 0)

    @property
    def duplicates_total(self) -> int:
        """Rows not sent because an identical or superseding row is sent instead."""
        return self.counts.get(Status.SKIPPED.value, 0) - self.to_send

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Preview:
        data = json.loads(path.read_text(encoding="utf-8"))
        for key in ("invalid", "duplicates"):
            data[key] = [
                ListedRow(r["line"], [Problem(**p) for p in r["problems"]]) for r in data[key]
            ]
        data["sample"] = [SampleRequest(**s) for s in data["sample"]]
        return cls(**data)


def check(
    input_path: Path,
    run_dir: Path,
    config: Config,
    file_name: str,
    max_rows: int | None = None,
    max_listed: int | None = None,
) -> Preview:
    """Dry-run ``input_path``; raises the engine's ``ReschedulerError`` if it cannot be read
    (or has more than ``max_rows`` rows). At most ``max_listed`` invalid rows and duplicates
    are kept for the page (default ``MAX_LISTED``)."""
    listed = MAX_LISTED if max_listed is None else max_listed
    from rescheduler.engine import Job, run_sync
    from rescheduler.rows import DRY_RUN_NOTE

    started = time.monotonic()
    out = run_dir / VALIDATION_NAME
    job = Job(input_path=input_path, config=config, out_path=out, dry_run=True, max_rows=max_rows)
    result = run_sync(job)
    info = result.info
    headers = list(info.headers)
    invalid: list[ListedRow] = []
    duplicates: list[ListedRow] = []
    would_send: list[int] = []
    to_send = 0
    known = set(headers)
    with result.results_path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        base = len(headers)
        for record in reader:
            line, status, error = int(record[base]), record[base + 1], record[base + 8]
            if status == Status.INVALID and len(invalid) < listed:
                invalid.append(ListedRow(line, split_problems(error, known)))
            elif status == Status.SKIPPED and error == DRY_RUN_NOTE:
                to_send += 1
                if len(would_send) < SAMPLE_SIZE:
                    would_send.append(line)
            elif status == Status.SKIPPED and len(duplicates) < listed:
                duplicates.append(ListedRow(line, [Problem("", error)]))
    counts = {status.value: n for status, n in result.summary.counts.items()}
    return Preview(
        file_name=file_name,
        encoding=info.encoding or "",
        delimiter=DELIMITERS.get(info.delimiter or "", info.delimiter or ""),
        sheet=info.sheet or "",
        timezone=info.timezone,
        headers=headers,
        rows=info.rows,
        blank_rows=info.blank_rows,
        counts=counts,
        to_send=to_send,
        invalid=invalid,
        duplicates=duplicates,
        sample=_sample(input_path, config, set(would_send)),
        elapsed_s=time.monotonic() - started,
    )


def split_problems(error: str, headers: set[str]) -> list[Problem]:
    """``"appointTime: not a time; userAccount: empty"`` -> one Problem per column.

    The engine joins a row's problems with ``"; "``, each ``"column: reason"``. A part that does
    not start with a known header continues the previous reason (a reason may contain ``"; "``);
    a duplicate's reason (``"duplicate of line 5"``) has no column and is put under its first
    word.
    """
    from rescheduler.write.summary import PROBLEM_SEPARATOR

    problems: list[Problem] = []
    for part in error.split(PROBLEM_SEPARATOR):
        column, sep, reason = part.partition(": ")
        if sep and column in headers:
            problems.append(Problem(column, reason))
        elif problems:
            last = problems[-1]
            problems[-1] = Problem(last.column, f"{last.message}{PROBLEM_SEPARATOR}{part}")
        else:
            first = part.split(" ", 1)[0]
            problems.append(Problem(first if first in headers else "", part))
    return problems


def _sample(input_path: Path, config: Config, lines: set[int]) -> list[SampleRequest]:
    """The wire requests of ``lines``, built as the engine builds them."""
    from datetime import UTC, datetime

    from rescheduler.engine import open_input
    from rescheduler.rows import RowPlanner
    from rescheduler.send.plan import base_path

    if not lines:
        return []
    cfg = config
    zone, _ = resolve_timezone(cfg.input.timezone)
    out: list[SampleRequest] = []
    with open_input(cfg, input_path) as table:
        planner = RowPlanner.for_table(cfg, table, zone, now_ms=int(time.time() * 1000))
        for row in table.rows():
            if row.line not in lines:
                continue
            checked = planner.check(row)
            if isinstance(checked, UpdateRequest):
                wire = planner.wire(checked)
                when = ""
                if checked.appoint_time_ms is not None:
                    moment = datetime.fromtimestamp(checked.appoint_time_ms / 1000, UTC)
                    when = moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S %Z")
                body = json.dumps(json.loads(wire.body), indent=2, ensure_ascii=False)
                url = cfg.server.base_url + wire.path[len(base_path(cfg.server.base_url)) :]
                out.append(SampleRequest(row.line, f"POST {url}", body, when))
            if len(out) >= len(lines):
                break
    return out
