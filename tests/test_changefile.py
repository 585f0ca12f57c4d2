"""Pure change-file rows: columns, marks, rules and never inventing what the server did not send."""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from rescheduler.read.times import parse_appoint_time
from rescheduler.state.changefile import (
    AGENT_MARK,
    AUTOMATIC_MARK,
    EXPIRED_MARK,
    FILTER_MARK,
    HORIZON_MARK,
    PAST_MARK,
    RULE_MARK,
    Setup,
    change_row,
    layout,
    sheet_cell,
)
from rescheduler.state.listing import ListFilter
from rescheduler.state.rules import Rules, Shift

ZONE = ZoneInfo("Asia/Shanghai")
NOW = parse_appoint_time("2030-01-01 00:00", ZONE)
AT = parse_appoint_time("2030-01-05 09:30", ZONE)
DOC_FIELDS = ["appointId", "callType", "appointTime", "calledNo", "taskId", "taskName",
              "taskStatus", "timeout", "userAccount", "userName"]  # fmt: skip


def item(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "appointId": "900", "callType": "1", "appointTime": AT, "calledNo": "139",
        "taskId": "t1", "taskName": "Welcome", "taskStatus": "running", "timeout": False,
        "userAccount": "li.na", "userName": "Li Na",
    }  # fmt: skip
    base.update(fields)
    return {k: v for k, v in base.items() if v is not ...}


def setup(rules: Rules = Rules(), query: ListFilter = ListFilter(), deployment: str = "standard") -> Setup:  # noqa: B008, E501
    return Setup(deployment, ZONE, NOW, query, rules)


def row(data: dict[str, Any], s: Setup, seen: list[str] | None = None) -> dict[str, str]:
    shape = layout(seen if seen is not None else list(data), s)
    out = change_row(data, str(data["appointId"]), shape, s)
    cells = dict(zip(shape.headers, out.cells, strict=True))
    cells["_marks"] = ",".join(out.marks)
    return cells


def test_a_plain_export_row_is_the_current_state_and_can_be_rescheduled() -> None:
    shape = layout(DOC_FIELDS, setup())
    assert shape.headers == (
        "appointId", "userAccount", "appointTime", "can_reschedule", "note",
        "callType", "calledNo", "taskId", "taskName", "taskStatus", "timeout", "userName",
    )  # fmt: skip
    cells = row(item(), setup())
    assert cells == {
        "appointId": "900", "userAccount": "li.na", "appointTime": "2030-01-05 09:30:00",
        "can_reschedule": "yes", "note": "", "callType": "1", "calledNo": "139", "taskId": "t1",
        "taskName": "Welcome", "taskStatus": "running", "timeout": "false", "userName": "Li Na",
        "_marks": "",
    }  # fmt: skip


def test_remark_column_only_when_the_server_sent_remarks() -> None:
    assert "remark" not in layout(DOC_FIELDS, setup()).columns
    assert "remark" in layout([*DOC_FIELDS, "remark"], setup()).columns
    assert "remark" in layout(DOC_FIELDS, setup(Rules(sets=(("remark", "x"),)))).columns
    # seen in some items only: the others get an empty cell (= unchanged), nothing invented
    cells = row(item(), setup(), seen=[*DOC_FIELDS, "remark"])
    assert cells["remark"] == ""


def test_unknown_and_colliding_fields_are_read_only_context() -> None:
    data = item(workNo="125", vdnId=3, note="theirs", beginTime=AT + 60_000, extra={"a": [1]})
    cells = row(data, setup())
    assert cells["listed_workNo"] == "125"  # run would read "workNo" as a column to send
    assert cells["listed_vdnId"] == "3"
    assert cells["listed_note"] == "theirs"
    assert cells["beginTime"] == "2030-01-05 09:31:00"
    assert cells["extra"] == '{"a":[1]}'
    assert "workNo" not in cells


