"""The undo file's rows (pure): what is put back, what cannot be, and why."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from rescheduler.state.undo import Undo, UndoLayout, undo_layout, undo_row

ZONE = ZoneInfo("Asia/Shanghai")
T = 1_924_992_060_000  # 2031-01-01 08:01:00 in Shanghai
NOW = T - 30 * 86_400_000
UNDO = Undo(ZONE, NOW, 366)
BEFORE = {"appointId": "901", "callType": "1", "appointTime": T, "userAccount": "li.na",
          "remark": "call back"}  # fmt: skip
LAYOUT = undo_layout(("userAccount", "appointTime", "remark"), "standard", vdn=False)


def cells(layout: UndoLayout, row: list[str]) -> dict[str, str]:
    return dict(zip(layout.headers, row, strict=True))


def test_only_the_changed_fields_are_put_back_and_the_agent_is_always_there() -> None:
    body = {"appointId": "901", "userAccount": "li.na", "appointTime": T + 86_400_000,
            "remark": "call back"}  # fmt: skip
    row = undo_row(2, "901", 1, body, BEFORE, LAYOUT, UNDO)
    assert row is not None
    assert (row.restores, row.held) == (("appointTime",), False)
    assert cells(LAYOUT, row.cells) == {
        "appointId": "901",
        "userAccount": "li.na",  # unchanged, but every input row needs the agent
        "appointTime": "2031-01-01 08:01:00",
        "remark": "",  # not changed: left as it is
        "can_reschedule": "yes",
        "note": "",
        "undoes_line": "2",
        "listed_userAccount": "",
        "listed_appointTime": "2031-01-02 08:01:00",  # what the run set: the server shows it
        "listed_remark": "",
    }


def test_a_row_that_changed_nothing_the_snapshot_saw_needs_no_undo() -> None:
    body = {"appointId": "901", "userAccount": "li.na", "appointTime": T}
    assert undo_row(2, "901", 1, body, BEFORE, LAYOUT, UNDO) is None


def test_fields_that_cannot_be_written_back_are_named_and_the_rest_is_put_back() -> None:
    before = {**BEFORE, "remark": ""}
    body = {"appointId": "901", "userAccount": "zhao.lei", "remark": "new"}
    row = undo_row(3, "901", 1, body, before, LAYOUT, UNDO)
    assert row is not None
    got = cells(LAYOUT, row.cells)
    assert (got["userAccount"], got["remark"], got["can_reschedule"]) == ("li.na", "", "yes")
    assert got["note"] == (
        "remark not put back: it was empty, and an empty cell means leave unchanged; clear it "
        "by hand"
    )


def test_nothing_to_put_back_holds_the_row_with_the_reason() -> None:
    silent = {k: v for k, v in BEFORE.items() if k != "remark"}
    body = {"appointId": "901", "userAccount": "li.na", "remark": "x"}
    row = undo_row(4, "901", 1, body, silent, LAYOUT, UNDO)
    assert row is not None
    got = cells(LAYOUT, row.cells)
    assert (row.held, got["can_reschedule"]) == (True, "no")
    assert got["note"] == "remark not put back: the server's list does not report it"


def test_not_in_the_snapshot_is_held() -> None:
    row = undo_row(5, "901", 1, {"appointId": "901", "userAccount": "x"}, None, LAYOUT, UNDO)
    assert row is not None
    got = cells(LAYOUT, row.cells)
    assert (got["can_reschedule"], got["userAccount"]) == ("no", "")
    assert got["note"] == (
        "not in the snapshot taken before the run: its earlier values are unknown"
    )


def test_an_earlier_time_in_the_past_is_not_put_back() -> None:
    late = Undo(ZONE, T + 1, 366)
    body = {"appointId": "901", "userAccount": "zhao.lei", "appointTime": T + 86_400_000}
    row = undo_row(6, "901", 1, body, BEFORE, LAYOUT, late)
    assert row is not None
    got = cells(LAYOUT, row.cells)
    assert (got["userAccount"], got["appointTime"], got["can_reschedule"]) == ("li.na", "", "yes")
    assert got["note"] == (
        "appointTime not put back: the earlier time 2031-01-01 08:01:00 is in the past"
    )


def test_spaces_and_apostrophes_and_agents() -> None:
    spaced = {**BEFORE, "userAccount": " li.na "}
    body = {"appointId": "901", "userAccount": "zhao.lei"}
    row = undo_row(7, "901", 1, body, spaced, LAYOUT, UNDO)
    assert row is not None
    got = cells(LAYOUT, row.cells)
    assert got["can_reschedule"] == "no"  # nothing else to put back, and no usable agent
    assert "has spaces at an edge" in got["note"]
    assert "every row needs one" in got["note"]
    quoted = {**BEFORE, "userAccount": "'li"}
    row = undo_row(8, "901", 1, body, quoted, LAYOUT, UNDO)
    assert row is not None
    assert cells(LAYOUT, row.cells)["userAccount"] == "''li"  # reads back as 'li


def test_an_unanswered_row_and_another_vdn() -> None:
    layout = undo_layout(("userAccount",), "standard", vdn=True)
    assert layout.headers == (
        "appointId", "userAccount", "vdnId", "can_reschedule", "note", "undoes_line",
        "listed_userAccount",
    )  # fmt: skip
    body = {"appointId": "901", "userAccount": "zhao.lei"}
    row = undo_row(9, "901", 7, body, BEFORE, layout, UNDO, uncertain=True)
    assert row is not None
    got = cells(layout, row.cells)
    assert (got["vdnId"], got["can_reschedule"]) == ("7", "yes")
    assert got["note"].startswith("the server may or may not have applied this change")


def test_op_independent_puts_back_the_agent_id() -> None:
    layout = undo_layout(("workNo",), "op-independent", vdn=False)
    assert layout.headers[:2] == ("appointId", "workNo")
    before = {"appointId": "901", "userAccount": "125", "appointTime": T}
    row = undo_row(2, "901", 1, {"appointId": "901", "workNo": "300"}, before, layout, UNDO)
    assert row is not None
    assert cells(layout, row.cells)["workNo"] == "125"
