"""The simulator's appoint/update API over real loopback sockets: auth, rules, codes, pages."""

from __future__ import annotations

from typing import Any

import pytest

from rescheduler.send.auth import sign, utc_timestamp
from rescheduler.simulator.config import Deployment, SimConfig
from rescheduler.simulator.store import Store
from tests.simclient import (
    AUTOMATIC_ID,
    MANUAL_ID,
    NO_CONTEXT,
    SUCCESS,
    envelope,
    serve,
)

pytestmark = pytest.mark.anyio


# success -----------------------------------------------------------------------------------------


async def test_valid_update_succeeds_and_is_applied() -> None:
    async with serve() as client:
        answer = await client.update(
            MANUAL_ID, appointTime=1_749_290_400_000, remark="改约 0516", workNo="125"
        )
        assert answer.status == 200
        assert answer.body == SUCCESS
        assert answer.headers["Content-Type"] == "application/json;charset=UTF-8"
        status, record = await client.get(f"/_sim/reservations/{MANUAL_ID}")
    assert status == 200
    assert record == {
        "appointId": MANUAL_ID,
        "callType": "1",
        "userAccount": "agent007",
        "workNo": "125",
        "appointTime": 1_749_290_400_000,
        "remark": "改约 0516",
        "updates": 1,
        **NO_CONTEXT,
    }


async def test_fields_not_sent_are_left_unchanged_and_updates_are_counted() -> None:
    async with serve() as client:
        assert (await client.update(MANUAL_ID)).body == SUCCESS
        assert (await client.update(MANUAL_ID, remark="")).body == SUCCESS
        record = client.sim.store.get(MANUAL_ID)
    assert record is not None
    assert (record.user_account, record.work_no, record.remark) == ("agent007", "101", "")
    assert record.appoint_time_ms == 1_749_204_000_000
    assert record.updates == 2


# authentication ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"secret_key": "wrong-secret"}, "signature mismatch"),
        ({"access_key": "nobody"}, "unknown access key 'nobody'"),
        ({"age_s": 901.0}, "timestamp outside the allowed clock skew"),
        ({"age_s": -901.0}, "timestamp outside the allowed clock skew"),
        ({"authorization": ""}, "Authorization is not an auth-v2 header"),
        ({"authorization": "Bearer abc"}, "Authorization is not an auth-v2 header"),
    ],
)
async def test_bad_credentials_get_401_with_a_json_body(
    kwargs: dict[str, Any], reason: str
) -> None:
    async with serve() as client:
        answer = await client.post({"appointId": MANUAL_ID, "userAccount": "a"}, **kwargs)
        record = client.sim.store.get(MANUAL_ID)
    assert answer.status == 401
    assert answer.body == envelope("0200001", f"authentication failed: {reason}")
    assert "secret" not in str(answer.body).replace("wrong-secret", "")
    assert record is not None
    assert record.updates == 0


async def test_body_changed_after_signing_is_rejected() -> None:
    async with serve() as client:
        signed_for = b'{"appointId":"2","userAccount":"a"}'
        authorization = sign(
            access_key="demo-ak",
            secret_key="demo-secret-key",
            method="POST",
            path="/rest/isales/v1/openapi/campaigns/1/appoint/update",
            headers={"host": f"127.0.0.1:{client.sim.port}"},
            body=signed_for,
            timestamp=utc_timestamp(),
        )
        answer = await client.post(
            b'{"appointId":"3","userAccount":"a"}', authorization=authorization
        )
    assert answer.status == 401
    assert answer.body == envelope("0200001", "authentication failed: signature mismatch")


async def test_clock_skew_is_configurable() -> None:
    async with serve(SimConfig(max_skew_s=30)) as client:
        late = await client.post({"appointId": MANUAL_ID, "userAccount": "a"}, age_s=60)
        fine = await client.post({"appointId": MANUAL_ID, "userAccount": "a"}, age_s=20)
    assert late.status == 401
    assert (fine.status, fine.body) == (200, SUCCESS)


async def test_other_access_keys_from_the_config() -> None:
    config = SimConfig(credentials={"ak-1": "sk-1", "ak-2": "sk-2"})
    async with serve(config) as client:
        one = await client.post(
            {"appointId": MANUAL_ID, "userAccount": "a"}, access_key="ak-1", secret_key="sk-1"
        )
        two_wrong = await client.post(
            {"appointId": MANUAL_ID, "userAccount": "a"}, access_key="ak-2", secret_key="sk-1"
        )
    assert (one.status, one.body) == (200, SUCCESS)
    assert two_wrong.status == 401


