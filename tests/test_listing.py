"""Pure appoint/list requests and answers: bodies, pages, and one item's fields."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from rescheduler.state.listing import (
    ListFilter,
    Page,
    appoint_id,
    call_type,
    expired,
    field_text,
    page_wire,
    parse_page,
    text,
    timestamp,
)


def test_body_has_only_the_filters_that_are_set_then_the_page() -> None:
    assert ListFilter().body(0, 100) == {"offset": 0, "limit": 100}
    full = ListFilter(("li.na", "zhao.lei"), 1, 2, "t1", "139")
    assert full.body(200, 100) == {
        "calledNo": "139",
        "userAccountList": ["li.na", "zhao.lei"],
        "beginTime": 1,
        "endTime": 2,
        "taskId": "t1",
        "offset": 200,
        "limit": 100,
    }


def test_fingerprint_names_the_listing_not_the_page() -> None:
    one = ListFilter(("a",), begin_ms=5)
    assert one.fingerprint() == ListFilter(("a",), begin_ms=5).fingerprint()
    assert one.fingerprint() != ListFilter(("b",), begin_ms=5).fingerprint()
    assert one.fingerprint() != ListFilter(("a",)).fingerprint()


def test_page_wire_is_serialised_once_with_the_offset_as_line() -> None:
    wire = page_wire(ListFilter(task_id="t"), 300, 100, vdn_id=7, prefix="/proxy")
    assert wire.path == "/proxy/rest/isales/v1/openapi/campaigns/7/appoint/list"
    assert wire.body == b'{"taskId":"t","offset":300,"limit":100}'
    assert (wire.line, wire.vdn_id) == (300, 7)


ITEM = {"appointId": "174729926098016859445364892091", "callType": "1", "extra": {"x": 1}}


@pytest.mark.parametrize(
    "answer",
    [
        {"resultCode": "0200000", "totalCount": 3, "data": [ITEM]},
        {"resultCode": "0200000", "returnObject": {"totalCount": 3, "data": [ITEM]}},
        {"resultCode": "0200000", "totalCount": "3", "data": [ITEM]},
    ],
)
def test_pages_are_read_at_the_top_or_in_return_object(answer: dict[str, Any]) -> None:
    page = parse_page(answer)
    assert page == Page(3, [ITEM], ["174729926098016859445364892091"], 0)
    assert isinstance(page, Page)
    assert page.items[0] is ITEM  # kept exactly as sent, unknown fields included


def test_absent_total_and_data_are_not_invented() -> None:
    page = parse_page({"resultCode": "0200000"})
    assert page == Page(None, [], [], 0)


def test_items_without_a_usable_id_are_counted_not_exported() -> None:
    big = orjson.loads(b'{"appointId": 174729926098016859445364892091}')  # a float: digits lost
    page = parse_page(
        {
            "totalCount": 6,
            "data": [ITEM, {"appointId": 42}, {"appointId": ""}, {"x": 1}, "text", big],
        }
    )
    assert isinstance(page, Page)
    assert page.ids == ["174729926098016859445364892091", "42"]
    assert (page.unusable, page.received) == (4, 6)


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ([], "the answer is not a JSON object"),
        ({"data": {"a": 1}}, "the answer's data is not a list"),
        ({"data": [], "totalCount": -1}, "the answer's totalCount is not a count: '-1'"),
        ({"data": [], "totalCount": "many"}, "the answer's totalCount is not a count: 'many'"),
    ],
)
def test_unreadable_answers_say_why(answer: Any, message: str) -> None:
    assert parse_page(answer) == message


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1", "1"), ("2", "2"), (2, "2"), (" 2 ", "2"), (None, None), (True, None)],
)
def test_call_type(value: Any, expected: str | None) -> None:
    assert call_type({"callType": value}) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(True, True), (False, False), ("true", True), ("FALSE", False), (1, True), (0, False),
     (None, None), ("maybe", None), (2, None)],
)  # fmt: skip
def test_expired(value: Any, expected: bool | None) -> None:
    assert expired({"timeout": value}) is expected


def test_timestamps_and_texts() -> None:
    item = {"a": 1749204000000, "b": "1749204000000", "c": "soon", "d": True, "e": None}
    assert [timestamp(item, k) for k in "abcdez"] == [
        1749204000000, 1749204000000, None, None, None, None,
    ]  # fmt: skip
    assert [text(v) for v in (None, "x", True, 3, 1.5, [1, "a"])] == [
        "", "x", "true", "3", "1.5", '[1,"a"]',
    ]  # fmt: skip
    assert field_text({"remark": ""}, "remark") == ""
    assert field_text({"remark": None}, "remark") is None
    assert field_text({}, "remark") is None
    assert appoint_id({"appointId": " 12 "}) == "12"
    assert appoint_id({"appointId": "1.5"}) is None
