"""The HTTP boundary: the only module that imports aiohttp's client.

One ``ClientSession`` per run. Each ``send`` signs the request afresh (new timestamp) over the
exact body bytes and the exact Host value sent, and classifies what came back into an
``Outcome``. aiohttp's exceptions are mapped here, once; nothing aiohttp-specific leaks out.
The Authorization header is built inside ``send`` and never stored, logged or put in a message.
"""

from __future__ import annotations

import ssl
import time
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import orjson

from rescheduler.auth import sign, utc_timestamp
from rescheduler.config import Secret, ServerConfig
from rescheduler.models import Outcome, OutcomeKind, WireRequest

SUCCESS = "0200000"
CONTENT_TYPE = "application/json; charset=UTF-8"
_SNIPPET = 120


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


def classify(status: int, reason: str, body: bytes, retry_after: float | None) -> Outcome:
    """Pure: an HTTP answer -> Outcome."""
    if status == 401:
        return Outcome(
            OutcomeKind.UNAUTHORIZED,
            http_status=401,
            message="HTTP 401: the server rejected the credentials",
        )
    if status != 200:
        return Outcome(
            OutcomeKind.HTTP_ERROR,
            http_status=status,
            message=f"HTTP {status} {reason}".rstrip() + (f": {_snippet(body)}" if body else ""),
            retry_after_s=retry_after,
        )
    try:
        data: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        data = None
    if not isinstance(data, dict) or not ("resultCode" in data or "returnCode" in data):
        return Outcome(
            OutcomeKind.BAD_RESPONSE,
            http_status=status,
            message=f"HTTP 200 but the answer is not an iSales JSON reply: {_snippet(body)!r}",
        )
    fields = {k: "" if data.get(k) is None else str(data.get(k)) for k in _FIELDS}
    code = fields["resultCode"] or fields["returnCode"]
    ok = code == SUCCESS and fields["returnCode"] in ("", SUCCESS)
    message = "" if ok else f"{code}: {fields['resultDesc'] or fields['returnDesc']}".rstrip(": ")
    return Outcome(
        OutcomeKind.SUCCEEDED if ok else OutcomeKind.REJECTED,
        http_status=status,
        result_code=fields["resultCode"],
        result_desc=fields["resultDesc"],
        return_code=fields["returnCode"],
        return_desc=fields["returnDesc"],
        message=message,
    )


_FIELDS = ("resultCode", "resultDesc", "returnCode", "returnDesc")


def ssl_context(server: ServerConfig) -> ssl.SSLContext | bool:
    if not server.base_url.startswith("https"):
        return True
    if not server.verify_tls:
        return False
    context = ssl.create_default_context(cafile=str(server.ca_file) if server.ca_file else None)
    return context


class Transport:
    """``async with Transport(...) as t: outcome = await t.send(wire)``."""

    def __init__(
        self, server: ServerConfig, access_key: str, secret_key: Secret, concurrency: int
    ) -> None:
        parts = urlsplit(server.base_url)
        self._origin = f"{parts.scheme}://{parts.netloc}"
        self._host = parts.netloc  # exactly what is sent in Host, and signed
        self._server = server
        self._access_key = access_key
        self._secret = secret_key
        self._concurrency = concurrency
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Transport:
        connector = aiohttp.TCPConnector(
            limit=self._concurrency,
            ssl=ssl_context(self._server),
            enable_cleanup_closed=False,
        )
        self._session = aiohttp.ClientSession(
            base_url=self._origin,
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=self._server.timeout_s),
            skip_auto_headers=("User-Agent",),
            raise_for_status=False,
            auto_decompress=True,
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def send(self, wire: WireRequest) -> Outcome:
        assert self._session is not None, "use 'async with Transport(...)'"
        headers = {"Host": self._host, "Content-Type": CONTENT_TYPE}
        headers["Authorization"] = sign(
            access_key=self._access_key,
            secret_key=self._secret.reveal(),
            method="POST",
            path=wire.path,
            headers={"host": self._host},
            body=wire.body,
            timestamp=utc_timestamp(),
        )
        try:
            async with self._session.post(wire.path, data=wire.body, headers=headers) as resp:
                body = await resp.read()
                retry_after = None
                if resp.status in (429, 503):
                    retry_after = parse_retry_after(resp.headers.get("Retry-After"), time.time())
                return classify(resp.status, resp.reason or "", body, retry_after)
        except TimeoutError:
            return Outcome(
                OutcomeKind.TIMEOUT,
                message=f"no answer within {self._server.timeout_s:g} s (server.timeout_s)",
            )
        except aiohttp.ClientConnectorCertificateError as exc:
            return Outcome(
                OutcomeKind.CONNECTION,
                message=f"TLS certificate of {self._host} not trusted ({exc.certificate_error}); "
                "set server.ca_file to your CA's PEM file",
            )
        except aiohttp.ClientConnectorError as exc:
            return Outcome(
                OutcomeKind.CONNECTION,
                message=f"cannot connect to {self._host}: {exc.os_error.strerror or exc}",
            )
        except aiohttp.ServerDisconnectedError:
            return Outcome(
                OutcomeKind.CONNECTION, message=f"{self._host} closed the connection (no answer)"
            )
        except (aiohttp.ClientError, OSError) as exc:
            kind = type(exc).__name__
            return Outcome(
                OutcomeKind.CONNECTION, message=f"connection to {self._host} failed: {kind} {exc}"
            )
