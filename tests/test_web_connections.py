"""Connections from hostile clients (hostile-web findings 3 and 9), on the real listening stack.

``serving.start`` runs the app as ``rescheduler serve`` does (``GuardedRunner``), on a free
loopback port; the clients are raw sockets. The deadline is short here (``request_timeout_s``
0.3 s); each test counts what the server did (closed, answered, refused), with generous limits
on how long it may take.
"""

from __future__ import annotations

import asyncio
import errno
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from rescheduler.web.app import make_app
from rescheduler.web.guard import Quiet
from rescheduler.web.serving import quiet_accept_errors, start
from rescheduler.web.throttle import address_key
from tests.webserver import free_port
from tests.webtools import add_user, cheap_passwords, web_config  # noqa: F401

pytestmark = pytest.mark.anyio
NOWHERE = "http://127.0.0.1:9"
HOST = b"Host: 127.0.0.1\r\n"
WEB = "request_timeout_s = 0.3\nmin_body_rate = 1000\nmax_connections_per_address = 4"


@asynccontextmanager
async def listening(tmp_path: Path, web: str = WEB) -> AsyncIterator[int]:
    config = web_config(tmp_path, NOWHERE, web=web)
    add_user(config)
    assert config.web.data_dir is not None
    port = free_port()
    runner = await start(make_app(config, config.web.data_dir), config, "127.0.0.1", port)
    try:
        yield port
    finally:
        await runner.cleanup()


async def _closed_within(reader: asyncio.StreamReader, seconds: float) -> bytes | None:
    """What the server sent before closing, or None if it kept the connection open."""
    try:
        async with asyncio.timeout(seconds):
            return await reader.read()
    except TimeoutError:
        return None


async def _connect(port: int, source: str = "127.0.0.1") -> tuple[asyncio.StreamReader, ...]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
    return reader, writer  # type: ignore[return-value]


# -- finding 3: slow requests time out ----------------------------------------------------------
async def test_a_trickled_body_and_a_silent_connection_are_closed(tmp_path: Path) -> None:
    async with listening(tmp_path) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            b"POST /login HTTP/1.1\r\n" + HOST + b"Content-Type: application/x-www-form-"
            b"urlencoded\r\nContent-Length: 100000\r\n\r\na="
        )
        silent_reader, silent_writer = await asyncio.open_connection("127.0.0.1", port)

        async def trickle() -> None:
            for _ in range(30):
                await asyncio.sleep(0.1)
                if writer.is_closing():
                    return
                writer.write(b"b")

        trickling = asyncio.ensure_future(trickle())
        assert await _closed_within(reader, 10) is not None  # closed, not answered
        assert await _closed_within(silent_reader, 10) == b""
        trickling.cancel()
        writer.close()
        silent_writer.close()


async def test_a_body_that_keeps_up_the_minimum_rate_is_answered(tmp_path: Path) -> None:
    body = b"name=ann&password=x&csrf=y&next=%2F" + b"&pad=" + b"p" * 3_000
    async with listening(tmp_path) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            b"POST /login HTTP/1.1\r\n" + HOST + b"Connection: close\r\nContent-Type: "
            b"application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n" % len(body)
        )
        for start_at in range(0, len(body), 300):  # ~3,000 bytes/s for a second: past 0.3 s
            writer.write(body[start_at : start_at + 300])
            await asyncio.sleep(0.1)
        answer = await _closed_within(reader, 10)
        writer.close()
    assert answer is not None
    assert answer.startswith(b"HTTP/1.1 403")  # the sign-in form's own answer: no CSRF cookie


async def test_connections_past_the_cap_from_one_address_are_refused_others_served(
    tmp_path: Path,
) -> None:
    async with listening(tmp_path, web="max_connections_per_address = 4") as port:
        held = [await asyncio.open_connection("127.0.0.1", port) for _ in range(10)]
        ends = await asyncio.gather(*(_closed_within(reader, 1.0) for reader, _ in held))
        refused = ends.count(b"")
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", port, local_addr=("127.0.0.2", 0)
        )
        writer.write(b"GET /login HTTP/1.1\r\n" + HOST + b"Connection: close\r\n\r\n")
        answer = await _closed_within(reader, 10)
        writer.close()
        for _reader, held_writer in held:
            held_writer.close()
    assert refused == 6  # 4 may stay open (until their deadline)
    assert answer is not None
    assert answer.startswith(b"HTTP/1.1 200")


def test_ipv6_addresses_count_per_64() -> None:
    assert address_key("2001:db8:1:2::1") == address_key("2001:db8:1:2:ffff:0:0:9")
    assert address_key("2001:db8:1:2::1") == "2001:db8:1:2::/64"
    assert address_key("2001:db8:1:3::1") != address_key("2001:db8:1:2::1")
    assert address_key("::ffff:192.0.2.7") == "192.0.2.7"
    assert address_key("192.0.2.7") == "192.0.2.7"


def test_errors_accepting_connections_are_logged_once_a_minute(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = [0.0]
    quiet = Quiet(60.0, clock=lambda: now[0])
    loop = asyncio.new_event_loop()
    try:
        quiet_accept_errors(loop, quiet)
        error = OSError(errno.EMFILE, "Too many open files")
        with caplog.at_level(logging.WARNING, logger="rescheduler.web"):
            for _ in range(1_000):
                loop.call_exception_handler(
                    {"message": "socket.accept() out of system resource", "exception": error}
                )
            now[0] = 61.0
            loop.call_exception_handler({"message": "accept", "exception": error})
    finally:
        loop.close()
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [
        "cannot accept connections: Too many open files",
        "cannot accept connections: Too many open files (999 more like it in the last 60 s)",
    ]
    assert all(r.exc_info is None for r in caplog.records)


# -- finding 9: aiohttp's parser refusals carry our headers and echo nothing -----------------------
MALFORMED = {
    "a 10 KB header": b"GET /login HTTP/1.1\r\n" + HOST + b"X-A: " + b"a" * 10_000 + b"\r\n\r\n",
    "a 10 KB request line": b"GET /" + b"a" * 10_000 + b" HTTP/1.1\r\n" + HOST + b"\r\n",
    "a bad method": b"G<T /login HTTP/1.1\r\n" + HOST + b"\r\n",
    "a bad chunk": b"POST /login HTTP/1.1\r\n" + HOST + b"Transfer-Encoding: chunked\r\n"
    b"Content-Type: application/x-www-form-urlencoded\r\n\r\nzz\r\n",
    "Content-Length and chunked": b"POST /login HTTP/1.1\r\n" + HOST + b"Content-Length: 3\r\n"
    b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "not HTTP": b"\x16\x03\x01 garbage\r\n\r\n",
}


async def test_malformed_requests_get_a_short_answer_with_the_security_headers(
    tmp_path: Path,
) -> None:
    answers = {}
    async with listening(tmp_path, web="") as port:
        for label, request in MALFORMED.items():
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(request)
            answers[label] = await _closed_within(reader, 10)
            writer.close()
    for label, answer in answers.items():
        assert answer is not None, label
        head, _, body = answer.partition(b"\r\n\r\n")
        headers = head.decode("latin-1").lower()
        assert headers.split(" ", 2)[1] == "400", (label, headers)
        assert "server: rescheduler\r\n" in headers, label
        assert "content-security-policy: default-src 'none'" in headers, label
        assert "x-frame-options: deny" in headers, label
        assert "aiohttp" not in headers, label
        assert "python" not in headers, label
        assert body == b"400 Bad Request\n", (label, body[:100])