@pytest.mark.parametrize(
    ("fields", "mark", "note", "remark"),
    [
        # what the server reports: the rules are not applied to the row at all
        ({"callType": "2"}, AUTOMATIC_MARK, "automatic reservation (callType 2)", ""),
        ({"callType": 2}, AUTOMATIC_MARK, "cannot be rescheduled", ""),
        ({"timeout": True}, EXPIRED_MARK, "expired (timeout is true)", ""),
        ({"timeout": "true"}, EXPIRED_MARK, "expired", ""),
        # what run would refuse once the rules are applied: the row shows the change, held
        ({"appointTime": NOW - 1}, PAST_MARK, "2029-12-31 23:59:59.999 is in the past", "moved"),
        ({"userAccount": ...}, AGENT_MARK, "no userAccount listed: fill it in", "moved"),
        ({"userAccount": " li.na"}, AGENT_MARK, "surrounding spaces", "moved"),
        ({"appointTime": NOW + 367 * 86_400_000}, HORIZON_MARK, "2031-01-03 00:00:00 is more "
         "than 366 days ahead, which run refuses as a misreading; if it is right, raise "
         "input.max_days_ahead", "moved"),
    ],
)
def test_rows_that_cannot_be_rescheduled_are_marked(
    fields: dict[str, Any], mark: str, note: str, remark: str
) -> None:
    cells = row(item(**fields), setup(Rules(sets=(("remark", "moved"),))), seen=DOC_FIELDS)
    assert cells["can_reschedule"] == "no"
    assert cells["_marks"] == mark
    assert note in cells["note"]
    assert cells["remark"] == remark


def test_unknown_call_type_or_timeout_is_not_a_mark() -> None:
    cells = row(item(callType=..., timeout="perhaps"), setup())
    assert (cells["can_reschedule"], cells["note"]) == ("yes", "")


@pytest.mark.parametrize(
    ("query", "fields", "note"),
    [
        (ListFilter(agents=("zhao.lei",)), {}, "userAccount 'li.na' is not one of --agent"),
        (ListFilter(agents=("zhao.lei",)), {"userAccount": ...}, "(not listed) is not one of"),
        (ListFilter(begin_ms=AT + 1), {}, "appointTime is outside --from/--to"),
        (ListFilter(end_ms=AT - 1), {}, "appointTime is outside --from/--to"),
        (ListFilter(end_ms=AT), {"appointTime": ...}, "cannot check --from/--to"),
        (ListFilter(task_id="t9"), {}, "taskId is not --task t9"),
        (ListFilter(called_no="138"), {}, "calledNo is not --called-no 138"),
    ],
)
def test_what_was_not_asked_for_is_never_changed(
    query: ListFilter, fields: dict[str, Any], note: str
) -> None:
    rules = Rules(sets=(("userAccount", "zhao.lei"),), move_to=date(2030, 2, 1))
    cells = row(item(**fields), setup(rules, query), seen=DOC_FIELDS)
    assert (cells["can_reschedule"], cells["_marks"]) == ("no", FILTER_MARK)
    assert note in cells["note"]
    assert cells["userAccount"] != "zhao.lei"


def test_the_window_bounds_are_inclusive() -> None:
    cells = row(item(), setup(query=ListFilter(begin_ms=AT, end_ms=AT)))
    assert cells["can_reschedule"] == "yes"


def test_rules_change_the_sent_columns_and_keep_the_listed_values_beside() -> None:
    rules = Rules(
        sets=(("userAccount", "zhao.lei"), ("workNo", "125"), ("remark", "'quoted")),
        move_to=date(2030, 2, 1),
    )
    cells = row(item(remark="old"), setup(rules))
    assert cells["userAccount"] == "zhao.lei"
    assert cells["workNo"] == "125"
    assert cells["appointTime"] == "2030-02-01 09:30:00"
    assert cells["remark"] == "''quoted"  # the reader strips one apostrophe: it gets 'quoted
    assert (cells["listed_userAccount"], cells["listed_appointTime"], cells["listed_remark"]) == (
        "li.na",
        "2030-01-05 09:30:00",
        "old",
    )
    assert cells["can_reschedule"] == "yes"


