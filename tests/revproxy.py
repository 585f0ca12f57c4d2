"""A small TLS reverse proxy, run as its own process by the proxy tests (loopback only).

    python -m tests.revproxy --backend http://127.0.0.1:PORT --cert C --key K

Listens on a free 127.0.0.1 port (printed as the first line, ``listening on PORT``), serves
HTTPS and forwards every request to the backend as the usual proxies do: it appends the
client's address to ``X-Forwarded-For``, sets ``X-Forwarded-Proto: https`` and
``X-Forwarded-Host`` (the Host the browser asked for), and *rewrites* ``Host`` to the backend's
address. Redirects and cookies pass through untouched.
"""

from __future__ import annotations

import argparse
import asyncio
import ssl
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web

SESSION = web.AppKey("session", aiohttp.ClientSession)
_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "upgrade", "host",
        "content-length"}  # fmt: skip


def make_proxy(backend: str) -> web.Application:
    app = web.Application(client_max_size=64 * 1024 * 1024)
    backend_host = backend.split("://", 1)[1]

    async def forward(request: web.Request) -> web.StreamResponse:
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP}
        chain = request.headers.get("X-Forwarded-For")
        peer = request.remote or ""
        headers["X-Forwarded-For"] = f"{chain}, {peer}" if chain else peer
        headers["X-Forwarded-Proto"] = "https"
        headers["X-Forwarded-Host"] = request.host
        headers["Host"] = backend_host
        body = await request.read()
        session = request.app[SESSION]
        async with session.request(
            request.method,
            backend + request.path_qs,
            headers=headers,
            data=body,
            allow_redirects=False,
        ) as upstream:
            payload = await upstream.read()
            out = [(k, v) for k, v in upstream.headers.items() if k.lower() not in _HOP]
        response = web.Response(status=upstream.status, body=payload)
        for key, value in out:
            response.headers.add(key, value)
        return response

    async def session_context(app: web.Application) -> AsyncIterator[None]:
        app[SESSION] = aiohttp.ClientSession(auto_decompress=False)
        yield
        await app[SESSION].close()

    app.cleanup_ctx.append(session_context)
    app.router.add_route("*", "/{tail:.*}", forward)
    return app


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    args = parser.parse_args()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(args.cert, args.key)
    runner = web.AppRunner(make_proxy(args.backend), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
    await site.start()
    print(f"listening on {runner.addresses[0][1]}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
