"""What each input row becomes, in the engine's two passes over the table (pure but for reading).

Pass one (``pass_one``) validates every row, counts them and feeds each valid row's identity
to the ``DuplicateScan``. Pass two (``pass_two``) validates again and turns every row into
exactly one ``Done`` (invalid, duplicate, dry run, already done in an earlier run, held) or one
``WorkItem`` (to send). ``RowPlanner`` holds the header mapping and validation rules both use;
the upload page's preview uses it too, so a preview never disagrees with a run.

A row whose ``can_reschedule`` cell says ``no`` (``export`` writes that for automatic and expired
reservations, and for rows its rules could not change) is *held*: ``skipped``, never sent, and
left out of the duplicate decisions. Empty or ``yes`` means nothing; any other text is invalid.
A row hidden in a workbook (``Row.hidden``) is invalid (``input.hidden_rows = "refuse"``, the
default: it still counts in the duplicate decisions, as any invalid row does), held
(``"skip"``) or sent like any other (``"send"``); its error code is ``hidden_row``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from zoneinfo import ZoneInfo

from rescheduler.config import Config
from rescheduler.errors import InputFileError
from rescheduler.i18n import N_, _
from rescheduler.models import (
    APPOINT_ID,
    CAN_RESCHEDULE,
    VDN_ID,
    Problem,
    Row,
    RowResult,
    Status,
    UpdateRequest,
    WireRequest,
    join_codes,
)
from rescheduler.read.columns import ColumnMap, resolve_columns
from rescheduler.read.dedupe import INVALID_ROW, Decision, DuplicateScan, KeyCounter
from rescheduler.read.reader import Table
from rescheduler.read.times import format_utc
from rescheduler.read.validate import (
    VDN_MAX,
    VDN_MIN,
    RowValidator,
    ValidationRules,
    appoint_id_problem,
    clean_cell,
    required_columns,
)
from rescheduler.send.plan import base_path, build, identity
from rescheduler.send.pool import Done, WorkItem
from rescheduler.write.journal import Journal
from rescheduler.write.summary import join_problems

DRY_RUN_NOTE = N_("dry run: valid, not sent")  # translated per row; the English is the msgid
DRY_RUN, ALREADY_SUCCEEDED = "dry_run", "already_succeeded"  # their error codes
HELD = f"{CAN_RESCHEDULE}.no"  # the error code of a row its can_reschedule cell holds back
HIDDEN_ROW = "hidden_row"  # the error code of a row hidden in the workbook (input.hidden_rows)
HOLD_YES = frozenset({"", "yes"})
HOLD_NO = "no"
READ_REPORT_EVERY = 1000


class RowPlanner:
    """Validates rows and builds their requests, the same way in both passes (and previews)."""

    def __init__(self, config: Config, columns: ColumnMap, rules: ValidationRules) -> None:
        self.columns = columns
        self.rules = rules
        self.default_vdn = config.server.vdn_id
        self.prefix = base_path(config.server.base_url)
        self._id = columns.index[APPOINT_ID]
        self._vdn = columns.get(VDN_ID)
        self._hold = columns.get(CAN_RESCHEDULE)
        self.hidden_rows = config.input.hidden_rows
        self._validate = RowValidator(columns, rules)

    @classmethod
    def for_table(cls, config: Config, table: Table, zone: ZoneInfo, now_ms: int) -> RowPlanner:
        """Match ``table``'s headers (``InputFileError`` if a required one is missing)."""
        columns = resolve_columns(
            table.headers,
            config.input.columns,
            str(table.path),
            required=required_columns(config.server.deployment),
            header_line=table.header_line,
        )
        rules = ValidationRules(
            deployment=config.server.deployment,
            timezone=zone,
            now_ms=now_ms,
            default_vdn_id=config.server.vdn_id,
            max_days_ahead=config.input.max_days_ahead,
        )
        return cls(config, columns, rules)

    def raw_key(self, row: Row) -> int:
        """A hash of the row's reservation key from its cells, without validating the row.

        Rows whose validated keys (``"{vdnId}:{appointId}"``) are equal have equal raw keys:
        the same cleaning applies and a numeric vdnId is read as the validator reads it.
        """
        values = row.values
        ident = clean_cell(values[self._id]) if self._id < len(values) else ""
        vdn: int | str = self.default_vdn
        if self._vdn is not None and self._vdn < len(values):
            text = clean_cell(values[self._vdn])
            if text:
                vdn = int(text) if text.isascii() and text.isdigit() else text
        return hash((vdn, ident))

    def invalid_key(self, row: Row) -> str | None:
        """The reservation key of an invalid row whose appointId is readable, else None.

        Its vdnId is the row's when valid, else the configured one (an unreadable vdnId most
        likely meant the same reservation: the row blocks the key rather than slips past it).
        """
        values = row.values
        if self._id >= len(values) or any(i == self._id for i, _why in row.unreadable):
            return None
        ident = clean_cell(values[self._id])
        if not ident or appoint_id_problem(ident, "") is not None:
            return None
        vdn = self.default_vdn
        if self._vdn is not None and self._vdn < len(values):
            text = clean_cell(values[self._vdn])
            if text.isascii() and text.isdigit() and VDN_MIN <= int(text) <= VDN_MAX:
                vdn = int(text)
        return f"{vdn}:{ident}"

    def check(self, row: Row) -> UpdateRequest | list[Problem]:
        checked = self._validate(row)
        if row.hidden and self.hidden_rows == "refuse":
            hidden = Problem(
                _("hidden row"),
                _(
                    "the row is hidden in the sheet (filtered out, or hidden by hand), so it "
                    "is not what the sheet shows: unhide it and check it, or delete it "
                    '(input.hidden_rows = "skip" leaves hidden rows out)'
                ),
                HIDDEN_ROW,
            )
            checked = [hidden] if isinstance(checked, UpdateRequest) else [hidden, *checked]
        if self._hold is None:
            return checked
        text = self._hold_text(row)
        if text in HOLD_YES or text == HOLD_NO:
            return checked
        header = self.columns.header(CAN_RESCHEDULE)
        problem = Problem(
            header,
            _("write yes or no (or leave it empty), not {value}").format(value=repr(text[:40])),
            f"{CAN_RESCHEDULE}.invalid",
        )
        return [problem] if isinstance(checked, UpdateRequest) else [*checked, problem]

    def _hold_text(self, row: Row) -> str:
        assert self._hold is not None
        values = row.values
        return clean_cell(values[self._hold]).casefold() if self._hold < len(values) else ""

    def held(self, row: Row) -> tuple[str, str] | None:
        """Why ``row`` is not to be sent and the code (its ``can_reschedule`` cell is ``no``,
        or it is hidden and ``input.hidden_rows`` is ``skip``), else None."""
        if row.hidden and self.hidden_rows == "skip":
            return _('not sent: the row is hidden in the sheet (input.hidden_rows = "skip")'), (
                HIDDEN_ROW
            )
        if self._hold is None or self._hold_text(row) != HOLD_NO:
            return None
        return _("not sent: {column} is no (see the note column of the export)").format(
            column=self.columns.header(CAN_RESCHEDULE)
        ), HELD

    def wire(self, request: UpdateRequest) -> WireRequest:
        return build(request, default_vdn_id=self.default_vdn, prefix=self.prefix)

    def identity(self, request: UpdateRequest) -> tuple[str, str]:
        """``(_key(wire), wire.payload_hash)`` without building the wire request."""
        return identity(request, default_vdn_id=self.default_vdn)


