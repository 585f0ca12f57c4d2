"""Helpers for the web tests: configs, accounts, a signed-in test client, forms, polling."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import anyio
import pytest
from aiohttp import FormData
from aiohttp.test_utils import TestClient, TestServer

from rescheduler.config import Config, load_config
from rescheduler.demo import samples_dir
from rescheduler.simulator.server import RunningSimulator, running_simulator
from rescheduler.simulator.store import Store as SimStore
from rescheduler.web import passwords
from rescheduler.web.app import make_app
from rescheduler.web.store import Store
from rescheduler.web.throttle import LoginThrottle
from tests.e2e import SK, sim, write_config

NAME = "ann"
PASSWORD = "correct horse battery"
SAMPLE = samples_dir() / "changes.csv"
SAMPLE_BYTES = SAMPLE.read_bytes()
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')

Client = TestClient[Any, Any]


@pytest.fixture(autouse=True)
def cheap_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    """Scrypt at the production cost takes ~0.2 s per sign-in; tests need no such strength."""
    monkeypatch.setattr(passwords, "COST", passwords.Cost(log2_n=10, r=8, p=1))


def web_config(tmp_path: Path, base_url: str, *, web: str = "", **send: object) -> Config:
    path = write_config(tmp_path / "site.toml", base_url, **send)
    extra = f'\n[web]\ndata_dir = "web"\n{web}\n'
    path.write_text(path.read_text(encoding="utf-8") + extra, encoding="utf-8")
    return load_config(path, environ={"RESCHEDULER_SECRET_KEY": SK})


def add_user(config: Config, name: str = NAME, password: str = PASSWORD) -> None:
    assert config.web.data_dir is not None
    store = Store(config.web.data_dir)
    store.add_user(name, passwords.hash_password(password))
    store.close()


def sample_store() -> SimStore:
    return SimStore.from_file(samples_dir() / "reservations.json")


def csrf_in(html: str) -> str:
    found = _CSRF.search(html)
    assert found is not None, "no csrf field on the page"
    return found.group(1)


async def sign_in(client: Client, name: str = NAME, password: str = PASSWORD) -> str:
    """Sign in through the form; returns the session's CSRF token."""
    page = await client.get("/login")
    login_token = csrf_in(await page.text())
    response = await client.post(
        "/login", data={"csrf": login_token, "name": name, "password": password, "next": "/upload"}
    )
    assert response.status == 200, await response.text()
    assert response.url.path == "/upload"
    return csrf_in(await response.text())


def upload_form(csrf: str | None, name: str, data: bytes, content_type: str = "text/csv") -> Any:
    form = FormData()
    if csrf is not None:
        form.add_field("csrf", csrf)
    form.add_field("file", data, filename=name, content_type=content_type)
    return form


async def upload(client: Client, csrf: str, data: bytes | None = None, name: str = "") -> str:
    """Upload ``data`` (default: the sample); returns the run page's path once it is checked."""
    if data is None:
        data = SAMPLE_BYTES
    form = upload_form(csrf, name or SAMPLE.name, data)
    response = await client.post("/upload", data=form)
    assert response.status == 200, await response.text()
    run_path = response.url.path
    assert run_path.startswith("/runs/")
    await wait_for(client, run_path, lambda s: s["state"] != "checking")
    return run_path


async def status(client: Client, run_path: str) -> dict[str, Any]:
    response = await client.get(run_path + "/status", headers={"Accept": "application/json"})
    assert response.status == 200
    data: dict[str, Any] = await response.json()
    return data


async def wait_for(
    client: Client, run_path: str, done: Any, within_s: float = 15
) -> dict[str, Any]:
    """Poll the status JSON (as the page does) until ``done(status)``."""
    with anyio.fail_after(within_s):
        while True:
            data = await status(client, run_path)
            if done(data):
                return data
            await anyio.sleep(0.02)


async def start(client: Client, run_path: str, csrf: str, fmt: str = "csv") -> None:
    response = await client.post(run_path + "/start", data={"csrf": csrf, "format": fmt})
    assert response.status == 200


@asynccontextmanager
async def web_client(
    config: Config, *, throttle: LoginThrottle | None = None
) -> AsyncIterator[Client]:
    assert config.web.data_dir is not None
    app = make_app(config, config.web.data_dir, throttle=throttle)
    async with TestClient(TestServer(app)) as client:
        yield client


@asynccontextmanager
async def site(
    tmp_path: Path, *, web: str = "", sim_knobs: dict[str, Any] | None = None, **send: object
) -> AsyncIterator[tuple[Client, RunningSimulator, Config]]:
    """A simulator with the sample's reservations, a web app using it, one account."""
    async with running_simulator(sim(**(sim_knobs or {})), sample_store()) as simulator:
        config = web_config(tmp_path, simulator.base_url, web=web, **send)
        add_user(config)
        async with web_client(config) as client:
            yield client, simulator, config


class _Tables(HTMLParser):
    """The text of each cell of each table with an id, row by row."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table: list[list[str]] | None = None
        self._cell: list[str] | None = None
        self._skip = 0  # inside <summary>/<pre> of a request disclosure: not cell text

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._table = self.tables.setdefault(dict(attrs).get("id") or "", [])
        elif tag == "tr" and self._table is not None:
            self._table.append([])
        elif tag in ("td", "th") and self._table is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._table is not None and self._cell is not None:
            self._table[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def table_rows(page: str, table_id: str) -> list[list[str]]:
    """The rows (header row first) of the table ``table_id`` on ``page``, as cell texts."""
    parser = _Tables()
    parser.feed(page)
    return parser.tables.get(table_id, [])


def page_text(page: str) -> str:
    """What a reader sees of ``page``: tags dropped, entities read, spaces collapsed."""
    body = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", page)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())
