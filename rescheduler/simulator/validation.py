"""Pure checks of an ``appoint/update`` (and ``appoint/list``) body, in the order answered.

1. the body is not a JSON object, or a field has the wrong JSON type -> 0200001
   (strings for appointId/userAccount/workNo/remark, a non-negative integer for appointTime)
2. appointId or the deployment's agent field missing, null or blank -> 02000001
3. appointId not all ASCII digits, or a control character in any text field -> 02000002
4. a field longer than its ``SimConfig`` limit -> 02000003

Unknown fields are ignored. ``null`` counts as absent. Messages name the field, never its value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rescheduler.simulator.config import SimConfig

SUCCESS = "0200000"
PARAM_ERROR = "0200001"
DB_ERROR = "0200006"
TOO_FAST = "0200022"
EMPTY = "02000001"
INVALID_CHARS = "02000002"
TOO_LONG = "02000003"
NOT_FOUND = "04000004"

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_TEXT_FIELDS = ("appointId", "userAccount", "workNo", "remark")


@dataclass(frozen=True, slots=True)
class Rejection:
    """A business failure: answered with HTTP 200 and this code."""

    code: str
    desc: str


@dataclass(frozen=True, slots=True)
class UpdateFields:
    """A valid update. ``None`` means the field was not sent (leave it unchanged)."""

    appoint_id: str
    user_account: str | None
    work_no: str | None
    appoint_time_ms: int | None
    remark: str | None


def _limits(config: SimConfig) -> dict[str, int]:
    return {
        "appointId": config.max_appoint_id_len,
        "userAccount": config.max_user_account_len,
        "workNo": config.max_work_no_len,
        "remark": config.max_remark_len,
    }


def validate_update(body: object, config: SimConfig) -> UpdateFields | Rejection:
    """Check one decoded request body against the documented rules."""
    if not isinstance(body, dict):
        return Rejection(PARAM_ERROR, "parameter error: the request body must be a JSON object")
    text: dict[str, str] = {}
    for name in _TEXT_FIELDS:
        value = body.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            return Rejection(PARAM_ERROR, f"parameter error: {name} must be a string")
        text[name] = value
    appoint_time = body.get("appointTime")
    if appoint_time is not None and (
        not isinstance(appoint_time, int) or isinstance(appoint_time, bool)
    ):
        return Rejection(
            PARAM_ERROR, "parameter error: appointTime must be an integer (epoch milliseconds)"
        )
    if appoint_time is not None and appoint_time < 0:
        return Rejection(PARAM_ERROR, "parameter error: appointTime must not be negative")

    for name in ("appointId", config.deployment.agent_field):
        if not text.get(name, "").strip():
            return Rejection(EMPTY, f"the parameter {name} is empty")

    appoint_id = text["appointId"]
    if not (appoint_id.isascii() and appoint_id.isdigit()):
        return Rejection(INVALID_CHARS, "the parameter appointId contains invalid characters")
    for name, value in text.items():
        if _CONTROL.search(value):
            return Rejection(INVALID_CHARS, f"the parameter {name} contains invalid characters")

    for name, limit in _limits(config).items():
        if len(text.get(name, "")) > limit:
            return Rejection(TOO_LONG, f"the parameter {name} is longer than {limit} characters")

    return UpdateFields(
        appoint_id=appoint_id,
        user_account=text.get("userAccount"),
        work_no=text.get("workNo"),
        appoint_time_ms=appoint_time,
        remark=text.get("remark"),
    )


@dataclass(frozen=True, slots=True)
class ListQuery:
    """A valid ``appoint/list`` body. ``None`` = no such filter.

    ``begin_ms``/``end_ms`` bound ``appointTime``, both inclusive (the reference does not say
    which time the window filters on [OPEN]; the simulator's choice). An empty
    ``userAccountList`` is no filter, like an absent one.
    """

    offset: int
    limit: int
    user_accounts: frozenset[str] | None
    begin_ms: int | None
    end_ms: int | None
    called_no: str | None = None
    task_id: str | None = None

    def filters(self) -> tuple[object, ...]:
        """Everything but the page: the key of one listing."""
        accounts = tuple(sorted(self.user_accounts)) if self.user_accounts is not None else None
        return (accounts, self.begin_ms, self.end_ms, self.called_no, self.task_id)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def validate_list(body: object, config: SimConfig) -> ListQuery | Rejection:
    """Check an ``appoint/list`` body: offset and limit mandatory, filters optional.

    A limit above ``config.max_list_limit`` (the page size limit, undocumented [OPEN]) is a
    parameter error, 0200001. Unknown fields are ignored; ``null`` counts as absent.
    """
    if not isinstance(body, dict):
        return Rejection(PARAM_ERROR, "parameter error: the request body must be a JSON object")
    for name in ("offset", "limit"):
        if body.get(name) is None:
            return Rejection(EMPTY, f"the parameter {name} is empty")
        if not _is_int(body[name]):
            return Rejection(PARAM_ERROR, f"parameter error: {name} must be an integer")
    offset, limit = int(body["offset"]), int(body["limit"])
    if offset < 0 or not 1 <= limit <= config.max_list_limit:
        return Rejection(
            PARAM_ERROR,
            f"parameter error: offset must be >= 0 and limit in 1..{config.max_list_limit}",
        )
    accounts = body.get("userAccountList")
    if accounts is not None and (
        not isinstance(accounts, list) or not all(isinstance(a, str) for a in accounts)
    ):
        return Rejection(PARAM_ERROR, "parameter error: userAccountList must be a list of strings")
    bounds: list[int | None] = []
    for name in ("beginTime", "endTime"):
        value = body.get(name)
        if value is not None and (not _is_int(value) or value < 0):
            return Rejection(
                PARAM_ERROR, f"parameter error: {name} must be an integer (epoch milliseconds)"
            )
        bounds.append(value)
    text: list[str | None] = []
    for name in ("calledNo", "taskId"):
        value = body.get(name)
        if value is not None and not isinstance(value, str):
            return Rejection(PARAM_ERROR, f"parameter error: {name} must be a string")
        if value is not None and _CONTROL.search(value):
            return Rejection(INVALID_CHARS, f"the parameter {name} contains invalid characters")
        text.append(value)
    return ListQuery(
        offset=offset,
        limit=limit,
        user_accounts=frozenset(accounts) if accounts else None,
        begin_ms=bounds[0],
        end_ms=bounds[1],
        called_no=text[0],
        task_id=text[1],
    )
