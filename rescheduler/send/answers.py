"""What a server's answer means, and how much of it is read: pure, no aiohttp.

``classify`` turns an HTTP answer (status, reason, body, ``Retry-After``, ``Location``) into an
``Outcome``: success, a rejection with the server's code and text, a 401, an HTTP error, a
redirect (never followed: a final failure naming the ``Location``) or an answer that is not an
iSales reply. An update's answer is read up to ``MAX_ANSWER_BYTES`` and a list page up to
``page_bytes(page_size)``; a 200 answer over its bound is ``too_large`` (final). The transport
(``send.transport``) reads, scrubs and hands the answers here.
"""

from __future__ import annotations

from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import Any

import orjson

from rescheduler.i18n import _, current_language
from rescheduler.models import Outcome, OutcomeKind

SUCCESS = "0200000"
_SNIPPET = 120
MAX_ANSWER_BYTES = 64 * 1024  # an update's answer; iSales answers are under 1 KB
MAX_PAGE_BYTES = 32 * 1024 * 1024  # a list page, at least (see page_bytes)
_PAGE_ITEM_BYTES = 2048  # room per item for large list pages


def page_bytes(page_size: int) -> int:
    """The most a list page of ``page_size`` items may hold: 32 MiB, or 2 KiB per item."""
    return max(MAX_PAGE_BYTES, page_size * _PAGE_ITEM_BYTES)


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit // 1024} KB"


def too_large(limit: int) -> Outcome:
    """A 200 answer longer than ``limit`` bytes: not an iSales answer. Final (not retried)."""
    return Outcome(
        OutcomeKind.TOO_LARGE,
        http_status=200,
        message=_(
            "HTTP 200, but the answer is larger than {limit} (an iSales answer is under 1 KB), "
            "so it was not read: the server may or may not have applied the update; ask your "
            "administrator to check server.base_url"
        ).format(limit=_size(limit)),
    )


def _snippet(data: bytes) -> str:
    text = data[:_SNIPPET].decode("utf-8", "replace").replace("\r", " ").replace("\n", " ")
    return text + ("…" if len(data) > _SNIPPET else "")


def parse_retry_after(value: str | None, now_epoch_s: float) -> float | None:
    """``Retry-After`` as seconds from now: delta-seconds or an HTTP date; None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - now_epoch_s)


def classify(
    status: int, reason: str, body: bytes, retry_after: float | None, location: str = ""
) -> Outcome:
    """Pure: an HTTP answer -> Outcome. ``location`` is a 3xx answer's ``Location`` header.

    A server's answers repeat byte for byte ("update success"), and an Outcome is immutable,
    so short answers are classified once and shared (a small bounded cache, keyed by the
    language too: an Outcome's message is in the current language).
    """
    if 300 <= status < 400:
        return _redirect(status, reason, location)
    if len(body) <= 512:
        return _classify_short(status, reason, body, retry_after, current_language())
    return _classify(status, reason, body, retry_after)


@lru_cache(maxsize=64)
def _classify_short(
    status: int, reason: str, body: bytes, retry_after: float | None, language: str
) -> Outcome:
    return _classify(status, reason, body, retry_after)


def _classify(status: int, reason: str, body: bytes, retry_after: float | None) -> Outcome:
    return classify_decoded(status, reason, body, decode(status, body), retry_after)


def decode(status: int, body: bytes) -> Any:
    """A 200 answer's JSON body, decoded; None for any other status or a body that is not
    JSON."""
    if status != 200:
        return None
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return None


def classify_decoded(
    status: int, reason: str, body: bytes, data: Any, retry_after: float | None, location: str = ""
) -> Outcome:
    """``classify`` for an answer whose body is already decoded (``data``; None if not JSON)."""
    if 300 <= status < 400:
        return _redirect(status, reason, location)
    if status == 401:
        return Outcome(
            OutcomeKind.UNAUTHORIZED,
            http_status=401,
            message=_("HTTP 401: the server rejected the credentials"),
        )
    if status != 200:
        return Outcome(
            OutcomeKind.HTTP_ERROR,
            http_status=status,
            message=f"HTTP {status} {reason}".rstrip() + (f": {_snippet(body)}" if body else ""),
            retry_after_s=retry_after,
        )
    if not isinstance(data, dict) or not ("resultCode" in data or "returnCode" in data):
        return Outcome(
            OutcomeKind.BAD_RESPONSE,
            http_status=status,
            message=_(
                "HTTP 200, but the answer is not an iSales reply; ask your administrator to "
                "check server.base_url: {body}"
            ).format(body=repr(_snippet(body))),
        )
    result_code, result_desc = _text(data.get("resultCode")), _text(data.get("resultDesc"))
    return_code, return_desc = _text(data.get("returnCode")), _text(data.get("returnDesc"))
    code = result_code or return_code
    ok = code == SUCCESS and return_code in ("", SUCCESS)
    message = "" if ok else f"{code}: {result_desc or return_desc}".rstrip(": ")
    return Outcome(
        OutcomeKind.SUCCEEDED if ok else OutcomeKind.REJECTED,
        http_status=status,
        result_code=result_code,
        result_desc=result_desc,
        return_code=return_code,
        return_desc=return_desc,
        message=message,
    )


def _redirect(status: int, reason: str, location: str) -> Outcome:
    head = f"HTTP {status} {reason}".rstrip()
    where = _snippet(location.encode("utf-8", "replace")) if location else ""
    if where:
        message = _(
            "{head}: the server redirects this update to {location}; redirects are not "
            "followed: check server.base_url"
        ).format(head=head, location=where)
    else:
        message = _(
            "{head}: the server answered with a redirect; redirects are not followed: "
            "check server.base_url"
        ).format(head=head)
    return Outcome(OutcomeKind.HTTP_ERROR, http_status=status, message=message)


def _text(value: object) -> str:
    """A JSON field as text: None -> "", str as is, anything else ``str()``."""
    return value if type(value) is str else "" if value is None else str(value)