def _key(wire: WireRequest) -> str:
    return f"{wire.vdn_id}:{wire.appoint_id}"


def pass_one(
    table: Table,
    plan: RowPlanner,
    scan: DuplicateScan,
    on_conflict: str,
    max_rows: int | None = None,
    on_rows: Callable[[int], None] | None = None,
    max_cells: int | None = None,
) -> tuple[int, int]:
    """Pass 1: count rows and decide duplicates (kept on disk); ``(rows, lines decided)``.

    ``max_rows`` (the upload page's ``web.max_rows``; None for ``rescheduler run``): an
    ``InputFileError`` as soon as one row more has been read, before anything else is done.
    ``max_cells`` (``web.max_cells``) the same for the cells read, each row counting as wide
    as the header or as itself, whichever is wider (what the report files will hold).

    Cheap first: count every row's raw reservation key without validating anything. Only if
    some key repeats is the file read again, validating just the rows of repeated keys, so
    their decisions compare the exact requests (``"10:00"`` and ``"10:00:00"`` are the same
    change). A file without duplicates, the usual case, is validated once, in pass two.
    """
    counter = KeyCounter()
    try:
        rows = cells = 0
        width = len(table.headers)
        for row in table.rows():
            rows += 1
            if max_rows is not None and rows > max_rows:
                raise too_many_rows(str(table.path), max_rows, row.line)
            if max_cells is not None:
                cells += max(width, len(row.values))
                if cells > max_cells:
                    raise too_many_cells(str(table.path), max_cells, row.line, width)
            counter.add(plan.raw_key(row))
            if on_rows is not None and not rows % READ_REPORT_EVERY:
                on_rows(rows)
        if counter.finish():
            for row in table.rows():
                if counter.repeated(plan.raw_key(row)) and plan.held(row) is None:
                    checked = plan.check(row)
                    if isinstance(checked, UpdateRequest):
                        scan.add(row.line, *plan.identity(checked))
                    elif (key := plan.invalid_key(row)) is not None:
                        scan.add(row.line, key, INVALID_ROW)  # it still contradicts others
    finally:
        counter.close()
    return rows, scan.decide(on_conflict)


