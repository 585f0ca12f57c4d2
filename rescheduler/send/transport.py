"""The HTTP boundary: the only module that imports aiohttp's client.

One ``ClientSession`` per run. Each ``send`` signs the request afresh (new timestamp) over the
exact body bytes and the exact Host value sent, and classifies what came back into an
``Outcome``. ``fetch`` is the same signed POST for a call whose answer carries data
(``appoint/list``): it also returns the decoded JSON body. aiohttp's exceptions are mapped here,
once; nothing aiohttp-specific leaks out. The Authorization header is built inside
``send``/``fetch`` and never stored, logged or put in a message.

What a server sends back is bounded and scrubbed before anything is made of it: an update's
answer is read up to ``MAX_ANSWER_BYTES`` (an iSales answer is under 1 KB; a 200 that is
longer is a final failure, ``TOO_LARGE``: not retried, the same server would answer the same),
a list page up to ``page_bytes(page_size)``; every text taken from the answer (descriptions,
an error page, the reason phrase, a ``Location``) passes through ``scrub.Scrubber``, so an
answer that echoes the Authorization header, its signature or the secret key never reaches a
report, the journal or a log.

How an answer is classified, and the bounds it is read to, is ``send.answers`` (pure).

Redirects are never followed: aiohttp would repeat a 301/302 as a GET without the body and
report the other address's answer as this update's. A 3xx is a final failure naming the
``Location`` (the configured ``server.base_url`` is wrong). A certificate that is not trusted
is its own outcome (``CERTIFICATE``): final, and it stops the run, since every row would meet it.
"""

from __future__ import annotations

import hmac
import ssl
import time
from dataclasses import replace
from datetime import UTC, datetime
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from yarl import URL

from rescheduler.config import Secret, ServerConfig
from rescheduler.i18n import _
from rescheduler.models import Outcome, OutcomeKind, WireRequest
from rescheduler.scrub import Scrubber
from rescheduler.send.answers import (
    MAX_ANSWER_BYTES,
    MAX_PAGE_BYTES,
    classify,
    classify_decoded,
    decode,
    parse_retry_after,
    too_large,
)
from rescheduler.send.auth import SCHEME, enc, format_timestamp, signing_key

CONTENT_TYPE = "application/json; charset=UTF-8"
_READ_CHUNK = 64 * 1024


async def read_bounded(resp: aiohttp.ClientResponse, limit: int) -> tuple[bytes, bool]:
    """``(body, whole)``: at most ``limit`` bytes of the answer; ``whole`` False if it is longer
    (then the connection is closed rather than drained)."""
    length = resp.content_length
    if length is not None and length > limit:
        resp.close()
        return b"", False
    parts: list[bytes] = []
    size = 0
    while True:
        chunk = await resp.content.read(min(_READ_CHUNK, limit + 1 - size))
        if not chunk:
            return b"".join(parts), True
        parts.append(chunk)
        size += len(chunk)
        if size > limit:
            resp.close()
            return b"".join(parts)[:limit], False


def _answer_headers(resp: aiohttp.ClientResponse, status: int) -> tuple[float | None, str]:
    """What an answer's headers add: ``Retry-After`` (429, 503) in seconds, ``Location`` (3xx)."""
    retry_after = None
    if status in (429, 503):
        retry_after = parse_retry_after(resp.headers.get("Retry-After"), time.time())
    location = resp.headers.get("Location", "") if 300 <= status < 400 else ""
    return retry_after, location


def ssl_context(server: ServerConfig) -> ssl.SSLContext | bool:
    if not server.base_url.startswith("https"):
        return True
    if not server.verify_tls:
        return False
    context = ssl.create_default_context(cafile=str(server.ca_file) if server.ca_file else None)
    return context


_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_ENC_BYTE = [chr(b) if b in _SAFE else f"%{b:02X}" for b in range(256)]  # auth.enc, per byte


