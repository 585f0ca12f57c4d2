"""``rescheduler serve`` as a real process, a client that signs in and uploads, and a sampler of
the server's memory (and of its check workers' memory) while it works.

Used by the tests that measure the server from outside (hostile uploads) and by
``benchmarks/web_abuse.py``, which prints the same figures.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import anyio
import psutil

from rescheduler.web.passwords import Cost, hash_password
from rescheduler.web.store import Store

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
NAME, PASSWORD = "ann", "correct horse battery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Served:
    url: str
    process: subprocess.Popen[str]
    data_dir: Path


@contextmanager
def served(
    folder: Path,
    web: str = "",
    *,
    users: dict[str, str] | None = None,
    cost: Cost | None = None,
    sections: str = "",
    env: dict[str, str] | None = None,
) -> Iterator[Served]:
    """``rescheduler serve`` on a free loopback port with a config of its own (``web`` lines
    go into its ``[web]`` section, ``sections`` are more TOML sections, ``env`` more
    environment variables); ``users`` (name -> password) are added first."""
    data_dir = folder / "web"
    config = folder / "serve.toml"
    config.write_text(
        '[server]\nbase_url = "http://127.0.0.1:9"\n[input]\ntimezone = "Asia/Shanghai"\n'
        f'{sections}\n[web]\ndata_dir = "web"\n{web}\n',
        encoding="utf-8",
    )
    store = Store(data_dir)
    for name, password in (users or {NAME: PASSWORD}).items():
        store.add_user(name, hash_password(password, cost or Cost(log2_n=10, r=8, p=1)))
    store.close()
    port = free_port()
    environ = {k: v for k, v in os.environ.items() if not k.startswith("RESCHEDULER_")}
    environ.update(env or {})
    # The server's log goes to a file, not a pipe nobody reads: a long test must never block
    # the server on a full pipe.
    log_path = folder / "serve.log"
    with log_path.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "rescheduler", "serve", "-c", str(config), "--port", str(port)],
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            env=environ,
        )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert "upload page on" in line, line + log_path.read_text(encoding="utf-8")
        yield Served(f"http://127.0.0.1:{port}", process, data_dir)
    finally:
        process.terminate()
        try:
            process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


@dataclass
class Peaks:
    server_mb: float = 0.0
    worker_mb: float = 0.0
    samples: int = 0


@dataclass
class RssSampler:
    """Samples the RSS of ``pid`` and of its child processes every few milliseconds."""

    pid: int
    every_s: float = 0.02
    peaks: Peaks = field(default_factory=Peaks)

    def __enter__(self) -> Peaks:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self.peaks

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        server = psutil.Process(self.pid)
        while not self._stop.is_set():
            try:
                self.peaks.server_mb = max(self.peaks.server_mb, server.memory_info().rss / 1e6)
                for child in server.children(recursive=True):
                    try:
                        rss = child.memory_info().rss / 1e6
                    except psutil.Error:
                        continue
                    self.peaks.worker_mb = max(self.peaks.worker_mb, rss)
            except psutil.Error:
                return
            self.peaks.samples += 1
            time.sleep(self.every_s)


def csrf_in(html: str) -> str:
    found = _CSRF.search(html)
    assert found is not None, "no csrf field on the page"
    return found.group(1)


def session(local_address: str | None = None) -> aiohttp.ClientSession:
    """A client session that keeps cookies for an IP host (optionally from another address)."""
    connector = aiohttp.TCPConnector(
        limit=0, local_addr=(local_address, 0) if local_address else None
    )
    return aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.CookieJar(unsafe=True))


async def sign_in(
    client: aiohttp.ClientSession, url: str, name: str = NAME, password: str = PASSWORD
) -> str:
    async with client.get(url + "/login") as page:
        token = csrf_in(await page.text())
    data = {"csrf": token, "name": name, "password": password, "next": "/upload"}
    async with client.post(url + "/login", data=data) as response:
        assert response.status == 200, await response.text()
        return csrf_in(await response.text())


async def upload_and_wait(
    client: aiohttp.ClientSession, url: str, csrf: str, path: Path, within_s: float = 120
) -> tuple[dict[str, Any], str, float]:
    """Upload ``path``; wait until its check ends. (status JSON, run page HTML, seconds)."""
    form = aiohttp.FormData()
    form.add_field("csrf", csrf)
    form.add_field("file", await anyio.Path(path).read_bytes(), filename=path.name)
    started = time.monotonic()
    async with client.post(url + "/upload", data=form) as response:
        assert response.status == 200, await response.text()
        run_path = response.url.path
    with anyio.fail_after(within_s):
        while True:
            async with client.get(
                url + run_path + "/status", headers={"Accept": "application/json"}
            ) as r:
                data: dict[str, Any] = await r.json()
            if data["state"] != "checking":
                break
            await anyio.sleep(0.1)
    elapsed = time.monotonic() - started
    async with client.get(url + run_path) as page:
        html = await page.text()
    return data, html, elapsed
