"""Posting the alert: retries with backoff, a timeout per attempt, an outcome for the record.

The only module of ``notify`` that does I/O; aiohttp's exceptions are mapped here, once, to
an error text that names the host but never the URL's key (see ``config.mask_url``).
Delivery never raises: whatever happens comes back as the outcome dict the run record holds
(``status`` delivered | failed, ``attempts``, ``http_status``, ``error``), and is logged.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, unquote_plus, urlsplit

from rescheduler.i18n import _
from rescheduler.notify.config import NotifyConfig
from rescheduler.notify.formats import WebhookRequest, judge

log = logging.getLogger("rescheduler.notify")
BACKOFF_S = 1.0  # first pause between attempts; doubled each time
BACKOFF_CAP_S = 30.0
MAX_ANSWER = 64 * 1024


def outcome(cfg: NotifyConfig, status: str, attempts: int = 0, http_status: int | None = None,
            error: str = "") -> dict[str, Any]:  # fmt: skip
    return {
        "format": cfg.format,
        "url": cfg.url_shown,
        "on": cfg.on,
        "status": status,
        "attempts": attempts,
        "http_status": http_status,
        "error": error,
    }


def _scrub(text: str, cfg: NotifyConfig, request: WebhookRequest) -> str:
    """``text`` without the URL's key in any form a receiver or aiohttp may print it in: the
    whole URL; every query value (the robot's key, the signature and its timestamp) and every
    path segment that looks like a key (8 characters or more, digits among them: Feishu's and
    Slack's keys are in the path), raw or percent-decoded; and the signing secret. Words of
    the path such as ``webhook`` stay (a service's "invalid webhook url" stays readable)."""
    for secret in (request.url, cfg.url.reveal()):
        text = text.replace(secret, cfg.url_shown)
    parts: set[str] = set()
    for url in (request.url, cfg.url.reveal()):
        split = urlsplit(url)
        pieces = [p for p in split.path.split("/") if len(p) >= 8 and any(c.isdigit() for c in p)]
        pairs = [pair.partition("=") for pair in split.query.split("&")]
        pieces += [value for _name, _eq, value in pairs]
        pieces += [value for _name, value in parse_qsl(split.query, keep_blank_values=True)]
        for piece in pieces:
            if len(piece) >= 4:
                parts.update((piece, unquote(piece), unquote_plus(piece), quote(piece, safe="")))
    if cfg.secret is not None:
        parts.add(cfg.secret.reveal())
    for secret in sorted(parts, key=len, reverse=True):  # the longest first: no piece left over
        if secret:
            text = text.replace(secret, "***")
    return text


def _pause(attempt: int, backoff_s: float, retry_after: str | None) -> float:
    pause: float = backoff_s * 2.0 ** (attempt - 1)
    if retry_after is not None and retry_after.strip().isdigit():
        pause = max(pause, float(retry_after.strip()))
    return min(pause, BACKOFF_CAP_S)


async def deliver(
    cfg: NotifyConfig,
    make_request: Callable[[float], WebhookRequest],
    *,
    backoff_s: float = BACKOFF_S,
    clock: Callable[[], float] = time.time,
) -> dict[str, Any]:
    """Post ``make_request(now)`` (rebuilt, so re-signed, for each attempt) until it is taken."""
    import aiohttp
    import anyio

    attempts, status, error = 0, None, ""
    timeout = aiohttp.ClientTimeout(total=cfg.timeout_s)
    headers = {"Content-Type": "application/json; charset=utf-8"}
    async with aiohttp.ClientSession(timeout=timeout, headers=headers) as session:
        while attempts < cfg.max_attempts:
            attempts += 1
            request = make_request(clock())
            retry, retry_after = True, None
            try:
                # never followed: a redirected POST becomes a GET without the message (and a
                # 307 would carry the key's message wherever Location says)
                async with session.post(
                    request.url, data=request.body, allow_redirects=False
                ) as response:
                    status = response.status
                    retry_after = response.headers.get("Retry-After")
                    verdict = judge(cfg.format, status, await response.content.read(MAX_ANSWER))
                if verdict.ok:
                    log.info(
                        "notification sent to %s (%s)", cfg.url_shown, cfg.format,
                        extra={"event": "notify.delivered", "attempts": attempts},
                    )  # fmt: skip
                    return outcome(cfg, "delivered", attempts, status)
                retry, error = verdict.retry, verdict.detail
            except TimeoutError:
                error = _("no answer within {seconds} s").format(seconds=f"{cfg.timeout_s:g}")
            except aiohttp.ClientConnectorError as exc:
                reason = exc.os_error.strerror or exc.os_error
                error = _("cannot connect to {url}: {reason}").format(
                    url=cfg.url_shown, reason=reason
                )
            except aiohttp.ClientError as exc:
                error = f"{type(exc).__name__}: {exc}"
            error = _scrub(error, cfg, request)
            if not retry or attempts >= cfg.max_attempts:
                break
            await anyio.sleep(_pause(attempts, backoff_s, retry_after))
    log.warning(
        "notification to %s (%s) failed after %d attempt(s): %s",
        cfg.url_shown, cfg.format, attempts, error,
        extra={"event": "notify.failed", "attempts": attempts},
    )  # fmt: skip
    return outcome(cfg, "failed", attempts, status, error)