class RequestSigner:
    """``auth.sign`` for one access key and one Host, with the per-second work done once.

    Signs what the transport sends: method POST, no query, only the ``host`` header. The
    signing key depends on the timestamp alone (whole seconds), so it is derived once a second
    instead of once a request; the body is percent-encoded byte by byte from a table. The
    result is byte-identical to ``auth.sign`` (tests/test_transport_signer.py).
    """

    __slots__ = ("_access_key", "_host_lines", "_key", "_prefix", "_second", "_secret")

    def __init__(self, access_key: str, secret_key: Secret, host: str) -> None:
        self._access_key = access_key
        self._secret = secret_key
        self._host_lines = f"host\nhost:{enc(host)}\n"  # signed headers; canonical headers
        self._second = -1
        self._prefix = ""
        self._key = b""

    def __call__(self, path: str, body: bytes, now: float | None = None) -> str:
        """The Authorization value for ``POST path`` with ``body``, at ``now`` (epoch s)."""
        second = int(time.time() if now is None else now)
        if second != self._second:
            stamp = format_timestamp(datetime.fromtimestamp(second, UTC))
            self._prefix = f"{SCHEME}/{self._access_key}/{stamp}/host"
            self._key = signing_key(self._secret.reveal(), self._prefix).encode("ascii")
            self._second = second
        table = _ENC_BYTE
        canonical = f"POST\n{path}\n{self._host_lines}{''.join([table[b] for b in body])}"
        return f"{self._prefix}/{hmac.digest(self._key, canonical.encode(), 'sha256').hex()}"


