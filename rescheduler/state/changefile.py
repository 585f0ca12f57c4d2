"""Pure: listed reservations -> the rows of a change file that ``run`` reads as input (no I/O).

Columns, in order (``layout``):

1. ``appointId``; the deployment's agent column (``userAccount``, or ``workNo`` on an
   op-independent server); the other agent column only when ``--set`` fills it;
   ``appointTime`` in the configured zone (``wall.format_wall``); ``remark`` when the server sent
   remarks (or ``--set remark``). These are what ``run`` sends: the listed values in a plain
   export (no rules: the file to edit by hand). With rules the remark cell holds ``--set
   remark``'s text or stays empty (= unchanged; a reviewer may type one): the listed remark is
   never sent again (the server may refuse its own stored remark, or it may change between
   the export and the run).
2. ``can_reschedule`` (``yes``/``no``; ``run`` skips ``no`` rows) and ``note`` (why not, and
   anything else a reviewer must know).
3. Read-only context: ``listed_<field>`` for each value a rule changed (current -> new side by
   side), and ``listed_remark`` whenever rules are given (the remark the sent column leaves out),
   then every other field the server sent, in the order first seen, under its own name
   (``calledNo``, ``taskName``, ``callType``, ``timeout``, ``userName`` ...); a name that ``run``
   would read as an input column (``workNo`` on a standard server, ``vdnId``) gets ``listed_``.
   Timestamps (``beginTime``, ``endTime``) are written in the zone too.

A row is ``no`` (never changed by the rules) when the server reports it automatic (``callType``
2) or expired (``timeout`` true); when it does not match a filter that was asked for (which
fields the server filters on is not documented, so the export checks: a rule never touches a
reservation that was not asked for); when a time rule cannot be applied (no appointTime, a
daylight-saving gap or fold); when it has no agent to send; or when its appointTime is in the
past or beyond ``input.max_days_ahead`` (``run`` would refuse it). A row marked for what
the server reports (automatic, expired, not asked for) shows the listed values (with rules,
the remark stays empty); a row held after the rules were applied (past, horizon, no agent)
shows the changed values, so fixing it by hand keeps the intended change. A value a sheet
cell cannot hold exactly (surrounding spaces) is not written to a sent column: a remark is
left empty (unchanged) with a note.
Absent fields stay absent: an empty cell, never a made-up value.

In an op-independent deployment the ``workNo`` column is the item's ``workNo`` when the server
sends one, else its ``userAccount``, which the reference documents as "business account or
agent ID" (and which the ``userAccountList`` filter matches) [OPEN].
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from rescheduler.i18n import N_, _
from rescheduler.models import (
    APPOINT_ID,
    APPOINT_TIME,
    CAN_RESCHEDULE,
    COLUMNS,
    REMARK,
    USER_ACCOUNT,
    WORK_NO,
)
from rescheduler.read.columns import normalise_header
from rescheduler.read.reader import MAX_CELL_CHARS
from rescheduler.read.times import AppointTimeError
from rescheduler.read.validate import clean_cell
from rescheduler.state.listing import (
    AUTOMATIC,
    Item,
    ListFilter,
    call_type,
    expired,
    field_text,
    text,
    timestamp,
)
from rescheduler.state.rules import Rules
from rescheduler.state.wall import format_wall

NOTE = "note"
LISTED = "listed_"
YES, NO = "yes", "no"
TIMESTAMPS = frozenset({APPOINT_TIME, "beginTime", "endTime"})
# Why a row is "no", as counted in the summary.
# The keys stay English (counted, recorded); the summary shows them through _().
AUTOMATIC_MARK, EXPIRED_MARK, FILTER_MARK = N_("automatic"), N_("expired"), N_("not asked for")
RULE_MARK, AGENT_MARK, PAST_MARK = N_("rule not applied"), N_("no agent"), N_("in the past")
HORIZON_MARK = N_("beyond the horizon")
_DAY_MS = 86_400_000


@dataclass(frozen=True, slots=True)
class Setup:
    """What every row's decision depends on besides the item itself."""

    deployment: str
    zone: ZoneInfo
    now_ms: int
    query: ListFilter
    rules: Rules
    max_days_ahead: int = 366  # input.max_days_ahead: run refuses an appointTime beyond it

    @property
    def agent(self) -> str:
        return WORK_NO if self.deployment == "op-independent" else USER_ACCOUNT

    @property
    def other_agent(self) -> str:
        return USER_ACCOUNT if self.agent == WORK_NO else WORK_NO