async def test_content_type_must_be_json() -> None:
    async with serve() as client:
        answer = await client.post(
            {"appointId": MANUAL_ID, "userAccount": "a"}, content_type="text/plain"
        )
    assert answer.status == 415
    assert answer.body == envelope(
        "0200001", "parameter error: Content-Type must be application/json"
    )


# vdnId -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("vdn", "desc"),
    [
        (2, "parameter error: vdnId 2 does not exist (served: 1,7)"),
        (9999, "parameter error: vdnId 9999 does not exist (served: 1,7)"),
        (0, "parameter error: vdnId must be an integer in 1..9999"),
        (10000, "parameter error: vdnId must be an integer in 1..9999"),
        ("abc", "parameter error: vdnId must be an integer in 1..9999"),
    ],
)
async def test_unknown_or_bad_vdn(vdn: int | str, desc: str) -> None:
    async with serve(SimConfig(vdn_ids=frozenset({1, 7}))) as client:
        answer = await client.post({"appointId": MANUAL_ID, "userAccount": "a"}, vdn=vdn)
    assert (answer.status, answer.body) == (200, envelope("0200001", desc))


async def test_every_served_vdn_works() -> None:
    async with serve(SimConfig(vdn_ids=frozenset({1, 7}))) as client:
        answer = await client.post({"appointId": MANUAL_ID, "userAccount": "a"}, vdn=7)
    assert (answer.status, answer.body) == (200, SUCCESS)


# body rules and error codes ----------------------------------------------------------------------

LONG_ID = "1" * 33
CASES: list[tuple[bytes | dict[str, Any] | list[Any], str, str]] = [
    (b"{not json", "0200001", "parameter error: the request body is not valid JSON"),
    ([MANUAL_ID], "0200001", "parameter error: the request body must be a JSON object"),
    ({"userAccount": "a"}, "02000001", "the parameter appointId is empty"),
    ({"appointId": "", "userAccount": "a"}, "02000001", "the parameter appointId is empty"),
    ({"appointId": None, "userAccount": "a"}, "02000001", "the parameter appointId is empty"),
    ({"appointId": MANUAL_ID}, "02000001", "the parameter userAccount is empty"),
    (
        {"appointId": MANUAL_ID, "userAccount": " "},
        "02000001",
        "the parameter userAccount is empty",
    ),
    (
        {"appointId": "17472992609801685944536489209x", "userAccount": "a"},
        "02000002",
        "the parameter appointId contains invalid characters",
    ),
    (
        {"appointId": "١٢٣", "userAccount": "a"},
        "02000002",
        "the parameter appointId contains invalid characters",
    ),
    (
        {"appointId": MANUAL_ID, "userAccount": "a", "remark": "line\x07bell"},
        "02000002",
        "the parameter remark contains invalid characters",
    ),
    (
        {"appointId": MANUAL_ID, "userAccount": "a\nb"},
        "02000002",
        "the parameter userAccount contains invalid characters",
    ),
    (
        {"appointId": LONG_ID, "userAccount": "a"},
        "02000003",
        "the parameter appointId is longer than 32 characters",
    ),
    (
        {"appointId": MANUAL_ID, "userAccount": "a", "remark": "备" * 201},
        "02000003",
        "the parameter remark is longer than 200 characters",
    ),
    (
        {"appointId": MANUAL_ID, "userAccount": "u" * 33},
        "02000003",
        "the parameter userAccount is longer than 32 characters",
    ),
    (
        {"appointId": MANUAL_ID, "userAccount": "a", "workNo": "9" * 33},
        "02000003",
        "the parameter workNo is longer than 32 characters",
    ),
    (
        {"appointId": "1" * 30, "userAccount": "a"},
        "04000004",
        "the reservation does not exist",
    ),
    (
        {"appointId": AUTOMATIC_ID, "userAccount": "a"},
        "0200001",
        "parameter error: only reservations for manual outbound calls can be modified; "
        "this one is for an automatic outbound call",
    ),
    (
        {"appointId": MANUAL_ID, "userAccount": "a", "appointTime": "2025-06-06T10:00:00Z"},
        "0200001",
        "parameter error: appointTime must be an integer (epoch milliseconds)",
    ),
    (
        {"appointId": MANUAL_ID, "userAccount": "a", "appointTime": 1749204000000.0},
        "0200001",
        "parameter error: appointTime must be an integer (epoch milliseconds)",
    ),
    (
        {"appointId": MANUAL_ID, "userAccount": "a", "appointTime": True},
        "0200001",
        "parameter error: appointTime must be an integer (epoch milliseconds)",
    ),
    (
        {"appointId": MANUAL_ID, "userAccount": "a", "appointTime": -1},
        "0200001",
        "parameter error: appointTime must not be negative",
    ),
    (
        b'{"appointId":174729926098016859445364892091,"userAccount":"a"}',
        "0200001",
        "parameter error: appointId must be a string",
    ),
    (
        {"appointId": MANUAL_ID, "userAccount": ["a"]},
        "0200001",
        "parameter error: userAccount must be a string",
    ),
]


