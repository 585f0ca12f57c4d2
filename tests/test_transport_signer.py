"""transport.RequestSigner is auth.sign with per-second caching: the same bytes, always."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
from hypothesis import given
from hypothesis import strategies as st

from rescheduler.config import Secret
from rescheduler.send.auth import format_timestamp, sign
from rescheduler.send.transport import RequestSigner

PATH = "/rest/isales/v1/openapi/campaigns/{vdn}/appoint/update"


def reference(ak: str, sk: str, host: str, path: str, body: bytes, now: float) -> str:
    return sign(
        access_key=ak,
        secret_key=sk,
        method="POST",
        path=path,
        headers={"host": host},
        body=body,
        timestamp=format_timestamp(datetime.fromtimestamp(int(now), UTC)),
    )


bodies = st.dictionaries(
    st.sampled_from(["appointId", "userAccount", "workNo", "appointTime", "remark"]),
    st.one_of(st.text(), st.integers(min_value=0, max_value=2**53)),
).map(orjson.dumps)


@given(
    ak=st.text(alphabet="abcdefghijklmnopqrstuvwxyz-_0123456789", min_size=1, max_size=20),
    sk=st.text(min_size=1, max_size=40),
    host=st.sampled_from(["127.0.0.1:8080", "isales.example.com", "[::1]:28080", "h:1"]),
    prefix=st.sampled_from(["", "/proxy", "/a%20b"]),
    vdn=st.integers(min_value=1, max_value=9999),
    body=bodies,
    now=st.floats(min_value=1e9, max_value=4e9),
)
def test_same_header_as_auth_sign(
    ak: str, sk: str, host: str, prefix: str, vdn: int, body: bytes, now: float
) -> None:
    signer = RequestSigner(ak, Secret(sk), host)
    path = prefix + PATH.format(vdn=vdn)
    assert signer(path, body, now) == reference(ak, sk, host, path, body, now)


def test_key_follows_the_second() -> None:
    signer = RequestSigner("ak", Secret("sk"), "127.0.0.1:9")
    body = orjson.dumps({"appointId": "1", "remark": "改约 ü"})
    for now in (1_800_000_000.1, 1_800_000_000.9, 1_800_000_001.0, 1_799_999_999.5):
        assert signer(PATH, body, now) == reference("ak", "sk", "127.0.0.1:9", PATH, body, now)


def test_default_clock_is_now() -> None:
    signer = RequestSigner("ak", Secret("sk"), "h")
    value = signer(PATH, b"{}")
    stamp = value.split("/")[2]
    moment = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert abs((datetime.now(UTC) - moment).total_seconds()) < 5
