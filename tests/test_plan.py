from __future__ import annotations

import orjson

from rescheduler.models import UpdateRequest
from rescheduler.send.plan import base_path, build, payload_hash


def test_body_holds_only_given_fields_in_order_and_is_serialised_once() -> None:
    request = UpdateRequest(
        line=2, appoint_id="174729926098016859445364892091", work_no="125",
        appoint_time_ms=1749204000000, remark="改约 0516",
    )
    wire = build(request, default_vdn_id=7)
    assert wire.path == "/rest/isales/v1/openapi/campaigns/7/appoint/update"
    assert wire.body == (
        '{"appointId":"174729926098016859445364892091","workNo":"125",'
        '"appointTime":1749204000000,"remark":"改约 0516"}'
    ).encode()
    assert orjson.loads(wire.body)["appointId"] == "174729926098016859445364892091"
    assert wire.payload_hash == payload_hash(7, wire.body)


def test_row_vdn_overrides_default_and_changes_the_hash() -> None:
    request = UpdateRequest(line=3, appoint_id="1", user_account="a", vdn_id=42)
    wire = build(request, default_vdn_id=1, prefix="/proxy")
    assert wire.path == "/proxy/rest/isales/v1/openapi/campaigns/42/appoint/update"
    assert wire.vdn_id == 42
    other = build(UpdateRequest(line=3, appoint_id="1", user_account="a"), default_vdn_id=1)
    assert other.payload_hash != wire.payload_hash


def test_base_path() -> None:
    assert base_path("https://10.0.0.1:28080") == ""
    assert base_path("https://gw.example:443/isales/") == "/isales"


def test_identity_is_the_key_and_hash_of_the_built_request() -> None:
    from rescheduler.send.plan import identity

    for request in (
        UpdateRequest(line=2, appoint_id="17", user_account="a", remark="改约"),
        UpdateRequest(line=3, appoint_id="18", work_no="9", vdn_id=42, appoint_time_ms=1),
    ):
        wire = build(request, default_vdn_id=5, prefix="/p")
        assert identity(request, default_vdn_id=5) == (
            f"{wire.vdn_id}:{wire.appoint_id}",
            wire.payload_hash,
        )