@pytest.mark.parametrize(("body", "code", "desc"), CASES)
async def test_error_codes(body: bytes | dict[str, Any] | list[Any], code: str, desc: str) -> None:
    async with serve() as client:
        answer = await client.post(body)
        updates = client.sim.store.update_summary()["total_updates"]
    assert (answer.status, answer.body) == (200, envelope(code, desc))
    assert updates == 0


async def test_limits_are_configurable_and_inclusive() -> None:
    config = SimConfig(max_remark_len=5, max_user_account_len=3)
    async with serve(config) as client:
        at_limit = await client.post(
            {"appointId": MANUAL_ID, "userAccount": "abc", "remark": "12345"}
        )
        over = await client.post({"appointId": MANUAL_ID, "userAccount": "abc", "remark": "123456"})
        too_long_agent = await client.post({"appointId": MANUAL_ID, "userAccount": "abcd"})
    assert at_limit.body == SUCCESS
    assert over.body == envelope("02000003", "the parameter remark is longer than 5 characters")
    assert too_long_agent.body == envelope(
        "02000003", "the parameter userAccount is longer than 3 characters"
    )


async def test_unknown_fields_are_ignored_and_remark_allows_any_language() -> None:
    async with serve() as client:
        answer = await client.update(MANUAL_ID, remark="Remarks ✓ 备注 ملاحظة", extra={"x": 1})
    assert answer.body == SUCCESS


# deployments -------------------------------------------------------------------------------------


async def test_op_independent_deployment_requires_work_no() -> None:
    config = SimConfig(deployment=Deployment.OP_INDEPENDENT)
    async with serve(config) as client:
        ok = await client.post({"appointId": MANUAL_ID, "workNo": "125"})
        missing = await client.post({"appointId": MANUAL_ID, "userAccount": "agent007"})
        record = client.sim.store.get(MANUAL_ID)
    assert ok.body == SUCCESS
    assert missing.body == envelope("02000001", "the parameter workNo is empty")
    assert record is not None
    assert (record.work_no, record.user_account, record.updates) == ("125", "agent001", 1)


async def test_standard_deployment_does_not_require_work_no() -> None:
    async with serve(SimConfig(deployment=Deployment("standard"))) as client:
        answer = await client.post({"appointId": MANUAL_ID, "userAccount": "x"})
        no_account = await client.post({"appointId": MANUAL_ID, "workNo": "125"})
    assert answer.body == SUCCESS
    assert no_account.body == envelope("02000001", "the parameter userAccount is empty")


# accept_any --------------------------------------------------------------------------------------


async def test_accept_any_creates_unknown_well_formed_ids_as_manual() -> None:
    async with serve(store=Store(accept_any=True)) as client:
        created = await client.update("123456789012345678901234567890")
        malformed = await client.update("12345abc")
        record = client.sim.store.get("123456789012345678901234567890")
        size = len(client.sim.store)
    assert created.body == SUCCESS
    assert malformed.body == envelope(
        "02000002", "the parameter appointId contains invalid characters"
    )
    assert record is not None
    assert (record.call_type, record.user_account, record.updates) == (1, "agent007", 1)
    assert size == 1


# simulator pages ---------------------------------------------------------------------------------


async def test_stats_page_counts_requests_statuses_codes_and_updates() -> None:
    async with serve() as client:
        await client.update(MANUAL_ID)
        await client.update(MANUAL_ID)
        await client.update(AUTOMATIC_ID)
        await client.post({"appointId": MANUAL_ID}, secret_key="wrong")
        status, stats = await client.get("/_sim/stats")
    assert status == 200
    assert stats["total_requests"] == 4
    assert stats["in_flight"] == 0
    assert stats["max_in_flight"] == 1
    assert stats["http_status"] == {"200": 3, "401": 1}
    assert stats["result_codes"] == {"0200000": 2, "0200001": 2}
    assert stats["faults"] == {}
    assert stats["updates"] == {
        "reservations": 2,
        "total_updates": 2,
        "updated_ids": 1,
        "max_updates_per_id": 2,
        "histogram": {"2": 1},
    }
    assert stats["config"]["access_keys"] == ["demo-ak"]
    assert "demo-secret-key" not in str(stats)


async def test_unknown_reservation_page_is_404() -> None:
    async with serve() as client:
        status, body = await client.get("/_sim/reservations/999")
    assert (status, body) == (404, {"error": "no reservation with this appointId"})