class Transport:
    """``async with Transport(...) as t: outcome = await t.send(wire)``."""

    def __init__(
        self,
        server: ServerConfig,
        access_key: str,
        secret_key: Secret,
        concurrency: int,
        *,
        page_limit: int = MAX_PAGE_BYTES,
    ) -> None:
        """``page_limit``: the most a ``fetch`` answer may hold (``page_bytes``)."""
        parts = urlsplit(server.base_url)
        self._origin = f"{parts.scheme}://{parts.netloc}"
        self._host = parts.netloc  # exactly what is sent in Host, and signed
        self._server = server
        self._sign = RequestSigner(access_key, secret_key, self._host)
        self._scrub = Scrubber((secret_key.reveal(),))
        self._sign_secret = secret_key.reveal().encode() if len(secret_key.reveal()) >= 4 else b""
        self._page_bytes = page_limit
        self._concurrency = concurrency
        self._session: aiohttp.ClientSession | None = None
        self._urls: dict[str, URL] = {}  # path -> absolute URL, joined as aiohttp would

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

    def _prepare(self, wire: WireRequest) -> tuple[str, dict[str, str], URL]:
        """The Authorization value (signed afresh), the headers and the URL for ``wire``."""
        authorization = self._sign(wire.path, wire.body)
        headers = {
            "Host": self._host,
            "Content-Type": CONTENT_TYPE,
            "Authorization": authorization,
        }
        url = self._urls.get(wire.path)
        if url is None:  # once per vdnId: spares aiohttp parsing and joining it per request
            url = self._urls[wire.path] = URL(self._origin).join(URL(wire.path))
        return authorization, headers, url

    async def send(self, wire: WireRequest) -> Outcome:
        assert self._session is not None, "use 'async with Transport(...)'"
        authorization, headers, url = self._prepare(wire)
        try:
            async with self._session.post(
                url, data=wire.body, headers=headers, allow_redirects=False
            ) as resp:
                status = resp.status
                body, whole = await read_bounded(resp, MAX_ANSWER_BYTES)
                if not whole and status == 200:  # an error page may be cut: its status decides
                    return too_large(MAX_ANSWER_BYTES)
                retry_after, location = _answer_headers(resp, status)
                outcome = classify(status, resp.reason or "", body, retry_after, location)
                return self._scrubbed(outcome, authorization)
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            return self._failed(exc)

    def _scrubbed(self, outcome: Outcome, authorization: str) -> Outcome:
        """``outcome`` without the secret key, this request's Authorization value or its
        signature in any text the server supplied (the same object when there is none)."""
        scrub = self._scrub
        signature = authorization.rpartition("/")[2]
        texts = (
            outcome.result_desc,
            outcome.return_desc,
            outcome.message,
            outcome.result_code,
            outcome.return_code,
        )
        if not any(text and scrub.dirty(text, signature) for text in texts):
            return outcome
        return replace(
            outcome,
            result_desc=scrub(outcome.result_desc, authorization, signature),
            return_desc=scrub(outcome.return_desc, authorization, signature),
            message=scrub(outcome.message, authorization, signature),
            result_code=scrub(outcome.result_code, authorization, signature),
            return_code=scrub(outcome.return_code, authorization, signature),
        )

    async def fetch(self, wire: WireRequest) -> tuple[Outcome, Any]:
        """``send`` for a call that answers with data: ``(outcome, decoded JSON or None)``.

        The body is decoded once (for the outcome and for the caller). Signed, sent and mapped
        exactly as ``send``; the caller retries through the same pool and policy.
        """
        assert self._session is not None, "use 'async with Transport(...)'"
        authorization, headers, url = self._prepare(wire)
        try:
            async with self._session.post(
                url, data=wire.body, headers=headers, allow_redirects=False
            ) as resp:
                status = resp.status
                body, whole = await read_bounded(resp, self._page_bytes)
                if not whole and status == 200:
                    return too_large(self._page_bytes), None
                body = self._scrubbed_body(body, authorization)
                retry_after, location = _answer_headers(resp, status)
                data = decode(status, body)
                reason = resp.reason or ""
                outcome = classify_decoded(status, reason, body, data, retry_after, location)
                return self._scrubbed(outcome, authorization), data
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            return self._failed(exc), None

    def _scrubbed_body(self, body: bytes, authorization: str) -> bytes:
        """A list page without the secrets ``_scrubbed`` hides (its items become file rows)."""
        signature = authorization.rpartition("/")[2].encode()
        needles = (SCHEME.encode(), signature, self._sign_secret)
        if not any(needle and needle in body for needle in needles):
            return body
        text = body.decode("utf-8", "surrogateescape")
        return self._scrub(text, authorization, signature.decode()).encode(
            "utf-8", "surrogateescape"
        )

    def _failed(self, exc: BaseException) -> Outcome:
        """An exception raised while sending, as the Outcome of that attempt."""
        if isinstance(exc, TimeoutError):
            return Outcome(
                OutcomeKind.TIMEOUT,
                message=_("no answer within {seconds} s (server.timeout_s)").format(
                    seconds=f"{self._server.timeout_s:g}"
                ),
            )
        if isinstance(exc, aiohttp.ClientConnectorCertificateError):
            return Outcome(
                OutcomeKind.CERTIFICATE,
                message=_(
                    "TLS certificate of {host} not trusted ({reason}); set server.ca_file to "
                    "your CA's PEM file"
                ).format(host=self._host, reason=exc.certificate_error),
            )
        if isinstance(exc, aiohttp.ClientConnectorError):
            return Outcome(
                OutcomeKind.CONNECTION,
                message=_("cannot connect to {host}: {reason}").format(
                    host=self._host, reason=exc.os_error.strerror or exc
                ),
            )
        if isinstance(exc, aiohttp.ServerDisconnectedError):
            return Outcome(
                OutcomeKind.CONNECTION,
                message=_("{host} closed the connection (no answer)").format(host=self._host),
            )
        kind = type(exc).__name__
        return Outcome(
            OutcomeKind.CONNECTION,
            message=_("connection to {host} failed: {reason}").format(
                host=self._host, reason=f"{kind} {exc}"
            ),
        )
