"""Server answers that must never be taken at face value (issue 9, items 10 and 12).

* A ``Retry-After`` longer than ``send.max_retry_after_s`` (seconds or an HTTP date) is not
  waited for: the row fails at once, saying why, and the summary says so too.
* A redirect is never followed for an update: a 3xx is a final failure naming the Location.

Each against a hand-written server on 127.0.0.1; the client runs as a real process with a
safety deadline (the old behaviour waited for 27 hours).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from aiohttp import web

from tests.e2e import read_results, simple_rows, spawn, write_config, write_csv
from tests.fakeserver import SUCCESS, fake_server


def run_client(tmp_path: Path, base_url: str, count: int, **send: object) -> tuple[int, str]:
    write_csv(tmp_path / "in.csv", simple_rows(count))
    config = write_config(tmp_path / "c.toml", base_url, **send)
    client = spawn("run", str(tmp_path / "in.csv"), "-c", str(config), "--quiet", "--no-snapshot")
    try:
        _, err = client.communicate(timeout=60)
    finally:
        if client.poll() is None:
            client.kill()
    return client.returncode, err.decode()


@pytest.mark.parametrize("form", ["seconds", "http-date"])
def test_a_retry_after_over_the_cap_fails_the_row_at_once_saying_why(
    tmp_path: Path, form: str
) -> None:
    later = datetime.now(UTC) + timedelta(days=3 * 365)
    value = "99999" if form == "seconds" else format_datetime(later, usegmt=True)

    async def throttled(request: web.Request) -> web.StreamResponse:
        await request.read()
        return web.Response(status=429, headers={"Retry-After": value}, text="slow down")

    count = 6
    with fake_server(throttled) as fake:
        code, err = run_client(tmp_path, fake.base_url, count, concurrency=2, max_attempts=5)
        requests = len(fake.seen)
    assert code == 1, err
    rows = read_results(tmp_path / "in.results.csv")
    assert [r["status"] for r in rows] == ["failed"] * count
    assert requests == count  # one attempt each: nothing retried, nothing waited for
    for row in rows:
        assert row["attempts"] == "1"
        assert row["http_status"] == "429"
        assert "(Retry-After), more than send.max_retry_after_s = 120 s" in row["error"]
    expected = "27 h 46 min" if form == "seconds" else "days"
    assert expected in rows[0]["error"]


def test_the_summary_names_the_retry_after_refusal(tmp_path: Path) -> None:
    async def throttled(request: web.Request) -> web.StreamResponse:
        await request.read()
        return web.Response(status=503, headers={"Retry-After": "3600"})

    write_csv(tmp_path / "in.csv", simple_rows(3))
    with fake_server(throttled) as fake:
        config = write_config(tmp_path / "c.toml", fake.base_url, max_retry_after_s=60)
        client = spawn("run", str(tmp_path / "in.csv"), "-c", str(config), "--no-snapshot")
        _, raw = client.communicate(timeout=60)
    err = raw.decode()
    assert client.returncode == 1, err
    assert "failed     3   Retry-After over send.max_retry_after_s x3" in err


def test_a_retry_after_under_the_cap_is_still_waited_for(tmp_path: Path) -> None:
    calls = {"n": 0}

    async def once(request: web.Request) -> web.StreamResponse:
        await request.read()
        calls["n"] += 1
        if calls["n"] == 1:
            return web.Response(status=429, headers={"Retry-After": "1"})
        return web.Response(body=SUCCESS, content_type="application/json")

    with fake_server(once) as fake:
        code, err = run_client(tmp_path, fake.base_url, 1, max_attempts=3)
    assert code == 0, err
    [row] = read_results(tmp_path / "in.results.csv")
    assert row["status"] == "succeeded"
    assert row["attempts"] == "2"


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_is_never_followed_and_names_the_location(tmp_path: Path, status: int) -> None:
    async def moved(request: web.Request) -> web.StreamResponse:
        await request.read()
        if request.path.startswith("/elsewhere"):  # would "succeed" if followed
            return web.Response(body=SUCCESS, content_type="application/json")
        return web.Response(status=status, headers={"Location": "/elsewhere/appoint/update"})

    with fake_server(moved) as fake:
        code, err = run_client(tmp_path, fake.base_url, 3, max_attempts=4)
        seen = list(fake.seen)
    assert code == 1, err
    rows = read_results(tmp_path / "in.results.csv")
    assert [r["status"] for r in rows] == ["failed"] * 3
    for row in rows:
        assert row["http_status"] == str(status)
        assert row["attempts"] == "1"  # final at once
        assert "redirects this update to /elsewhere/appoint/update" in row["error"]
        assert "check server.base_url" in row["error"]
    assert len(seen) == 3
    assert all(method == "POST" and not path.startswith("/elsewhere") for method, path in seen)
