"""Pure: one row's request against what the server lists for its reservation (no I/O).

The snapshot before a run (``state.snapshot``) lists the reservations the file is about to
change; for each row this module says

* what the server reports now (``reported``: by update field, absent when the item does not
  carry it — never a default);
* the verdict (``judge``): ``will_change``; ``already_so`` (every field the row sends already
  has that value: not sent); ``not_found`` (not in the listing: sent anyway, the server decides);
  ``automatic`` (callType 2) or ``expired`` (timeout true): cannot be rescheduled, not sent;
* the text of each change, current -> new (``changes``, for ``plan``);
* the ``before_*`` cells of the results file (``before_columns``/``before_cells``);
* after the run, whether the server shows what was sent (``check``, for ``--verify``).

A field the server does not report is never "already so": a row that sends a remark to a server
whose list items carry no remark is sent (and its undo cannot put the remark back).

Which list field holds what (the reference leaves it open): on a standard server
``userAccount`` is the agent's business account and ``workNo`` is read only when the item has
one; on an op-independent server ``workNo`` is the item's ``workNo``, else its ``userAccount``
("business account or agent ID", as ``export`` reads it), and ``userAccount`` counts as reported
only when the item carries both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from rescheduler.i18n import _
from rescheduler.models import APPOINT_TIME, REMARK, USER_ACCOUNT, WORK_NO
from rescheduler.state.listing import AUTOMATIC, Item, call_type, expired, field_text, timestamp
from rescheduler.state.wall import format_wall

OP_INDEPENDENT = "op-independent"
COMPARED: tuple[str, ...] = (USER_ACCOUNT, WORK_NO, APPOINT_TIME, REMARK)
BEFORE = "before_"
Body = Mapping[str, Any]  # an update request's JSON body, as sent


class Verdict(StrEnum):
    """What a run does with a row, given the server's state (the ``verdict`` column of plan)."""

    WILL_CHANGE = "will_change"
    ALREADY_SO = "already_so"
    NOT_FOUND = "not_found"
    AUTOMATIC = "automatic"
    EXPIRED = "expired"


def agent_field(deployment: str) -> str:
    return WORK_NO if deployment == OP_INDEPENDENT else USER_ACCOUNT


def reported(item: Item, deployment: str) -> dict[str, str | int]:
    """The values ``item`` reports, by update field; a field it does not carry is absent."""
    out: dict[str, str | int] = {}
    account = field_text(item, USER_ACCOUNT)
    work_no = field_text(item, WORK_NO)
    if deployment == OP_INDEPENDENT:
        if work_no is not None:
            out[WORK_NO] = work_no
            if account is not None:
                out[USER_ACCOUNT] = account
        elif account is not None:
            out[WORK_NO] = account
    else:
        if account is not None:
            out[USER_ACCOUNT] = account
        if work_no is not None:
            out[WORK_NO] = work_no
    when = timestamp(item, APPOINT_TIME)
    if when is not None:
        out[APPOINT_TIME] = when
    remark = field_text(item, REMARK)
    if remark is not None:
        out[REMARK] = remark
    return out


def judge(body: Body, item: Item | None, deployment: str) -> Verdict:
    """The row's verdict against the listed ``item`` (None: not in the listing)."""
    if item is None:
        return Verdict.NOT_FOUND
    if call_type(item) == AUTOMATIC:
        return Verdict.AUTOMATIC
    if expired(item):
        return Verdict.EXPIRED
    current = reported(item, deployment)
    for name in COMPARED:
        if name in body and current.get(name) != body[name]:
            return Verdict.WILL_CHANGE
    return Verdict.ALREADY_SO


def cannot_reschedule(verdict: Verdict) -> str:
    """Why a row whose reservation is automatic or expired is not sent (its ``error``)."""
    if verdict is Verdict.AUTOMATIC:
        return _(
            "the server lists this reservation as automatic (callType 2): it cannot be "
            "rescheduled"
        )
    return _(
        "the server lists this reservation as expired (timeout is true): it cannot be "
        "rescheduled"
    )


def show(name: str, value: str | int | None, zone: ZoneInfo) -> str:
    """A field's value as a person reads it: times as wall time in ``zone``."""
    if value is None:
        return ""
    if name == APPOINT_TIME and isinstance(value, int):
        return format_wall(value, zone)
    return str(value)


def changes(body: Body, item: Item | None, deployment: str, zone: ZoneInfo) -> str:
    """``userAccount: li.na -> zhao.lei; remark: (not reported) -> x``: the fields that change."""
    current = reported(item, deployment) if item is not None else {}
    parts = []
    for name in COMPARED:
        if name not in body or current.get(name) == body[name]:
            continue
        if name in current:
            old = show(name, current[name], zone) or _("(empty)")
        elif item is None:
            old = _("(not listed)")
        else:
            old = _("(not reported)")
        parts.append(f"{name}: {old} -> {show(name, body[name], zone)}")
    return "; ".join(parts)


def before_columns(seen: Sequence[str], deployment: str) -> tuple[str, ...]:
    """The ``before_*`` columns: the deployment's agent and appointTime always (documented list
    fields), the other agent column and remark only when some listed item carried them."""
    fields = set(seen)
    agent = agent_field(deployment)
    names = [agent]
    other = USER_ACCOUNT if agent == WORK_NO else WORK_NO
    if other in fields and (deployment != OP_INDEPENDENT or WORK_NO in fields):
        names.append(other)
    names.append(APPOINT_TIME)
    if REMARK in fields:
        names.append(REMARK)
    return tuple(sorted(names, key=COMPARED.index))


def before_cells(
    item: Item | None, fields: Sequence[str], deployment: str, zone: ZoneInfo
) -> tuple[str, ...]:
    """The ``before_*`` cells for ``item`` (all empty when it was not listed)."""
    if item is None:
        return ("",) * len(fields)
    current = reported(item, deployment)
    return tuple(show(name, current.get(name), zone) for name in fields)


class Check(StrEnum):
    """``--verify``: does the server now show what a succeeded row sent?"""

    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"  # the server reports none of the fields the row sent


def check(body: Body, item: Item | None, deployment: str, zone: ZoneInfo) -> tuple[Check, str]:
    """After the run: ``(yes|no|unknown, what the server shows instead)``."""
    if item is None:
        return Check.NO, _("the reservation is no longer listed")
    current = reported(item, deployment)
    compared = False
    differ = []
    for name in COMPARED:
        if name not in body or name not in current:
            continue
        compared = True
        if current[name] != body[name]:
            shown = show(name, current[name], zone) or _("(empty)")
            differ.append(_("{field} shows {value}").format(field=name, value=shown))
    if differ:
        return Check.NO, "; ".join(differ)
    return (Check.YES, "") if compared else (Check.UNKNOWN, "")