@pytest.mark.parametrize(
    "rules",
    [Rules(sets=(("userAccount", "zhao.lei"),)), Rules(shift=Shift(1, "d")),
     Rules(sets=(("workNo", "125"),), move_to=date(2030, 2, 1))],
)  # fmt: skip
def test_with_rules_the_listed_remark_is_context_and_never_sent(rules: Rules) -> None:
    """H2-9: the remark cell is empty (= unchanged) on every row; listed_remark shows it."""
    shape = layout([*DOC_FIELDS, "remark"], setup(rules))
    assert "remark" in shape.columns  # a reviewer may still type a new remark
    assert ("listed_remark", "remark") in shape.context
    for fields in ({}, {"callType": "2"}, {"appointTime": NOW - 1}, {"remark": "  padded  "}):
        data = item(**{"remark": "call back", **fields})
        cells = row(data, setup(rules), seen=[*DOC_FIELDS, "remark"])
        assert cells["remark"] == ""
        assert cells["listed_remark"] == data["remark"]
        assert "remark not exported" not in cells["note"]  # nothing was left out of a sent cell
    # a server that sends no remark: no remark column, and no listed_remark either
    assert "listed_remark" not in layout(DOC_FIELDS, setup(rules)).headers
    assert "remark" not in layout(DOC_FIELDS, setup(rules)).columns


def test_without_rules_the_remark_column_is_the_listed_remark() -> None:
    cells = row(item(remark="call back"), setup())
    assert cells["remark"] == "call back"
    assert "listed_remark" not in cells


def test_a_time_rule_that_lands_in_a_gap_is_refused_for_that_row() -> None:
    new_york = ZoneInfo("America/New_York")
    at = parse_appoint_time("2030-03-01 02:30", new_york)
    s = Setup("standard", new_york, NOW, ListFilter(), Rules(move_to=date(2030, 3, 10)))
    cells = row(item(appointTime=at), s)
    assert (cells["can_reschedule"], cells["_marks"]) == ("no", RULE_MARK)
    assert cells["note"].startswith("not changed: --move-to-date 2030-03-10: 2030-03-10 02:30:00 "
                                    "does not exist in America/New_York")  # fmt: skip
    assert cells["appointTime"] == "2030-03-01 02:30:00"  # the listed time, unchanged


def test_a_time_rule_needs_a_listed_time() -> None:
    cells = row(item(appointTime="soon"), setup(Rules(shift=Shift(1, "d"))))
    assert cells["_marks"] == RULE_MARK
    assert "no usable appointTime listed for --shift +1d" in cells["note"]
    assert "the listed appointTime 'soon' is not epoch milliseconds" in cells["note"]
    assert cells["appointTime"] == ""
    assert cells["listed_appointTime"] == "soon"


def test_a_shift_into_the_past_is_marked() -> None:
    cells = row(item(), setup(Rules(shift=Shift(-5, "d"))))
    assert (cells["_marks"], cells["appointTime"]) == (PAST_MARK, "2029-12-31 09:30:00")


def test_a_remark_a_cell_cannot_hold_is_left_unchanged_with_a_note() -> None:
    cells = row(item(remark="  padded  "), setup())
    assert (cells["remark"], cells["can_reschedule"]) == ("", "yes")
    assert "remark not exported" in cells["note"]


def test_op_independent_sends_work_no_from_the_listing() -> None:
    s = setup(deployment="op-independent")
    with_work_no = row(item(workNo="201", userAccount="201"), s)
    assert (with_work_no["workNo"], with_work_no["listed_userAccount"]) == ("201", "201")
    assert "userAccount" not in with_work_no
    # without workNo in the items, userAccount ("business account or agent ID") fills it
    cells = row(item(userAccount="202"), s)
    assert cells["workNo"] == "202"
    assert "listed_userAccount" not in cells


@pytest.mark.parametrize(
    ("value", "cell"),
    [("plain", "plain"), ("'x", "''x"), ("=1+1", "=1+1"), ("", ""), (" x", None), ("x\n", None)],
)
def test_sheet_cell(value: str, cell: str | None) -> None:
    assert sheet_cell(value) == cell
