"""Guesses at one account from many addresses (hostile-web finding 4).

Before: the per-account cap of one password check at a time refused the real user 19 times
out of 19 during a distributed burst, and from one IPv6 /64 (a new address per guess) 39
guesses were checked in 20 s. Now an IPv6 address counts as its /64, an account has a failure
budget across addresses with rising delays, and a browser that signed in before (a signed
``rs_device`` cookie) keeps a sign-in slot of its own.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from rescheduler.web.devices import Devices
from rescheduler.web.throttle import LoginThrottle
from tests.webtools import (
    NAME,
    PASSWORD,
    add_user,
    cheap_passwords,  # noqa: F401  (autouse fixture)
    csrf_in,
    web_client,
    web_config,
)

NOWHERE = "http://127.0.0.1:9"
ROOMY = {"per_address_checks": 1000, "server_checks": 1000}


def test_an_account_has_a_budget_across_addresses_with_rising_delays() -> None:
    now = [0.0]
    throttle = LoginThrottle(free=5, account_free=20, base_s=30, clock=lambda: now[0], **ROOMY)
    checked = 0
    for n in range(60):  # one guess from each of 60 addresses
        address = f"10.0.0.{n}"
        if throttle.reserve("ann", address) is None:
            checked += 1
            throttle.failed("ann", address)
    assert checked == 20
    assert throttle.wait_s("ann", "10.9.9.9") == 30
    now[0] = 31.0  # the lock has run out: one more guess, then twice as long
    assert throttle.reserve("ann", "10.9.9.9") is None
    assert throttle.failed("ann", "10.9.9.9")
    assert throttle.wait_s("ann", "10.9.9.8") == 60
    assert throttle.wait_s("bob", "10.9.9.8") == 0  # other accounts are not touched


def test_a_known_device_has_its_own_slot_and_its_own_count() -> None:
    throttle = LoginThrottle(free=5, account_free=3, base_s=30, clock=lambda: 0.0, **ROOMY)
    for n in range(3):
        assert throttle.reserve("ann", f"10.0.0.{n}") is None
        throttle.failed("ann", f"10.0.0.{n}")
    assert throttle.reserve("ann", "10.0.1.1") is not None  # the account is locked ...
    assert throttle.reserve("ann", "10.0.1.1", device="d1") is None  # ... but not for it
    throttle.succeeded("ann", "10.0.1.1", device="d1")
    # A guess in flight holds the account's one slot; the known device has another.
    assert throttle.reserve("bob", "10.0.2.1") is None
    busy = throttle.reserve("bob", "10.0.2.2")
    assert busy is not None
    assert busy.busy
    assert throttle.reserve("bob", "10.0.2.2", device="d2") is None
    # A stolen cookie gives no more guesses than an address: five, then a lock.
    results = []
    for _ in range(8):
        granted = throttle.reserve("cy", "10.0.3.1", device="d3") is None
        results.append(granted)
        if granted:
            throttle.failed("cy", "10.0.3.1", device="d3")
    assert results == [True] * 5 + [False] * 3


def test_the_throttle_stays_small_under_a_flood_of_names_and_addresses() -> None:
    throttle = LoginThrottle(max_entries=1_000, clock=lambda: 0.0, **ROOMY)
    for n in range(20_000):
        if throttle.reserve(f"user{n}", f"10.{n // 65536}.{n // 256 % 256}.{n % 256}") is None:
            throttle.failed(f"user{n}", f"10.{n // 65536}.{n // 256 % 256}.{n % 256}")
    assert len(throttle._entries) <= 1_000


def test_a_device_cookie_is_signed_bound_to_its_account_and_expires(tmp_path: Path) -> None:
    now = [1_000_000.0]
    devices = Devices(tmp_path, clock=lambda: now[0])
    cookie = devices.issue("Ann")
    device = devices.known(cookie, "ann")
    assert device is not None
    assert devices.known(cookie, "bob") is None
    forged = cookie[:-1] + ("0" if cookie[-1] != "0" else "1")
    assert devices.known(forged, "ann") is None
    assert devices.known("a.b.c", "ann") is None
    assert Devices(tmp_path, clock=lambda: now[0]).known(cookie, "ann") == device  # key kept
    assert (tmp_path / "device.key").stat().st_mode & 0o777 == 0o600
    now[0] += 181 * 86_400
    assert devices.known(cookie, "ann") is None


async def _attempt(client: Any, base: str, client_ip: str, password: str) -> int:
    headers = {"X-Forwarded-For": client_ip}
    async with client.get(base + "/login", headers=headers) as page:
        token = csrf_in(await page.text())
    data = {"csrf": token, "name": NAME, "password": password, "next": "/"}
    async with client.post(
        base + "/login", data=data, headers=headers, allow_redirects=False
    ) as response:
        await response.read()
        status: int = response.status
        return status


@pytest.mark.anyio
async def test_guesses_from_one_ipv6_64_are_counted_as_one_address(tmp_path: Path) -> None:
    config = web_config(tmp_path, NOWHERE, web='trusted_proxies = ["127.0.0.1"]')
    add_user(config)
    async with web_client(config) as backend:
        base = str(backend.make_url("")).rstrip("/")
        statuses: Counter[int] = Counter()
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as guesser:
            for n in range(1, 31):
                statuses[await _attempt(guesser, base, f"2001:db8:1:2::{n:x}", "guess!")] += 1
    assert statuses == {401: 5, 429: 25}


@pytest.mark.anyio
async def test_the_real_user_signs_in_from_a_known_browser_during_a_distributed_attack(
    tmp_path: Path,
) -> None:
    config = web_config(tmp_path, NOWHERE, web='trusted_proxies = ["127.0.0.1"]')
    add_user(config)
    async with web_client(config) as backend:
        base = str(backend.make_url("")).rstrip("/")
        jar = aiohttp.CookieJar(unsafe=True)
        async with aiohttp.ClientSession(cookie_jar=jar) as person:
            assert await _attempt(person, base, "198.51.100.7", PASSWORD) == 303
            assert any(cookie.key == "rs_device" for cookie in jar)
        jar.clear(lambda cookie: cookie.key == "rs_session")  # signed out since (expired)
        guesses: Counter[int] = Counter()
        for n in range(40):  # one guess from each of 40 addresses: no address ever locked
            async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as guesser:
                guesses[await _attempt(guesser, base, f"203.0.113.{n}", "guess!")] += 1
        assert guesses[401] == 20  # the account's budget across addresses
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as new:
            assert await _attempt(new, base, "198.51.100.8", PASSWORD) == 429  # a new browser
        async with aiohttp.ClientSession(cookie_jar=jar) as person:
            assert await _attempt(person, base, "198.51.100.7", PASSWORD) == 303
