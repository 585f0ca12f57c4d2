"""Sign-in, sessions, CSRF and throttling of the upload page (aiohttp's test client)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rescheduler.web.throttle import LoginThrottle
from tests.webtools import (
    NAME,
    PASSWORD,
    add_user,
    cheap_passwords,  # noqa: F401  (autouse fixture)
    csrf_in,
    sign_in,
    upload_form,
    web_client,
    web_config,
)

pytestmark = pytest.mark.anyio
NOWHERE = "http://127.0.0.1:9"  # never contacted: these tests send nothing


async def test_nothing_without_signing_in(tmp_path: Path) -> None:
    config = web_config(tmp_path, NOWHERE)
    add_user(config)
    async with web_client(config) as client:
        for path in ("/", "/upload", "/runs", "/runs/abcdefghijkl", "/template.xlsx"):
            response = await client.get(path, allow_redirects=False)
            assert response.status in (302, 303), path
            assert response.headers["Location"].startswith("/login"), path
        json = {"Accept": "application/json"}
        response = await client.get("/runs/abcdefghijkl/status", headers=json)
        assert response.status == 401
        for path in ("/upload", "/runs/abcdefghijkl/start", "/runs/abcdefghijkl/stop"):
            response = await client.post(path, data={"csrf": "x"}, allow_redirects=False)
            assert response.status == 401, path
        response = await client.get("/runs/abcdefghijkl/files/results", allow_redirects=False)
        assert response.status == 303
        login = await client.get("/login")
        assert login.status == 200
        assert (await client.get("/static/app.js")).status == 200


async def test_sign_in_sets_a_strict_httponly_session_and_sign_out_ends_it(tmp_path: Path) -> None:
    config = web_config(tmp_path, NOWHERE)
    add_user(config)
    async with web_client(config) as client:
        page = await client.get("/login?next=/runs")
        token = csrf_in(await page.text())
        response = await client.post(
            "/login",
            data={"csrf": token, "name": NAME, "password": PASSWORD, "next": "/runs"},
            allow_redirects=False,
        )
        assert response.status == 303
        assert response.headers["Location"] == "/runs"
        cookie = response.cookies["rs_session"]
        assert cookie["httponly"] is True
        assert cookie["samesite"] == "Strict"
        assert not cookie["secure"]  # plain HTTP here; Secure is set when served over TLS
        assert len(cookie.value) >= 40
        assert "Content-Security-Policy" in response.headers
        page = await client.get("/upload")
        assert page.status == 200
        csrf = csrf_in(await page.text())
        response = await client.post("/logout", data={"csrf": csrf}, allow_redirects=False)
        assert response.status == 303
        response = await client.get("/upload", allow_redirects=False)
        assert response.status == 303


async def test_next_never_leaves_the_site(tmp_path: Path) -> None:
    config = web_config(tmp_path, NOWHERE)
    add_user(config)
    async with web_client(config) as client:
        token = csrf_in(await (await client.get("/login")).text())
        data = {"csrf": token, "name": NAME, "password": PASSWORD, "next": "//evil.example/x"}
        response = await client.post("/login", data=data, allow_redirects=False)
        assert response.headers["Location"] == "/"


@pytest.mark.parametrize(("name", "password"), [(NAME, "wrong password!"), ("bob", PASSWORD)])
async def test_wrong_name_or_password_same_answer(tmp_path: Path, name: str, password: str) -> None:
    config = web_config(tmp_path, NOWHERE)
    add_user(config)
    async with web_client(config) as client:
        token = csrf_in(await (await client.get("/login")).text())
        data = {"csrf": token, "name": name, "password": password}
        response = await client.post("/login", data=data, allow_redirects=False)
        assert response.status == 401
        assert "Wrong name or password." in await response.text()
        assert "rs_session" not in response.cookies


async def test_sign_in_form_needs_its_token(tmp_path: Path) -> None:
    config = web_config(tmp_path, NOWHERE)
    add_user(config)
    async with web_client(config) as client:
        data = {"csrf": "forged", "name": NAME, "password": PASSWORD}
        response = await client.post("/login", data=data, allow_redirects=False)
        assert response.status == 403
        assert "rs_session" not in response.cookies


async def test_sign_ins_are_throttled(tmp_path: Path) -> None:
    now = [1000.0]
    throttle = LoginThrottle(free=5, base_s=30, clock=lambda: now[0])
    config = web_config(tmp_path, NOWHERE)
    add_user(config)
    async with web_client(config, throttle=throttle) as client:
        token = csrf_in(await (await client.get("/login")).text())

        async def attempt(password: str) -> int:
            data = {"csrf": token, "name": NAME, "password": password}
            return (await client.post("/login", data=data, allow_redirects=False)).status

        assert [await attempt("nope nope nope") for _ in range(5)] == [401] * 5
        response = await client.post(
            "/login", data={"csrf": token, "name": NAME, "password": PASSWORD}
        )
        assert response.status == 429  # even the right password, while locked
        assert "Try again in 30 seconds" in await response.text()
        now[0] += 31
        assert await attempt("still wrong!!") == 401  # sixth failure: locked for 60 s now
        now[0] += 31
        assert await attempt(PASSWORD) == 429
        now[0] += 30
        assert await attempt(PASSWORD) == 303


async def test_posts_without_the_csrf_token_are_refused(tmp_path: Path) -> None:
    config = web_config(tmp_path, NOWHERE)
    add_user(config)
    async with web_client(config) as client:
        csrf = await sign_in(client)
        for data in ({}, {"csrf": "forged"}):
            response = await client.post("/logout", data=data, allow_redirects=False)
            assert response.status == 403
            assert "The form had expired" in await response.text()
        assert (await client.get("/upload", allow_redirects=False)).status == 200  # still in
        # The upload form streams: its first part must be the token.
        form = upload_form(None, "changes.csv", b"appointId,userAccount\n1,a\n")
        response = await client.post("/upload", data=form)
        assert response.status == 400
        form = upload_form("forged", "changes.csv", b"appointId,userAccount\n1,a\n")
        response = await client.post("/upload", data=form)
        assert response.status == 403
        assert config.web.data_dir is not None
        assert list((config.web.data_dir / "runs").iterdir()) == []
        # The token in a header works (as fetch() would send it); another Origin never does.
        response = await client.post(
            "/logout",
            headers={"X-CSRF-Token": csrf, "Origin": "http://evil.example"},
            allow_redirects=False,
        )
        assert response.status == 403
        response = await client.post(
            "/logout", headers={"X-CSRF-Token": csrf}, allow_redirects=False
        )
        assert response.status == 303


async def test_unknown_pages_and_runs_are_404_with_security_headers(tmp_path: Path) -> None:
    config = web_config(tmp_path, NOWHERE)
    add_user(config)
    async with web_client(config) as client:
        await sign_in(client)
        for path in (
            "/nope",
            "/runs/abcdefghijkl",
            "/runs/../../etc",
            "/runs/abcdefghijkl/files/x",
        ):
            response = await client.get(path)
            assert response.status == 404, path
            assert "Not found" in await response.text()
            assert response.headers["X-Frame-Options"] == "DENY"
            assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
