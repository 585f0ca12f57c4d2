"""A row's request against the listed reservation (pure): reported values, verdicts, checks."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from rescheduler.state.compare import (
    Check,
    Verdict,
    before_cells,
    before_columns,
    changes,
    check,
    judge,
    reported,
)

ZONE = ZoneInfo("Asia/Shanghai")
T = 1_924_992_060_000  # 2031-01-01 08:01:00 in Shanghai
ITEM = {
    "appointId": "901",
    "callType": "1",
    "appointTime": T,
    "userAccount": "li.na",
    "remark": "call back",
    "timeout": False,
}


def test_reported_reads_what_is_there_and_invents_nothing() -> None:
    assert reported(ITEM, "standard") == {
        "userAccount": "li.na",
        "appointTime": T,
        "remark": "call back",
    }
    bare = {"appointId": "1", "appointTime": "1924992060000"}
    assert reported(bare, "standard") == {"appointTime": T}  # no agent, no remark: absent
    assert reported({"appointId": "1", "remark": None}, "standard") == {}  # null is absent


def test_op_independent_reads_the_agent_id_from_user_account_unless_work_no_is_sent() -> None:
    assert reported({"userAccount": "125"}, "op-independent") == {"workNo": "125"}
    both = {"userAccount": "li.na", "workNo": "125"}
    assert reported(both, "op-independent") == {"workNo": "125", "userAccount": "li.na"}
    assert reported(both, "standard") == {"userAccount": "li.na", "workNo": "125"}


@pytest.mark.parametrize(
    ("body", "item", "verdict"),
    [
        ({"userAccount": "li.na", "appointTime": T}, ITEM, Verdict.ALREADY_SO),
        ({"userAccount": "li.na", "remark": "call back"}, ITEM, Verdict.ALREADY_SO),
        ({"userAccount": "zhao.lei"}, ITEM, Verdict.WILL_CHANGE),
        ({"userAccount": "li.na", "appointTime": T + 60_000}, ITEM, Verdict.WILL_CHANGE),
        ({"userAccount": "li.na", "workNo": "125"}, ITEM, Verdict.WILL_CHANGE),  # not reported
        ({"userAccount": "li.na"}, None, Verdict.NOT_FOUND),
        ({"userAccount": "li.na"}, {**ITEM, "callType": "2"}, Verdict.AUTOMATIC),
        ({"userAccount": "li.na"}, {**ITEM, "callType": 2}, Verdict.AUTOMATIC),
        ({"userAccount": "li.na"}, {**ITEM, "timeout": True}, Verdict.EXPIRED),
        ({"userAccount": "li.na"}, {**ITEM, "timeout": "true"}, Verdict.EXPIRED),
    ],
)
def test_verdicts(
    body: dict[str, object], item: dict[str, object] | None, verdict: Verdict
) -> None:
    assert judge({"appointId": "901", **body}, item, "standard") is verdict


def test_a_remark_the_server_does_not_report_is_never_already_so() -> None:
    silent = {k: v for k, v in ITEM.items() if k != "remark"}
    sends_remark = {"appointId": "901", "userAccount": "li.na", "remark": "call back"}
    assert judge(sends_remark, silent, "standard") is Verdict.WILL_CHANGE
    assert judge({"appointId": "901", "userAccount": "li.na"}, silent, "standard") is (
        Verdict.ALREADY_SO
    )  # remark not sent: not changed, whatever it is


def test_changes_show_current_to_new_for_the_fields_that_change() -> None:
    body = {"appointId": "901", "userAccount": "zhao.lei", "appointTime": T + 86_400_000,
            "remark": "call back", "workNo": "7"}  # fmt: skip
    assert changes(body, ITEM, "standard", ZONE) == (
        "userAccount: li.na -> zhao.lei; workNo: (not reported) -> 7; "
        "appointTime: 2031-01-01 08:01:00 -> 2031-01-02 08:01:00"
    )
    assert changes({"userAccount": "x"}, None, "standard", ZONE) == (
        "userAccount: (not listed) -> x"
    )
    assert changes({"remark": "new"}, {**ITEM, "remark": ""}, "standard", ZONE) == (
        "remark: (empty) -> new"
    )


def test_before_columns_are_the_agent_and_time_always_the_rest_when_seen() -> None:
    assert before_columns([], "standard") == ("userAccount", "appointTime")
    seen = ["appointId", "userAccount", "appointTime", "remark", "workNo"]
    assert before_columns(seen, "standard") == ("userAccount", "workNo", "appointTime", "remark")
    assert before_columns(["userAccount"], "op-independent") == ("workNo", "appointTime")
    assert before_columns(["userAccount", "workNo"], "op-independent") == (
        "userAccount", "workNo", "appointTime"
    )  # fmt: skip


def test_before_cells_are_empty_where_nothing_was_reported() -> None:
    fields = ("userAccount", "appointTime", "remark")
    assert before_cells(ITEM, fields, "standard", ZONE) == (
        "li.na", "2031-01-01 08:01:00", "call back"
    )  # fmt: skip
    assert before_cells({"appointId": "1"}, fields, "standard", ZONE) == ("", "", "")
    assert before_cells(None, fields, "standard", ZONE) == ("", "", "")


def test_check_after_the_run() -> None:
    body = {"appointId": "901", "userAccount": "li.na", "appointTime": T}
    assert check(body, ITEM, "standard", ZONE) == (Check.YES, "")
    moved = {**ITEM, "appointTime": T + 3_600_000}
    assert check(body, moved, "standard", ZONE) == (
        Check.NO, "appointTime shows 2031-01-01 09:01:00"
    )  # fmt: skip
    assert check(body, None, "standard", ZONE) == (
        Check.NO, "the reservation is no longer listed"
    )  # fmt: skip
    only_remark = {"appointId": "901", "remark": "x"}
    silent = {"appointId": "901", "appointTime": T}
    assert check(only_remark, silent, "standard", ZONE) == (Check.UNKNOWN, "")
