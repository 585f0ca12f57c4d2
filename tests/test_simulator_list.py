"""The simulator's appoint/list over real loopback sockets: filters, paging, fields, faults."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rescheduler.simulator.config import Deployment, SimConfig, build_store, sim_config
from rescheduler.simulator.store import AUTOMATIC, MANUAL, Reservation, Store
from tests.simclient import envelope, serve

pytestmark = pytest.mark.anyio
T0 = 1_900_000_000_000  # 2030-03-17T17:46:40Z


def people() -> Store:
    """Five reservations with every list field set, inserted out of time order."""
    return Store(
        [
            Reservation("105", MANUAL, "li.na", "201", T0 + 4000, "five", called_no="13900000005",
                        task_id="t2", task_name="Renewals", task_status="running",
                        user_name="Li Na"),
            Reservation("101", MANUAL, "li.na", "201", T0, "one", called_no="13900000001",
                        task_id="t1", task_name="Welcome", task_status="running",
                        user_name="Li Na"),
            Reservation("102", AUTOMATIC, "zhao.lei", "202", T0 + 1000, "", called_no="13900000002",
                        task_id="t1", task_name="Welcome", task_status="paused",
                        user_name="Zhao Lei"),
            Reservation("103", MANUAL, "zhao.lei", "202", T0 + 2000, "three",
                        called_no="13900000001", task_id="t2", timeout=True,
                        begin_time_ms=T0 + 2500, end_time_ms=T0 + 2600),
            Reservation("104", MANUAL, "wang.fang", "203", T0 + 3000, "four",
                        called_no="13900000004", task_id="t1"),
        ]
    )  # fmt: skip


def body(**fields: Any) -> dict[str, Any]:
    return {"offset": 0, "limit": 100, **fields}


async def ids(config: SimConfig | None = None, **fields: Any) -> tuple[int, list[str]]:
    async with serve(config, people()) as client:
        answer = await client.post(body(**fields), op="list")
    assert answer.status == 200, answer.body
    return answer.body["totalCount"], [item["appointId"] for item in answer.body["data"]]


async def test_items_carry_every_documented_field_in_appointment_order() -> None:
    async with serve(store=people()) as client:
        answer = await client.post(body(), op="list")
    assert answer.body["resultCode"] == "0200000"
    assert answer.body["totalCount"] == 5
    data = answer.body["data"]
    assert [item["appointId"] for item in data] == ["101", "102", "103", "104", "105"]
    assert data[0] == {
        "appointId": "101",
        "callType": "1",
        "appointTime": T0,
        "calledNo": "13900000001",
        "taskId": "t1",
        "taskName": "Welcome",
        "taskStatus": "running",
        "timeout": False,
        "userAccount": "li.na",
        "userName": "Li Na",
        "remark": "one",
    }
    assert data[1]["callType"] == "2"
    assert (data[2]["timeout"], data[2]["beginTime"], data[2]["endTime"]) == (
        True,
        T0 + 2500,
        T0 + 2600,
    )
    assert "beginTime" not in data[0]  # not called yet: the field is absent, not invented


@pytest.mark.parametrize(
    ("fields", "total", "expected"),
    [
        ({"userAccountList": ["li.na", "wang.fang"]}, 3, ["101", "104", "105"]),
        ({"userAccountList": []}, 5, ["101", "102", "103", "104", "105"]),
        ({"calledNo": "13900000001"}, 2, ["101", "103"]),
        ({"taskId": "t2"}, 2, ["103", "105"]),
        ({"beginTime": T0 + 1000, "endTime": T0 + 3000}, 3, ["102", "103", "104"]),  # inclusive
        ({"beginTime": T0 + 3001}, 1, ["105"]),
        ({"endTime": T0 - 1}, 0, []),
        ({"taskId": "t1", "userAccountList": ["zhao.lei"], "calledNo": "13900000002"}, 1, ["102"]),
        ({"unknownFilter": "x"}, 5, ["101", "102", "103", "104", "105"]),
    ],
)
async def test_every_documented_filter(
    fields: dict[str, Any], total: int, expected: list[str]
) -> None:
    assert await ids(**fields) == (total, expected)


async def test_pages_by_offset_and_limit_with_the_total_of_the_listing() -> None:
    async with serve(store=people()) as client:
        pages = [
            await client.post({"offset": offset, "limit": 2}, op="list") for offset in (0, 2, 4, 6)
        ]
    assert [page.body["totalCount"] for page in pages] == [5, 5, 5, 5]
    assert [[i["appointId"] for i in page.body["data"]] for page in pages] == [
        ["101", "102"],
        ["103", "104"],
        ["105"],
        [],
    ]


async def test_page_size_above_the_maximum_is_a_parameter_error() -> None:
    config = sim_config(max_list_limit=3)
    async with serve(config, people()) as client:
        ok = await client.post({"offset": 0, "limit": 3}, op="list")
        too_big = await client.post({"offset": 0, "limit": 4}, op="list")
    assert len(ok.body["data"]) == 3
    assert too_big.body == envelope(
        "0200001", "parameter error: offset must be >= 0 and limit in 1..3"
    )


@pytest.mark.parametrize(
    ("fields", "code", "desc"),
    [
        ({"limit": 10}, "02000001", "the parameter offset is empty"),
        ({"offset": 0, "limit": 0}, "0200001", "parameter error: offset must be >= 0 and limit"),
        ({"offset": "0", "limit": 5}, "0200001", "parameter error: offset must be an integer"),
        ({"offset": 0, "limit": 5, "calledNo": 139}, "0200001", "calledNo must be a string"),
        ({"offset": 0, "limit": 5, "taskId": ["t"]}, "0200001", "taskId must be a string"),
        ({"offset": 0, "limit": 5, "beginTime": "soon"}, "0200001", "beginTime must be an integ"),
        ({"offset": 0, "limit": 5, "userAccountList": "a"}, "0200001", "must be a list of str"),
        ({"offset": 0, "limit": 5, "calledNo": "1\n2"}, "02000002", "calledNo contains invalid"),
    ],
)
async def test_bad_list_bodies(fields: dict[str, Any], code: str, desc: str) -> None:
    async with serve(store=people()) as client:
        answer = await client.post(fields, op="list")
    assert answer.status == 200
    assert answer.body["resultCode"] == code
    assert desc in answer.body["resultDesc"]


async def test_remark_and_work_no_are_switches() -> None:
    async with serve(sim_config(list_remark=False, list_work_no=True), people()) as client:
        item = (await client.post(body(), op="list")).body["data"][0]
    assert "remark" not in item
    assert item["workNo"] == "201"


async def test_op_independent_lists_the_agent_id_as_user_account() -> None:
    config = SimConfig(deployment=Deployment.OP_INDEPENDENT)
    async with serve(config, people()) as client:
        answer = await client.post(body(userAccountList=["202"]), op="list")
    assert [(i["appointId"], i["userAccount"]) for i in answer.body["data"]] == [
        ("102", "202"),
        ("103", "202"),
    ]


async def test_a_silent_cap_and_a_missing_total_are_available_for_clients_to_meet() -> None:
    config = SimConfig(list_page_cap=2, list_total_count=False)
    async with serve(config, people()) as client:
        answer = await client.post(body(), op="list")
    assert "totalCount" not in answer.body
    assert [i["appointId"] for i in answer.body["data"]] == ["101", "102"]


async def test_the_listing_follows_updates_and_additions() -> None:
    async with serve(store=people()) as client:
        before = await client.post(body(userAccountList=["zhao.lei"]), op="list")
        assert (await client.update("104", userAccount="zhao.lei")).body["resultCode"] == "0200000"
        client.sim.store.add(Reservation("100", user_account="zhao.lei", appoint_time_ms=T0 - 1))
        after = await client.post(body(userAccountList=["zhao.lei"]), op="list")
    assert [i["appointId"] for i in before.body["data"]] == ["102", "103"]
    assert [i["appointId"] for i in after.body["data"]] == ["100", "102", "103", "104"]


async def test_list_has_its_own_deterministic_faults() -> None:
    config = sim_config(list_p_503=1.0)
    async with serve(config, people()) as client:
        listed = await client.post(body(), op="list")
        updated = await client.update("101")
        stats = client.sim.stats.to_json()
    assert listed.status == 503
    assert updated.body["resultCode"] == "0200000"  # the update's own plan has no faults
    assert stats["faults"] == {"http_503": 1}
    assert stats["list_requests"] == 1


async def test_list_needs_a_valid_signature() -> None:
    async with serve(store=people()) as client:
        answer = await client.post(body(), op="list", secret_key="wrong")
    assert answer.status == 401
    assert answer.body["resultDesc"] == "authentication failed: signature mismatch"


async def test_on_list_hook_runs_before_each_listing() -> None:
    async with serve(store=people()) as client:
        seen: list[int] = []
        client.sim.simulator.on_list = lambda query: seen.append(query.offset)
        await client.post({"offset": 2, "limit": 1}, op="list")
    assert seen == [2]


# the store's list fields -------------------------------------------------------------------------


def test_generated_reservations_have_list_fields_and_a_chosen_start() -> None:
    store = Store.generate(12, seed=1, first_time_ms=T0)
    eleventh = list(store)[11]
    assert (eleventh.appoint_time_ms, eleventh.called_no, eleventh.task_id) == (
        T0 + 11 * 60_000,
        "13800000011",
        "task1",
    )
    assert (eleventh.task_name, eleventh.user_name, eleventh.timeout) == (
        "Campaign 1",
        "Agent 011",
        False,
    )
    assert next(iter(build_store(reservations=1, first_time_ms=T0))).appoint_time_ms == T0


def test_list_fields_load_from_json_and_csv(tmp_path: Path) -> None:
    json_path = tmp_path / "r.json"
    json_path.write_text(
        '[{"appointId": "7", "calledNo": "139", "taskId": "t", "taskName": "n", '
        '"taskStatus": "s", "timeout": true, "userName": "u", "beginTime": 5, "endTime": "6"}]',
        encoding="utf-8",
    )
    csv_path = tmp_path / "r.csv"
    csv_path.write_text("appointId,timeout,beginTime\n8,false,\n9,1,7\n", encoding="utf-8")
    (loaded,) = Store.from_file(json_path)
    assert (loaded.called_no, loaded.task_id, loaded.task_name, loaded.task_status) == (
        "139",
        "t",
        "n",
        "s",
    )
    assert (loaded.timeout, loaded.user_name, loaded.begin_time_ms, loaded.end_time_ms) == (
        True,
        "u",
        5,
        6,
    )
    eight, nine = Store.from_file(csv_path)
    assert (eight.timeout, eight.begin_time_ms) == (False, None)
    assert (nine.timeout, nine.begin_time_ms) == (True, 7)
