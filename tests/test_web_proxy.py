"""Behind a real TLS reverse proxy (``tests/revproxy.py``, its own process): with
``web.trusted_proxies`` the page sees each client's own address (throttling, audit log), sets
Secure cookies and HSTS, and its Origin check works though the proxy rewrites ``Host``; without
it, forwarded headers are ignored (issue 10, finding 6)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import aiohttp
import pytest

from rescheduler.web.audit import AUDIT_NAME
from rescheduler.web.proxy import forwarded_view, networks
from tests.test_tls import self_signed
from tests.webserver import csrf_in, session
from tests.webtools import (
    NAME,
    PASSWORD,
    add_user,
    cheap_passwords,  # noqa: F401  (autouse fixture)
    web_client,
    web_config,
)

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")
NOWHERE = "http://127.0.0.1:9"


@contextmanager
def reverse_proxy(tmp_path: Path, backend: str) -> Iterator[str]:
    cert, key = self_signed(tmp_path)
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.revproxy", "--backend", backend, "--cert", str(cert),
         "--key", str(key)],
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("listening on "), line
        yield f"https://127.0.0.1:{int(line.split()[-1])}"
    finally:
        process.terminate()
        process.wait(10)


async def _sign_in(
    client: aiohttp.ClientSession, url: str, password: str, name: str = NAME
) -> aiohttp.ClientResponse:
    async with client.get(url + "/login", ssl=False) as page:
        token = csrf_in(await page.text())
    data = {"csrf": token, "name": name, "password": password}
    async with client.post(url + "/login", data=data, allow_redirects=False, ssl=False) as r:
        await r.read()
        return r


@pytest.mark.anyio
async def test_behind_a_trusted_tls_proxy(tmp_path: Path) -> None:
    config = web_config(tmp_path, NOWHERE, web='trusted_proxies = ["127.0.0.1"]')
    add_user(config)
    async with (
        web_client(config) as backend,
        session("127.0.0.2") as guesser,
        session("127.0.0.3") as person,
    ):
        with reverse_proxy(tmp_path, f"http://127.0.0.1:{backend.server.port}") as url:
            async with guesser.get(url + "/login", ssl=False) as page:
                assert page.headers["Strict-Transport-Security"] == "max-age=31536000"
                assert page.cookies["rs_login"]["secure"]
            statuses = [(await _sign_in(guesser, url, "wrong password!")).status for _ in range(5)]
            assert statuses == [401] * 5
            assert (await _sign_in(guesser, url, PASSWORD)).status == 429  # this client only
            response = await _sign_in(person, url, PASSWORD)  # same account, another client
            assert response.status == 303
            assert response.cookies["rs_session"]["secure"]
            async with person.get(url + "/upload", ssl=False) as page:
                assert page.status == 200
                csrf = csrf_in(await page.text())
            # The proxy rewrote Host; X-Forwarded-Host (believed) keeps the Origin check right.
            async with person.post(
                url + "/logout",
                data={"csrf": csrf},
                headers={"Origin": url},
                allow_redirects=False,
                ssl=False,
            ) as response:
                assert response.status == 303
    assert config.web.data_dir is not None
    lines = (config.web.data_dir / AUDIT_NAME).read_text("utf-8").splitlines()
    entries = [json.loads(line) for line in lines]
    assert {(e["event"], e["from"]) for e in entries} == {
        ("sign-in-failed", "127.0.0.2"),
        ("sign-in", "127.0.0.3"),
        ("sign-out", "127.0.0.3"),
    }


@pytest.mark.anyio
async def test_forwarded_headers_are_ignored_unless_the_proxy_is_trusted(tmp_path: Path) -> None:
    config = web_config(tmp_path, NOWHERE)
    add_user(config)
    async with web_client(config) as backend, session("127.0.0.2") as client:
        with reverse_proxy(tmp_path, f"http://127.0.0.1:{backend.server.port}") as url:
            async with client.get(url + "/login", ssl=False) as page:
                assert "Strict-Transport-Security" not in page.headers
                assert not page.cookies["rs_login"]["secure"]
        # Straight to the server, claiming other addresses: still one client, locked out.
        direct = str(backend.make_url("")).rstrip("/")
        for n in range(5):
            async with client.get(direct + "/login") as page:
                token = csrf_in(await page.text())
            data = {"csrf": token, "name": NAME, "password": "wrong password!"}
            headers = {"X-Forwarded-For": f"10.9.8.{n}", "X-Forwarded-Proto": "https"}
            async with client.post(direct + "/login", data=data, headers=headers) as r:
                assert r.status == 401
        async with client.post(
            direct + "/login", data={"csrf": token, "name": NAME, "password": PASSWORD}
        ) as r:
            assert r.status == 429


def test_the_client_is_the_right_most_address_no_trusted_proxy_wrote() -> None:
    from multidict import CIMultiDict, CIMultiDictProxy

    trusted = networks(["127.0.0.1", "10.0.0.0/8"])

    def view(peer: str, **headers: str) -> tuple[str, str, str]:
        items = CIMultiDictProxy(CIMultiDict({k.replace("_", "-"): v for k, v in headers.items()}))
        v = forwarded_view(peer, "http", "backend:8080", items, trusted)
        return v.remote, v.scheme, v.host

    xff = "X_Forwarded_For"
    assert view("127.0.0.1", **{xff: "6.6.6.6, 1.2.3.4, 10.1.1.1"}) == (
        "1.2.3.4", "http", "backend:8080"
    )  # fmt: skip
    assert view("127.0.0.1", **{xff: "10.1.1.2"}) == ("10.1.1.2", "http", "backend:8080")
    assert view("8.8.8.8", **{xff: "1.2.3.4"}) == ("8.8.8.8", "http", "backend:8080")
    assert view("127.0.0.1", **{xff: "not an address, 1.2.3.4"})[0] == "1.2.3.4"
    assert view("127.0.0.1", **{xff: "1.2.3.4, bogus"})[0] == "127.0.0.1"
    proto, host = "X_Forwarded_Proto", "X_Forwarded_Host"
    assert view("127.0.0.1", **{proto: "https", host: "page.example:443"})[1:] == (
        "https", "page.example:443"
    )  # fmt: skip
    assert view("127.0.0.1", **{proto: "gopher", host: "evil\r\nx"})[1:] == (
        "http", "backend:8080"
    )  # fmt: skip
