"""Each chat service's request and answer (pure: no I/O; the clock is an argument).

Bodies, as each service documents its incoming webhook / custom robot:

- ``wecom`` (企业微信 group robot): ``{"msgtype": "markdown", "markdown": {"content": ...}}``,
  content at most 4096 bytes; answers ``{"errcode": 0, "errmsg": "ok"}``.
- ``dingtalk`` (钉钉 custom robot): ``{"msgtype": "markdown", "markdown": {"title", "text"}}``;
  answers ``{"errcode": 0, ...}``. Signed ("加签") when a secret is set: ``timestamp`` (epoch
  ms) and ``sign`` = Base64(HMAC-SHA256(key=secret, msg=f"{timestamp}\\n{secret}")),
  URL-encoded, added to the URL's query.
- ``feishu`` (飞书/Lark custom bot): ``{"msg_type": "text", "content": {"text": ...}}``;
  answers ``{"code": 0, ...}`` (older bots: ``{"StatusCode": 0, ...}``). Signed when a secret
  is set: ``timestamp`` (epoch seconds, a string) and ``sign`` =
  Base64(HMAC-SHA256(key=f"{timestamp}\\n{secret}", msg=b"")) in the body.
- ``slack`` (incoming webhook): ``{"text": fallback, "blocks": [section with mrkdwn]}``,
  ``&``, ``<`` and ``>`` escaped; answers HTTP 200 ``ok``.
- ``json``: the run record itself; any 2xx is success.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote_plus, urlencode, urlsplit, urlunsplit

from rescheduler.i18n import _
from rescheduler.notify.config import NotifyConfig
from rescheduler.notify.message import Message

WECOM_MAX_BYTES = 4096
SLACK_SECTION_MAX = 3000
ANSWER_SHOWN = 200  # characters of an unexpected answer kept in the error


@dataclass(frozen=True)
class WebhookRequest:
    url: str
    body: bytes


@dataclass(frozen=True)
class Verdict:
    ok: bool
    retry: bool = False
    detail: str = ""


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's ``sign`` before URL-encoding: Base64 of HMAC-SHA256 keyed by the secret."""
    message = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """Feishu's ``sign``: Base64 of HMAC-SHA256 keyed by ``"{timestamp}\\n{secret}"``, of b""."""
    key = f"{timestamp_s}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode("ascii")


def _cut_bytes(text: str, limit: int) -> str:
    data = text.encode()
    if len(data) <= limit:
        return text
    return data[: limit - 3].decode("utf-8", "ignore") + "…"


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _with_query(url: str, extra: Mapping[str, str]) -> str:
    parts = urlsplit(url)
    query = [*parse_qsl(parts.query, keep_blank_values=True), *extra.items()]
    return urlunsplit(parts._replace(query=urlencode(query, quote_via=quote_plus)))


def _dumps(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode()


def build(
    cfg: NotifyConfig, message: Message, record: Mapping[str, Any], now_s: float
) -> WebhookRequest:
    """The request for ``cfg.format``; ``now_s`` (epoch seconds) is used only for signing."""
    url = cfg.url.reveal()
    secret = cfg.secret.reveal() if cfg.secret is not None else None
    fmt = cfg.format
    body: Any
    if fmt == "wecom":
        mark = "info" if message.ok else "warning"
        content = f'<font color="{mark}">**{message.title}**</font>\n' + "\n".join(message.lines)
        content = _cut_bytes(content, WECOM_MAX_BYTES)
        body = {"msgtype": "markdown", "markdown": {"content": content}}
    elif fmt == "dingtalk":
        text = f"#### {message.title}\n\n" + "\n\n".join(message.lines)
        body = {"msgtype": "markdown", "markdown": {"title": message.title, "text": text}}
        if secret:
            stamp = int(now_s * 1000)
            url = _with_query(
                url, {"timestamp": str(stamp), "sign": dingtalk_sign(secret, stamp)}
            )
    elif fmt == "feishu":
        body = {"msg_type": "text", "content": {"text": message.text()}}
        if secret:
            stamp = int(now_s)
            body = {"timestamp": str(stamp), "sign": feishu_sign(secret, stamp), **body}
    elif fmt == "slack":
        section = f"*{_slack_escape(message.title)}*\n" + _slack_escape("\n".join(message.lines))
        body = {
            "text": _slack_escape(message.title),
            "blocks": [
                {
                    "type": "section",
                    "text": {"type": "mrkdwn", "text": section[:SLACK_SECTION_MAX]},
                }
            ],
        }
    else:
        body = record
    return WebhookRequest(url=url, body=_dumps(body))


def judge(fmt: str, status: int, answer: bytes) -> Verdict:
    """Was the message taken? Throttling (429) and server errors (5xx) are worth retrying."""
    shown = answer[:ANSWER_SHOWN].decode("utf-8", "replace").strip()
    if status == 429 or status >= 500:
        return Verdict(False, retry=True, detail=f"HTTP {status} {shown}".strip())
    if 300 <= status < 400:
        return Verdict(
            False,
            detail=_("HTTP {status}: the webhook redirects elsewhere (not followed); check "
                     "notify.url").format(status=status),
        )  # fmt: skip
    if not 200 <= status < 300:
        return Verdict(False, detail=f"HTTP {status} {shown}".strip())
    if fmt in ("slack", "json"):
        return Verdict(True)
    try:
        data = json.loads(answer)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        return Verdict(False, detail=_("unexpected answer: {answer}").format(answer=repr(shown)))
    if fmt == "feishu":
        code = data.get("code", data.get("StatusCode"))
        text = data.get("msg", data.get("StatusMessage", ""))
    else:
        code, text = data.get("errcode"), data.get("errmsg", "")
    if code == 0:
        return Verdict(True)
    return Verdict(False, detail=f"code {code}: {text}")