@dataclass(frozen=True, slots=True)
class Layout:
    """The header row, and the read-only columns' item keys."""

    columns: tuple[str, ...]  # the input columns, can_reschedule and note
    agent_key: str  # the item field the agent column comes from
    context: tuple[tuple[str, str], ...]  # (header, item key) of the read-only columns

    @property
    def headers(self) -> tuple[str, ...]:
        """The whole header row."""
        return self.columns + tuple(header for header, _key in self.context)


@dataclass(frozen=True, slots=True)
class ChangeRow:
    cells: list[str]
    marks: tuple[str, ...]  # why the row is "no" (empty: "yes")


def sheet_cell(value: str) -> str | None:
    """``value`` as a cell the reader reads back exactly, or None when no cell can hold it.

    The reader strips surrounding spaces and one leading apostrophe (Excel's text marker), so a
    value starting with an apostrophe gets a second one; surrounding spaces cannot be kept, nor
    more than ``MAX_CELL_CHARS`` characters (the reader refuses the whole file for such a cell).
    """
    if clean_cell(value) == value:
        return value if len(value) <= MAX_CELL_CHARS else None
    escaped = "'" + value
    fits = clean_cell(escaped) == value and len(escaped) <= MAX_CELL_CHARS
    return escaped if fits else None


def layout(seen: Sequence[str], setup: Setup) -> Layout:
    """The columns for items whose fields, over the whole listing, were ``seen`` (in order)."""
    rules = setup.rules
    agent, other = setup.agent, setup.other_agent
    agent_key = agent
    if agent == WORK_NO and WORK_NO not in seen:
        agent_key = USER_ACCOUNT
    columns = [APPOINT_ID, agent]
    if rules.value(other) is not None:
        columns.append(other)
    columns.append(APPOINT_TIME)
    if REMARK in seen or rules.value(REMARK) is not None:
        columns.append(REMARK)
    columns += [CAN_RESCHEDULE, NOTE]
    context: list[tuple[str, str]] = []
    changed = {
        agent_key: rules.value(agent) is not None,
        APPOINT_TIME: rules.changes_time,
        REMARK: rules.given,  # with rules the remark column never holds the listed remark
    }
    for key, is_changed in changed.items():
        if is_changed and key in seen:
            context.append((LISTED + key, key))
    consumed = {APPOINT_ID, agent_key, APPOINT_TIME, REMARK}
    taken = {normalise_header(name) for name in (*COLUMNS, *columns)}
    taken |= {normalise_header(header) for header, _key in context}
    for key in seen:
        if key in consumed:
            continue
        header = key
        while normalise_header(header) in taken:
            header = LISTED + header
        taken.add(normalise_header(header))
        context.append((header, key))
    return Layout(tuple(columns), agent_key, tuple(context))


def _filter_marks(item: Item, query: ListFilter) -> list[str]:
    """Why ``item`` does not match the filters asked for (the server's filtering is [OPEN])."""
    out: list[str] = []
    if query.agents:
        account = field_text(item, USER_ACCOUNT)
        if account not in query.agents:
            out.append(
                _("userAccount {value} is not one of --agent: not changed").format(
                    value=repr(account) if account is not None else _("(not listed)")
                )
            )
    if query.begin_ms is not None or query.end_ms is not None:
        when = timestamp(item, APPOINT_TIME)
        if when is None:
            out.append(_("no appointTime listed: cannot check --from/--to; not changed"))
        elif (query.begin_ms is not None and when < query.begin_ms) or (
            query.end_ms is not None and when > query.end_ms
        ):
            out.append(_("appointTime is outside --from/--to: not changed"))
    for flag, key, wanted in (
        ("--task", "taskId", query.task_id),
        ("--called-no", "calledNo", query.called_no),
    ):
        if wanted is not None and field_text(item, key) != wanted:
            out.append(
                _("{field} is not {flag} {value}: not changed").format(
                    field=key, flag=flag, value=wanted
                )
            )
    return out


