"""Pure ``appoint/list``: the request of one page, and what its answer means (no I/O).

``ListFilter`` holds the documented filters; ``page_wire`` turns one page of it into the exact
bytes that are signed and sent (serialised once, as an update's body is). ``parse_page`` reads
an answer into a ``Page``: ``totalCount`` and the items exactly as the server sent them — every
field kept, unknown ones too, none added. The accessors below read one item's fields for the
export without inventing any: an absent field is ``None``, never a default.

Where the API reference is silent [OPEN], this module's choices:

- ``totalCount`` and ``data`` are read at the top level of the answer (as documented) or, failing
  that, inside ``returnObject`` (where ``create`` puts its result). ``totalCount`` may be a number
  or a digit string; when there is none, the pager pages until a short page instead.
- ``callType`` ``"1"``/``"2"`` may also come as numbers; ``timeout`` as ``true``/``false``, as
  text or as 0/1. Anything else counts as unknown (the row is not marked for it).
- An item whose ``appointId`` is not a string of digits (or an integer) cannot be exported: it is
  counted as unusable. A JSON number too large for 64 bits is read by the JSON parser as a
  float with digits lost, so such IDs are unusable too, never rounded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from rescheduler.i18n import _
from rescheduler.models import WireRequest

LIST_PATH = "/rest/isales/v1/openapi/campaigns/{vdn_id}/appoint/list"
AUTOMATIC = "2"
Item = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class ListFilter:
    """The documented filters of ``appoint/list``; empty / None = not filtered on.

    ``agents`` go into ``userAccountList`` (business accounts, or agent IDs on an
    op-independent server); ``begin_ms``/``end_ms`` into ``beginTime``/``endTime``.
    """

    agents: tuple[str, ...] = ()
    begin_ms: int | None = None
    end_ms: int | None = None
    task_id: str | None = None
    called_no: str | None = None

    def body(self, offset: int, limit: int) -> dict[str, Any]:
        """The request body of one page: the filters that are set, then offset and limit."""
        out: dict[str, Any] = {}
        if self.called_no is not None:
            out["calledNo"] = self.called_no
        if self.agents:
            out["userAccountList"] = list(self.agents)
        if self.begin_ms is not None:
            out["beginTime"] = self.begin_ms
        if self.end_ms is not None:
            out["endTime"] = self.end_ms
        if self.task_id is not None:
            out["taskId"] = self.task_id
        out["offset"] = offset
        out["limit"] = limit
        return out

    def fingerprint(self) -> str:
        """A stable text naming this listing (the page journal keeps it, to resume the same)."""
        return orjson.dumps(self.body(0, 0), option=orjson.OPT_SORT_KEYS).decode()


def list_path(prefix: str, vdn_id: int) -> str:
    return prefix + LIST_PATH.format(vdn_id=vdn_id)


def page_wire(
    query: ListFilter, offset: int, limit: int, *, vdn_id: int, prefix: str = ""
) -> WireRequest:
    """One page's request. ``line`` carries the offset (a page has no input line)."""
    return WireRequest(
        line=offset,
        appoint_id="",
        vdn_id=vdn_id,
        path=list_path(prefix, vdn_id),
        body=orjson.dumps(query.body(offset, limit)),
        payload_hash="",
    )


@dataclass(frozen=True, slots=True)
class Page:
    """One answer: ``total`` (None when the server sent no totalCount) and its usable items.

    ``ids`` is parallel to ``items``; ``unusable`` counts items without a usable appointId;
    ``received`` is how many items the answer held (usable or not).
    """

    total: int | None
    items: list[Item] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    unusable: int = 0

    @property
    def received(self) -> int:
        return len(self.items) + self.unusable


def parse_page(data: Any) -> Page | str:
    """A successful answer's decoded JSON -> ``Page``, or why it cannot be read (a message)."""
    if not isinstance(data, dict):
        return _("the answer is not a JSON object")
    holder: Mapping[str, Any] = data
    if "data" not in data and isinstance(data.get("returnObject"), dict):
        holder = data["returnObject"]
    items = holder.get("data")
    if items is None:
        items = []
    if not isinstance(items, list):
        return _("the answer's data is not a list")
    total = _count(holder.get("totalCount"))
    if isinstance(total, str):
        return total
    usable: list[Item] = []
    ids: list[str] = []
    for item in items:
        ident = appoint_id(item) if isinstance(item, dict) else None
        if ident is not None:
            usable.append(item)
            ids.append(ident)
    return Page(total, usable, ids, len(items) - len(usable))


def _count(value: Any) -> int | str | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return _("the answer's totalCount is not a count: {value}").format(value=repr(str(value)[:40]))


# -- one item's fields --------------------------------------------------------------------------


def appoint_id(item: Item) -> str | None:
    """The item's reservation ID as text, or None when it has no usable one."""
    value = item.get("appointId")
    if isinstance(value, str):
        value = value.strip()
        return value if value.isascii() and value.isdigit() else None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return str(value)
    return None


def call_type(item: Item) -> str | None:
    """``"1"`` (manual), ``"2"`` (automatic), another text as sent, or None when absent."""
    value = item.get("callType")
    if value is None or isinstance(value, bool):
        return None
    return str(value).strip()


def expired(item: Item) -> bool | None:
    """``timeout``: True (expired), False, or None when absent or not a yes/no value."""
    value = item.get("timeout")
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0"):
        return value.strip().lower() in ("true", "1")
    return None


def timestamp(item: Item, name: str) -> int | None:
    """A TimeStamp field as epoch milliseconds, or None when absent or not a timestamp."""
    value = item.get(name)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def text(value: Any) -> str:
    """Any JSON value as the text of a cell: null -> "", true -> "true", objects as JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return orjson.dumps(value).decode()


def field_text(item: Item, name: str) -> str | None:
    """A text field (``userAccount``, ``remark`` ...) as sent, or None when absent / null."""
    value = item.get(name)
    return None if value is None else text(value)
