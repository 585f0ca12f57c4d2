"""The preview of an upload: the engine's own dry run, plus a few of the requests it would send.

``check`` runs ``engine.run`` with ``dry_run=True`` (exactly ``rescheduler validate``), which
writes ``validation.csv`` (every row's verdict) and ``validation.errors.csv`` (the rows to fix)
into the run folder, and watches each row as the engine writes it (``Progress.last``): the
invalid rows (line, column, reason), the duplicates and the rows to send, told apart by their
``error_code`` (never by their text, which is in the reader's language). The first rows the dry
run would send are rebuilt as the preview table by the same validate and plan functions the
engine uses. It is blocking code: the
server runs it in a bounded worker process (``checkjob.py``), so a large or hostile file stalls
neither the pages nor a running run.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rescheduler.config import Config, resolve_timezone
from rescheduler.i18n import N_
from rescheduler.models import (
    APPOINT_TIME,
    USER_ACCOUNT,
    WORK_NO,
    Problem,
    Status,
    UpdateRequest,
)

if TYPE_CHECKING:
    from rescheduler.job import Progress

MAX_LISTED = 1000  # invalid rows shown on the page; the validation report has all of them
SAMPLE_SIZE = 10
MAX_HEADERS = 200  # headers kept in preview.json (``columns`` counts them all)
MAX_SHOWN = 2_000  # characters of a sample request's body, remark or a name kept for the page
DELIMITERS = {",": N_("comma"), ";": N_("semicolon"), "\t": N_("tab"), "|": N_("pipe")}
VALIDATION_NAME = "validation.csv"
PREVIEW_NAME = "preview.json"
LISTED = "listed_"  # an export's columns of the values before its rules (changefile.LISTED)
HINTS = (USER_ACCOUNT, WORK_NO, APPOINT_TIME)


@dataclass(frozen=True)
class ListedRow:
    line: int
    problems: list[Problem]


@dataclass(frozen=True)
class SampleRequest:
    """One row that would be sent, as the page's preview table shows it.

    ``time`` is the new appointTime in the configured zone (``time_utc`` the same moment in
    UTC, shown on hover); ``url`` and ``body`` are the exact request ("show the request").
    ``current`` is "current -> new": what the server holds now (``agent``, ``time``,
    ``remark``, as reported) and the row's ``verdict``, filled in by the server after the check
    (``web.current``; empty when it could not be read). ``vdn`` and ``listed`` (the file's
    ``listed_`` cells: where an export says the reservation is now) say where to look.
    """

    line: int
    url: str
    body: str  # the JSON body, indented for reading (the wire has it compact)
    appoint_id: str = ""
    agent: str = ""
    time: str = ""
    time_utc: str = ""
    remark: str | None = None  # None: left unchanged (not in the request)
    current: dict[str, str] = field(default_factory=dict)
    vdn: int = 0
    listed: dict[str, str] = field(default_factory=dict)


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
    conflicts: int = 0  # rows refused: same appointId, other changes (on_conflict = reject)
    superseded: int = 0  # rows not sent: a later row of the same appointId wins (last)
    on_conflict: str = "reject"  # what the check used
    agent_field: str = "userAccount"
    language: str = "en"  # the language of the row messages above
    current_read: str = ""  # "current -> new" (web.current): "", ok, timeout or failed
    current_found: int = 0  # rows of the sample found on the server
    columns: int = 0  # all the headers; ``headers`` keeps the first MAX_HEADERS (0: older)

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
        data = _known(cls, json.loads(path.read_text(encoding="utf-8")))
        for key in ("invalid", "duplicates"):
            data[key] = [
                ListedRow(r["line"], [Problem(**p) for p in r["problems"]]) for r in data[key]
            ]
        data["sample"] = [SampleRequest(**_known(SampleRequest, s)) for s in data["sample"]]
        return cls(**data)


def _known(kind: type, data: dict[str, Any]) -> dict[str, Any]:
    """``data`` without the keys ``kind`` has no field for (a preview saved by another version)."""
    names = {f.name for f in fields(kind)}
    return {k: v for k, v in data.items() if k in names}


def check(
    input_path: Path,
    run_dir: Path,
    config: Config,
    file_name: str,
    max_rows: int | None = None,
    max_listed: int | None = None,
    progress: Progress | None = None,
    max_cells: int | None = None,
) -> Preview:
    """Dry-run ``input_path``; raises the engine's ``ReschedulerError`` if it cannot be read
    (or has more than ``max_rows`` rows). At most ``max_listed`` invalid rows and duplicates
    are kept for the page (default ``MAX_LISTED``). ``progress`` is the engine's, updated as
    the rows are read and checked (the worker reports it to the page)."""
    listed = MAX_LISTED if max_listed is None else max_listed
    from rescheduler.engine import run_sync
    from rescheduler.i18n import current_language
    from rescheduler.job import Job
    from rescheduler.read.dedupe import CONFLICT, SUPERSEDED
    from rescheduler.rows import DRY_RUN

    started = time.monotonic()
    out = run_dir / VALIDATION_NAME
    job = Job(
        input_path=input_path,
        config=config,
        out_path=out,
        dry_run=True,
        max_rows=max_rows,
        max_cells=max_cells,
    )
    invalid: list[tuple[int, str]] = []  # (line, error): split by column once headers are known
    duplicates: list[ListedRow] = []
    would_send: list[int] = []
    seen = {"to_send": 0, "conflicts": 0, "superseded": 0}

    def collect(p: Progress) -> None:
        row = p.last
        if row is None:
            return
        codes = row.error_code.split(";")
        if row.status == Status.INVALID:
            seen["conflicts"] += CONFLICT in codes
            if len(invalid) < listed:
                invalid.append((row.line, row.error))
        elif row.status == Status.SKIPPED and DRY_RUN in codes:
            seen["to_send"] += 1
            if len(would_send) < SAMPLE_SIZE:
                would_send.append(row.line)
        elif row.status == Status.SKIPPED:
            seen["superseded"] += SUPERSEDED in codes
            if len(duplicates) < listed:
                duplicates.append(ListedRow(row.line, [Problem("", row.error, row.error_code)]))

    result = run_sync(job, on_progress=collect, progress=progress)
    info = result.info
    headers = set(info.headers)
    counts = {status.value: n for status, n in result.summary.counts.items()}
    return Preview(
        file_name=file_name,
        encoding=info.encoding or "",
        delimiter=DELIMITERS.get(info.delimiter or "", info.delimiter or ""),
        sheet=_cut(info.sheet or ""),
        timezone=info.timezone,
        headers=[_cut(h) for h in info.headers[:MAX_HEADERS]],
        columns=len(info.headers),
        rows=info.rows,
        blank_rows=info.blank_rows,
        counts=counts,
        to_send=seen["to_send"],
        invalid=[ListedRow(line, split_problems(error, headers)) for line, error in invalid],
        duplicates=duplicates,
        sample=_sample(input_path, config, set(would_send)),
        elapsed_s=time.monotonic() - started,
        conflicts=seen["conflicts"],
        superseded=seen["superseded"],
        on_conflict=config.input.on_conflict,
        agent_field=config.server.agent_field,
        language=current_language(),
    )


def _cut(text: str, limit: int = MAX_SHOWN) -> str:
    """What the page keeps of a value from the file: at most ``limit`` characters."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


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
    agent_field = cfg.server.agent_field
    zone, _ = resolve_timezone(cfg.input.timezone)
    out: list[SampleRequest] = []
    with open_input(cfg, input_path) as table:
        planner = RowPlanner.for_table(cfg, table, zone, now_ms=int(time.time() * 1000))
        listed = {
            i: header[len(LISTED) :]
            for i, header in enumerate(table.headers)
            if header.startswith(LISTED) and header[len(LISTED) :] in HINTS
        }
        for row in table.rows():
            if row.line not in lines:
                continue
            checked = planner.check(row)
            if isinstance(checked, UpdateRequest):
                wire = planner.wire(checked)
                when = utc = ""
                if checked.appoint_time_ms is not None:
                    moment = datetime.fromtimestamp(checked.appoint_time_ms / 1000, UTC)
                    when = moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")
                    utc = moment.strftime("%Y-%m-%d %H:%M:%S UTC")
                body = json.dumps(json.loads(wire.body), indent=2, ensure_ascii=False)
                url = cfg.server.base_url + wire.path[len(base_path(cfg.server.base_url)) :]
                agent = checked.user_account if agent_field == USER_ACCOUNT else checked.work_no
                out.append(
                    SampleRequest(
                        row.line,
                        f"POST {url}",
                        _cut(body),
                        appoint_id=checked.appoint_id,
                        agent=_cut(agent or ""),
                        time=when,
                        time_utc=utc,
                        remark=None if checked.remark is None else _cut(checked.remark),
                        vdn=wire.vdn_id,
                        listed={
                            name: _cut(row.values[i].strip())
                            for i, name in listed.items()
                            if i < len(row.values) and row.values[i].strip()
                        },
                    )
                )
            if len(out) >= len(lines):
                break
    return out