def change_row(item: Item, ident: str, shape: Layout, setup: Setup) -> ChangeRow:
    """One listed reservation -> its change-file row (cells in ``shape.headers`` order)."""
    rules, zone = setup.rules, setup.zone
    marks: list[tuple[str, str]] = []
    notes: list[str] = []
    if call_type(item) == AUTOMATIC:
        marks.append(
            (AUTOMATIC_MARK, _("automatic reservation (callType 2): cannot be rescheduled"))
        )
    if expired(item):
        marks.append((EXPIRED_MARK, _("expired (timeout is true): cannot be rescheduled")))
    marks += [(FILTER_MARK, why) for why in _filter_marks(item, setup.query)]

    agent = field_text(item, shape.agent_key)
    other: str | None = None
    when = timestamp(item, APPOINT_TIME)
    # With rules, only --set remark is sent (below); the listed remark is in listed_remark.
    remark = None if rules.given else field_text(item, REMARK)
    if when is None and item.get(APPOINT_TIME) is not None:
        notes.append(
            _("the listed appointTime {value} is not epoch milliseconds: left empty").format(
                value=repr(text(item.get(APPOINT_TIME))[:40])
            )
        )
    if not marks:
        agent = rules.value(setup.agent) or agent
        other = rules.value(setup.other_agent)
        remark = rules.value(REMARK) or remark
        if rules.changes_time:
            if when is None:
                why = _("not changed: no usable appointTime listed for {rule}")
                marks.append((RULE_MARK, why.format(rule=rules.time_rule)))
            else:
                try:
                    when = rules.new_time(when, zone)
                except AppointTimeError as exc:
                    why = _(
                        "not changed: {rule}: {error}; write appointTime by hand and set "
                        "can_reschedule to yes"
                    )
                    marks.append((RULE_MARK, why.format(rule=rules.time_rule, error=exc)))
    if not marks:
        if not agent:
            why = _("no {field} listed: fill it in and set can_reschedule to yes")
            marks.append((AGENT_MARK, why.format(field=setup.agent)))
        elif sheet_cell(agent) is None:
            why = _("{field} {value} has surrounding spaces a sheet cell cannot keep")
            marks.append((AGENT_MARK, why.format(field=setup.agent, value=repr(agent))))
        if when is not None and when < setup.now_ms:
            why = _("appointTime {time} is in the past")
            marks.append((PAST_MARK, why.format(time=format_wall(when, zone))))
        elif when is not None and when > setup.now_ms + setup.max_days_ahead * _DAY_MS:
            why = _(
                "appointTime {time} is more than {days} days ahead, which run refuses as a "
                "misreading; if it is right, raise input.max_days_ahead"
            )
            time_text = format_wall(when, zone)
            marks.append((HORIZON_MARK, why.format(time=time_text, days=setup.max_days_ahead)))
    values = {
        APPOINT_ID: ident,
        setup.agent: _cell(agent),
        setup.other_agent: _cell(other),
        APPOINT_TIME: format_wall(when, zone) if when is not None else "",
        CAN_RESCHEDULE: NO if marks else YES,
    }
    if REMARK in shape.columns and remark is not None:
        values[REMARK] = sheet_cell(remark) or ""
        if remark and not values[REMARK] and len(remark) >= MAX_CELL_CHARS:
            notes.append(_too_long(REMARK))
        elif remark and not values[REMARK]:
            notes.append(
                _("remark not exported (surrounding spaces a sheet cell cannot keep): unchanged")
            )
    context = []
    for header, key in shape.context:
        value = item.get(key)
        stamp = timestamp(item, key) if key in TIMESTAMPS else None
        cell = format_wall(stamp, zone) if stamp is not None else text(value)
        if len(cell) > MAX_CELL_CHARS:  # the reader would refuse the whole file
            cell = ""
            notes.append(_too_long(header))
        context.append(cell)
    values[NOTE] = "; ".join([why for _mark, why in marks] + notes)
    cells = [values.get(name, "") for name in shape.columns] + context
    return ChangeRow(cells, tuple(mark for mark, _why in marks))


def _too_long(column: str) -> str:
    return _(
        "{column} not exported: longer than {limit} characters, more than a sheet cell holds "
        "(run would refuse the file); it is unchanged on the server"
    ).format(column=column, limit=f"{MAX_CELL_CHARS:,}")


def _cell(value: str | None) -> str:
    if value is None:
        return ""
    cell = sheet_cell(value)
    return value if cell is None else cell
