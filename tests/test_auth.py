"""The auth-v2 signer reproduces the worked examples of isales-api.md character for character."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rescheduler.send.auth import (
    canonical_request,
    enc,
    format_timestamp,
    sign,
    signing_key,
    verify,
)

AK, SK, TS = "globalaktest", "example-secret-key", "2025-06-06T09:30:00Z"
PATH = "/rest/isales/v1/openapi/campaigns/1/appoint/update"
B1 = (
    b'{"appointId":"174729926098016859445364892091","remark":"remark 0516",'
    b'"appointTime":1749204000000,"workNo":"125"}'
)
HOST = "10.22.26.181:28080"


def test_signing_key_matches_worked_example() -> None:
    assert (
        signing_key(SK, f"auth-v2/{AK}/{TS}/host")
        == "8ebeb48e2a6f69e9872fc0f3d15656acac34174d741f17fbe79be7f12c929a76"
    )


def test_host_only_signature_matches_worked_example() -> None:
    value = sign(
        access_key=AK, secret_key=SK, method="POST", path=PATH,
        headers={"host": HOST}, body=B1, timestamp=TS,
    )
    assert value == (
        "auth-v2/globalaktest/2025-06-06T09:30:00Z/host/"
        "133269ded1feddc9a15666496471a367b25693d7e01a1fa20dc69ddecb466da9"
    )


def test_two_header_signature_matches_worked_example() -> None:
    value = sign(
        access_key=AK, secret_key=SK, method="POST", path=PATH,
        headers={"Host": HOST, "Content-Type": "application/json;charset=UTF-8"},
        body=B1, timestamp=TS,
    )
    assert value == (
        "auth-v2/globalaktest/2025-06-06T09:30:00Z/content-type;host/"
        "eb34d55113381b1041dd21ed828a45379d1f9acfdb848ef7612395fd196e3b1d"
    )


def test_canonical_request_layout() -> None:
    signed, text = canonical_request("post", "/p", None, {"Host": "h:1"}, b'{"a":"b c"}')
    assert signed == "host"
    assert text == "POST\n/p\nhost\nhost:h%3A1\n%7B%22a%22%3A%22b%20c%22%7D"


def test_canonical_query_only_when_present() -> None:
    _, text = canonical_request("GET", "/p", {"b": "2", "a": "x y"}, {"host": "h"}, b"")
    assert text.split("\n")[2] == "a=x%20y&b=2"


def test_enc_keeps_only_unreserved_and_encodes_utf8() -> None:
    assert enc("A-z0._~ /改") == "A-z0._~%20%2F%E6%94%B9"


def test_timestamp_format() -> None:
    moment = datetime(2025, 6, 6, 17, 30, 0, 999, tzinfo=UTC)
    assert format_timestamp(moment) == "2025-06-06T17:30:00Z"


def _verify(authorization: str, now: datetime, body: bytes = B1) -> str | None:
    return verify(
        authorization=authorization, secret_for={AK: SK}, method="POST", path=PATH,
        query=None, headers={"Host": HOST}, body=body, now=now, max_skew_s=300,
    )


def test_verify_accepts_own_signature_and_rejects_tampering() -> None:
    now = datetime(2025, 6, 6, 9, 31, tzinfo=UTC)
    good = sign(access_key=AK, secret_key=SK, method="POST", path=PATH,
                headers={"host": HOST}, body=B1, timestamp=TS)
    assert _verify(good, now) is None
    assert _verify(good, now, body=B1.replace(b"125", b"126")) == "signature mismatch"
    assert _verify(good, now + timedelta(hours=1)) == "timestamp outside the allowed clock skew"
    assert _verify(good.replace(AK, "other"), now) == "unknown access key 'other'"
    assert _verify("Bearer x", now) == "Authorization is not an auth-v2 header"
