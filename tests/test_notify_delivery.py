"""Delivering the alert to a local webhook receiver over real sockets: each service's shape and
signing as the receiver sees them, retries, giving up, and never showing the URL's key."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import time
from typing import Any

import pytest
from aiohttp import web

from rescheduler.notify.config import NotifyConfig, mask_url
from rescheduler.notify.deliver import deliver
from rescheduler.notify.formats import build
from rescheduler.notify.message import compose
from rescheduler.secret import Secret
from tests.hookserver import OK_BODIES, Receiver, running_receiver
from tests.test_notify_formats import record

pytestmark = pytest.mark.anyio
KEY = "k-3f9a1c-secret-part"


def config_for(receiver: Receiver, fmt: str, path: str = "", **kw: Any) -> NotifyConfig:
    url = f"{receiver.base_url}/{path or fmt}?key={KEY}"
    return NotifyConfig(format=fmt, url=Secret(url), url_shown=mask_url(url), **kw)


async def send(cfg: NotifyConfig, rec: dict[str, Any] | None = None) -> dict[str, Any]:
    rec = rec or record()
    message = compose(rec)
    return await deliver(cfg, lambda now: build(cfg, message, rec, now), backoff_s=0)


def check_wecom(body: Any) -> None:
    assert set(body) == {"msgtype", "markdown"}
    assert body["msgtype"] == "markdown"
    assert isinstance(body["markdown"]["content"], str)
    assert len(body["markdown"]["content"].encode()) <= 4096


def check_dingtalk(body: Any) -> None:
    assert set(body) == {"msgtype", "markdown"}
    assert body["msgtype"] == "markdown"
    assert set(body["markdown"]) == {"title", "text"}
    assert "rescheduler" in body["markdown"]["text"]  # a keyword robot can use this word


def check_feishu(body: Any) -> None:
    assert body["msg_type"] == "text"
    assert set(body["content"]) == {"text"}
    assert set(body) <= {"msg_type", "content", "timestamp", "sign"}


def check_slack(body: Any) -> None:
    assert isinstance(body["text"], str)
    assert body["text"]
    (block,) = body["blocks"]
    assert block["type"] == "section"
    assert block["text"]["type"] == "mrkdwn"
    assert len(block["text"]["text"]) <= 3000


def check_json(body: Any) -> None:
    assert body == record()


CHECKS = {
    "wecom": check_wecom,
    "dingtalk": check_dingtalk,
    "feishu": check_feishu,
    "slack": check_slack,
    "json": check_json,
}


@pytest.mark.parametrize("fmt", sorted(CHECKS))
async def test_each_format_arrives_in_its_documented_shape(fmt: str) -> None:
    async with running_receiver(Receiver(answers=[(200, OK_BODIES[fmt])])) as receiver:
        result = await send(config_for(receiver, fmt))
    assert result["status"] == "delivered", result
    assert result["attempts"] == 1
    assert result["http_status"] == 200
    (got,) = receiver.received
    assert got.path == f"/{fmt}"
    assert got.query["key"] == KEY
    assert got.headers["Content-Type"].startswith("application/json")
    CHECKS[fmt](got.body)


async def test_dingtalk_signature_verifies_at_the_receiver() -> None:
    secret = "SEC0123456789abcdef"
    async with running_receiver(Receiver(answers=[(200, OK_BODIES["dingtalk"])])) as receiver:
        before = time.time() * 1000
        result = await send(config_for(receiver, "dingtalk", secret=Secret(secret)))
        after = time.time() * 1000
    assert result["status"] == "delivered"
    query = receiver.received[0].query  # aiohttp has URL-decoded the sign once already
    stamp = int(query["timestamp"])
    assert before - 1 <= stamp <= after + 1
    expected = hmac.new(secret.encode(), f"{stamp}\n{secret}".encode(), hashlib.sha256).digest()
    assert base64.b64decode(query["sign"]) == expected
    assert query["key"] == KEY  # the URL's own query is kept


async def test_feishu_signature_verifies_at_the_receiver() -> None:
    secret = "feishu-signing-secret"
    async with running_receiver(Receiver(answers=[(200, OK_BODIES["feishu"])])) as receiver:
        result = await send(config_for(receiver, "feishu", secret=Secret(secret)))
    assert result["status"] == "delivered"
    body = receiver.received[0].body
    key = f"{body['timestamp']}\n{secret}".encode()
    assert base64.b64decode(body["sign"]) == hmac.new(key, b"", hashlib.sha256).digest()
    assert abs(int(body["timestamp"]) - time.time()) < 120


async def test_server_errors_are_retried_and_each_attempt_signed_afresh() -> None:
    answers = [(503, b"busy"), (502, b""), (200, OK_BODIES["dingtalk"])]
    async with running_receiver(Receiver(answers=answers)) as receiver:
        cfg = config_for(receiver, "dingtalk", secret=Secret("SECx"), max_attempts=3)
        result = await send(cfg)
    assert result["status"] == "delivered"
    assert result["attempts"] == 3
    assert len(receiver.received) == 3
    assert all("sign" in r.query for r in receiver.received)


async def test_gives_up_after_max_attempts_and_says_why_without_the_key(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    async with running_receiver(Receiver(answers=[(500, b"oops")])) as receiver:
        result = await send(config_for(receiver, "wecom", max_attempts=2))
    assert result["status"] == "failed"
    assert (result["attempts"], result["http_status"]) == (2, 500)
    assert result["error"] == "HTTP 500 oops"
    assert result["url"] == f"{receiver.base_url}/***"
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("rescheduler"))
    assert "notification to http://127.0.0.1:" in ours
    assert KEY not in ours


async def test_a_refusal_is_not_retried() -> None:
    answer = (200, b'{"errcode":93000,"errmsg":"invalid webhook url"}')
    async with running_receiver(Receiver(answers=[answer])) as receiver:
        result = await send(config_for(receiver, "wecom", max_attempts=3))
    assert result["status"] == "failed"
    assert result["attempts"] == 1
    assert result["error"] == "code 93000: invalid webhook url"


async def test_nobody_listening() -> None:
    async with running_receiver(Receiver()) as receiver:
        url = receiver.base_url
    cfg = NotifyConfig(
        format="slack", url=Secret(f"{url}/T0/B0/{KEY}"), url_shown=mask_url(url), max_attempts=2
    )
    result = await send(cfg)
    assert result["status"] == "failed"
    assert result["attempts"] == 2
    assert result["error"].startswith(f"cannot connect to {url}")
    assert KEY not in result["error"]


async def test_no_answer_within_the_timeout() -> None:
    async with running_receiver(Receiver(hang=True)) as receiver:
        result = await send(config_for(receiver, "json", timeout_s=0.2, max_attempts=1))
    assert result["status"] == "failed"
    assert result["error"] == "no answer within 0.2 s"


@pytest.mark.parametrize("status", [301, 302, 307, 308])
async def test_a_redirect_is_not_followed(status: int) -> None:
    """A 302 was followed as a GET without the message and reported "delivered" (hostile2 H2-8);
    a 307 posted the message wherever Location said."""
    answers = [(status, b""), (200, OK_BODIES["wecom"])]
    async with running_receiver(Receiver(answers=answers)) as receiver:
        receiver.location = f"{receiver.base_url}/elsewhere"
        result = await send(config_for(receiver, "wecom", max_attempts=2))
    assert result["status"] == "failed"
    assert result["http_status"] == status
    assert len(receiver.received) == 1  # nothing went to the Location
    assert "check notify.url" in result["error"]


@pytest.mark.parametrize("fmt", ["wecom", "dingtalk"])
async def test_a_receiver_that_echoes_the_url_never_puts_the_key_in_the_record(
    fmt: str, caplog: pytest.LogCaptureFixture
) -> None:
    """An error page echoing the request's path and query (key, timestamp, sign) reached the
    run record and the log (hostile2 H2-7): only the exact URL string was replaced."""
    caplog.set_level(logging.INFO)
    secret = "SECsigning-secret-42"
    async with running_receiver(EchoReceiver()) as receiver:
        signing = Secret(secret) if fmt == "dingtalk" else None
        result = await send(config_for(receiver, fmt, max_attempts=1, secret=signing))
        sign = receiver.received[0].query.get("sign", "")
    assert result["status"] == "failed"
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for text in (result["error"], logged):
        assert KEY not in text
        assert quote_key() not in text
        assert secret not in text
        assert not sign or sign not in text


class EchoReceiver(Receiver):
    """Answers 400 with the request's path and query as it arrived, raw and decoded."""

    async def handle(self, request: web.Request) -> web.Response:
        await super().handle(request)
        decoded = "&".join(f"{k}={v}" for k, v in request.query.items())
        text = f"bad request for {request.raw_path} ({decoded}) key={quote_key()}"
        return web.Response(status=400, text=text)


def quote_key() -> str:
    from urllib.parse import quote

    return quote(KEY, safe="")
