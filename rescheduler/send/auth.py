"""The auth-v2 AK/SK request signature (pure; see shared isales-api.md section 2).

``sign`` returns the ``Authorization`` header value for one request. It is called afresh for
every attempt, with the current UTC time, over the exact body bytes and Host value sent.
``verify`` is the server side of the same computation (the simulator uses it).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime
from urllib.parse import quote

SCHEME = "auth-v2"
_SAFE = "-._~"


def enc(text: str) -> str:
    """Percent-encode UTF-8, keeping only ``A-Z a-z 0-9 - . _ ~`` (uppercase hex)."""
    return quote(text, safe=_SAFE)


def format_timestamp(moment: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ`` in UTC, whole seconds."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_timestamp() -> str:
    return format_timestamp(datetime.now(UTC))


def canonical_request(
    method: str,
    path: str,
    query: Mapping[str, str] | None,
    headers: Mapping[str, str],
    body: bytes,
) -> tuple[str, str]:
    """Return ``(signed_headers, canonical_request)``; ``headers`` are the headers to sign."""
    lowered = {name.lower(): value for name, value in headers.items()}
    signed_headers = ";".join(sorted(lowered))
    lines = [method.upper(), path]
    if query:
        lines.append("&".join(sorted(f"{enc(k)}={enc(v)}" for k, v in query.items())))
    lines.append(signed_headers)
    lines.append("\n".join(sorted(f"{enc(name)}:{enc(value)}" for name, value in lowered.items())))
    lines.append(enc(body.decode("utf-8")))
    return signed_headers, "\n".join(lines)


def _hmac_hex(key: bytes, message: str) -> str:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).hexdigest()


def signing_key(secret_key: str, prefix: str) -> str:
    return _hmac_hex(secret_key.encode("utf-8"), prefix)


def sign(
    *,
    access_key: str,
    secret_key: str,
    method: str,
    path: str,
    headers: Mapping[str, str],
    body: bytes,
    timestamp: str,
    query: Mapping[str, str] | None = None,
) -> str:
    """The ``Authorization`` header value: ``auth-v2/{AK}/{ts}/{signedHeaders}/{signature}``."""
    signed_headers, canonical = canonical_request(method, path, query, headers, body)
    prefix = f"{SCHEME}/{access_key}/{timestamp}/{signed_headers}"
    key = signing_key(secret_key, prefix)
    return f"{prefix}/{_hmac_hex(key.encode('ascii'), canonical)}"


class ParsedAuthorization:
    """The five fields of an auth-v2 header (server side)."""

    __slots__ = ("access_key", "signature", "signed_headers", "timestamp")

    def __init__(self, access_key: str, timestamp: str, signed_headers: str, signature: str):
        self.access_key = access_key
        self.timestamp = timestamp
        self.signed_headers = signed_headers
        self.signature = signature


def parse_authorization(value: str) -> ParsedAuthorization | None:
    parts = value.split("/")
    if len(parts) != 5 or parts[0] != SCHEME or not all(parts[1:]):
        return None
    return ParsedAuthorization(parts[1], parts[2], parts[3], parts[4])


def parse_timestamp(ts: str) -> datetime | None:
    try:
        return datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None


def verify(
    *,
    authorization: str,
    secret_for: Mapping[str, str],
    method: str,
    path: str,
    query: Mapping[str, str] | None,
    headers: Mapping[str, str],
    body: bytes,
    now: datetime,
    max_skew_s: float,
) -> str | None:
    """Check a request's signature. Return ``None`` if valid, else the reason (no secrets)."""
    parsed = parse_authorization(authorization)
    if parsed is None:
        return "Authorization is not an auth-v2 header"
    secret = secret_for.get(parsed.access_key)
    if secret is None:
        return f"unknown access key {parsed.access_key!r}"
    moment = parse_timestamp(parsed.timestamp)
    if moment is None:
        return "bad timestamp"
    if abs((now - moment).total_seconds()) > max_skew_s:
        return "timestamp outside the allowed clock skew"
    names = parsed.signed_headers.split(";")
    lowered = {k.lower(): v for k, v in headers.items()}
    if any(name not in lowered for name in names):
        return "a signed header is missing from the request"
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return "body is not UTF-8"
    expected = sign(
        access_key=parsed.access_key,
        secret_key=secret,
        method=method,
        path=path,
        headers={name: lowered[name] for name in names},
        body=body,
        timestamp=parsed.timestamp,
        query=query,
    )
    if not hmac.compare_digest(expected, authorization):
        return "signature mismatch"
    return None