def too_many_rows(path: str, max_rows: int, line: int) -> InputFileError:
    return InputFileError(
        path,
        _(
            "the file has more than {limit} rows; the upload page checks at most {limit} "
            "(web.max_rows): split it into smaller files, or send it with `rescheduler run`"
        ).format(limit=f"{max_rows:,}"),
        line=line,
    )


def too_many_cells(path: str, max_cells: int, line: int, columns: int) -> InputFileError:
    return InputFileError(
        path,
        _(
            "the file has more than {limit} cells (rows x columns; its header has {columns} "
            "columns); the upload page checks at most {limit} (web.max_cells): delete the "
            "columns and rows you do not need, or split it into smaller files"
        ).format(limit=f"{max_cells:,}", columns=f"{columns:,}"),
        line=line,
    )


class Decided:
    """Pass 1's decisions, streamed from disk in line order; ``get`` takes increasing lines."""

    def __init__(self, decided: Iterator[tuple[int, Decision]]) -> None:
        self._decided = decided
        self._next = next(decided, None)

    def get(self, line: int) -> Decision | None:
        while self._next is not None and self._next[0] < line:
            self._next = next(self._decided, None)
        if self._next is not None and self._next[0] == line:
            return self._next[1]
        return None


def pass_two(
    table: Table,
    plan: RowPlanner,
    decisions: Decided,
    journal: Journal | None,
    dry_run: bool,
) -> Iterator[WorkItem | Done]:
    """Pass 2: every row becomes exactly one Done or WorkItem."""
    dry_run_note = ""
    for row in table.rows():
        if (held := plan.held(row)) is not None:
            why, code = held
            yield Done(RowResult(row.line, Status.SKIPPED, row.values, error=why, error_code=code))
            continue
        checked = plan.check(row)
        if not isinstance(checked, UpdateRequest):
            yield Done(
                RowResult(
                    row.line,
                    Status.INVALID,
                    row.values,
                    error=join_problems(checked),
                    error_code=join_codes(p.code for p in checked),
                )
            )
            continue
        sent = "" if checked.appoint_time_ms is None else format_utc(checked.appoint_time_ms)
        decided = decisions.get(row.line)
        if decided is not None:
            status, code, why = decided
            if status is Status.INVALID:  # a conflict: a problem of the appointId column
                why = str(Problem(plan.columns.header(APPOINT_ID), why, code))
            yield Done(
                RowResult(
                    row.line, status, row.values, error=why, sent_time_utc=sent, error_code=code
                )
            )
            continue
        if dry_run:  # nothing is sent: no request to build (``plan.wire`` cannot refuse one)
            dry_run_note = dry_run_note or _(DRY_RUN_NOTE)
            yield Done(
                RowResult(
                    row.line,
                    Status.SKIPPED,
                    row.values,
                    error=dry_run_note,
                    sent_time_utc=sent,
                    error_code=DRY_RUN,
                )
            )
            continue
        wire = plan.wire(checked)
        key = _key(wire)
        earlier = journal.earlier_success(key, wire.payload_hash) if journal else None
        if earlier is not None:
            note = _("succeeded in an earlier run at {time}").format(time=earlier)
            yield Done(
                RowResult(
                    row.line,
                    Status.SKIPPED,
                    row.values,
                    error=note,
                    sent_time_utc=sent,
                    error_code=ALREADY_SUCCEEDED,
                )
            )
            continue
        yield WorkItem(wire, row.values, key, sent)
