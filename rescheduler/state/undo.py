"""Pure: the rows of ``<stem>.undo.csv``, a valid input file that puts back what a run changed.

For each row the run changed (it succeeded, or got no answer and may have been applied) the
undo row carries the values the snapshot listed before the run, for every field the row changed;
the fields it did not change are left empty ("leave unchanged"), except the deployment's agent
column, which every input row needs (its earlier value, which sets nothing new).

Beside each value put back, ``listed_<field>`` holds the value the run set (what the server shows
now, as in an export's change file): the reviewer sees current -> earlier, and the snapshot
before running the undo file lists by those values.

A row that cannot be put back is still listed, with ``can_reschedule`` = ``no`` (so running the
undo file skips it) and the reason in ``note``: the reservation was not in the snapshot; no agent
was listed; or every field it changed is one the undo cannot write. A field cannot be written
back when the server's list does not report it (remarks, on some servers), when its earlier value
was empty (an empty cell means "leave unchanged"), when a sheet cell cannot hold it exactly
(surrounding spaces), or, for appointTime, when the earlier time is in the past or beyond
``input.max_days_ahead`` (``run`` refuses those). A row that can put back some of its fields but
not all is ``yes``, and ``note`` names the fields it leaves as they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from rescheduler.i18n import _
from rescheduler.models import APPOINT_ID, APPOINT_TIME, CAN_RESCHEDULE, VDN_ID
from rescheduler.state.changefile import LISTED, NO, NOTE, YES, sheet_cell
from rescheduler.state.compare import COMPARED, Body, agent_field, reported, show
from rescheduler.state.listing import Item

UNDOES_LINE = "undoes_line"
_DAY_MS = 86_400_000


@dataclass(frozen=True, slots=True)
class UndoLayout:
    deployment: str
    fields: tuple[str, ...]  # update fields with a column, in the API's order
    vdn: bool  # a vdnId column (the run touched more than the configured VDN)

    @property
    def headers(self) -> tuple[str, ...]:
        vdn = (VDN_ID,) if self.vdn else ()
        listed = tuple(LISTED + name for name in self.fields)
        return (APPOINT_ID, *self.fields, *vdn, CAN_RESCHEDULE, NOTE, UNDOES_LINE, *listed)


def undo_layout(sent: Sequence[str], deployment: str, *, vdn: bool) -> UndoLayout:
    """Columns for a run whose rows sent the fields ``sent`` (the agent column always)."""
    names = set(sent) | {agent_field(deployment)}
    return UndoLayout(deployment, tuple(n for n in COMPARED if n in names), vdn)


@dataclass(frozen=True, slots=True)
class Undo:
    """What the undo file knows beside each row: the zone and the time rules of ``run``."""

    zone: ZoneInfo
    now_ms: int
    max_days_ahead: int


@dataclass(frozen=True, slots=True)
class UndoRow:
    cells: list[str]
    restores: tuple[str, ...]  # fields put back
    held: bool  # can_reschedule = no: nothing (valid) to put back
    partial: bool = False  # puts back some fields, leaves others the run changed (see note)


def undo_row(
    line: int,
    appoint_id: str,
    vdn: int,
    body: Body,
    before: Item | None,
    layout: UndoLayout,
    undo: Undo,
    *,
    uncertain: bool = False,
    unknown_why: str = "",
) -> UndoRow | None:
    """The undo row for one changed row; None when it changed nothing the snapshot saw.

    ``before`` is the item listed before the run (None: not listed; ``unknown_why`` then says
    why, when it is not simply "not in the snapshot").
    """
    agent = agent_field(layout.deployment)
    values: dict[str, str] = {APPOINT_ID: appoint_id}
    notes: list[str] = []
    restores: list[str] = []
    held = False
    left = 0  # fields the run changed that this row cannot put back
    if before is None:
        notes.append(
            unknown_why
            or _("not in the snapshot taken before the run: its earlier values are unknown")
        )
        held = True
        earlier: dict[str, str | int] = {}
    else:
        earlier = reported(before, layout.deployment)
        for name in COMPARED:
            if name not in body or earlier.get(name) == body[name]:
                continue
            why = _why_not(name, earlier.get(name), undo)
            if why:
                notes.append(why)
                left += 1
                continue
            values[name] = _cell(name, earlier[name], undo.zone)
            restores.append(name)
        if not restores and not notes:
            return None  # every field it sent already had that value
        if agent not in values:
            old = earlier.get(agent)
            if old is None or not str(old) or sheet_cell(str(old)) is None:
                notes.append(
                    _("no usable {field} was listed before the run, and every row needs one: "
                      "fill it in and set can_reschedule to yes").format(field=agent)
                )  # fmt: skip
                held = True
            else:
                values[agent] = _cell(agent, old, undo.zone)
        if not restores:
            held = True
    if uncertain:
        notes.append(
            _("the server may or may not have applied this change (no answer): putting it back "
              "is safe either way")
        )  # fmt: skip
    values[NOTE] = "; ".join(notes)
    values[CAN_RESCHEDULE] = NO if held else YES
    if layout.vdn:
        values[VDN_ID] = str(vdn)
    values[UNDOES_LINE] = str(line)
    for name in restores:  # what the run set, which the server shows now (as export's listed_)
        values[LISTED + name] = show(name, body[name], undo.zone)
    cells = [values.get(h, "") for h in layout.headers]
    return UndoRow(cells, tuple(restores), held, partial=not held and left > 0)


def _cell(name: str, value: str | int, zone: ZoneInfo) -> str:
    text = show(name, value, zone)
    return sheet_cell(text) or text


def _why_not(name: str, old: str | int | None, undo: Undo) -> str:
    """Why field ``name`` cannot be put back to ``old`` ("" when it can)."""
    if old is None:
        return _("{field} not put back: the server's list does not report it").format(field=name)
    if name == APPOINT_TIME and isinstance(old, int):
        shown = show(name, old, undo.zone)
        if old < undo.now_ms:
            return _("appointTime not put back: the earlier time {time} is in the past").format(
                time=shown
            )
        if old > undo.now_ms + undo.max_days_ahead * _DAY_MS:
            return _(
                "appointTime not put back: the earlier time {time} is more than {days} days "
                "ahead (input.max_days_ahead)"
            ).format(time=shown, days=undo.max_days_ahead)
        return ""
    text = str(old)
    if not text:
        return _(
            "{field} not put back: it was empty, and an empty cell means leave unchanged; "
            "clear it by hand"
        ).format(field=name)
    if sheet_cell(text) is None:
        return _(
            "{field} not put back: its earlier value {value} has spaces at an edge that a sheet "
            "cell cannot keep"
        ).format(field=name, value=repr(text))
    return ""
