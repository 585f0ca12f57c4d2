"""``rescheduler user ...`` and ``rescheduler serve`` (a real process on a loopback port)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from rescheduler.cli import cli
from rescheduler.web import passwords
from rescheduler.web.store import Store
from tests.webtools import cheap_passwords  # noqa: F401  (autouse fixture)


def _user(tmp_path: Path, *args: str, input: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(
        cli, ["user", *args, "--data-dir", str(tmp_path / "web")], input=input
    )
    return result.exit_code, result.output


def test_user_add_list_passwd_remove(tmp_path: Path) -> None:
    code, out = _user(
        tmp_path, "add", "li.na", input="tiny\ntiny\nlong enough pw\nlong enough pw\n"
    )
    assert code == 0, out
    assert "at least 10 characters; try again" in out
    assert "added user li.na" in out
    store = Store(tmp_path / "web")
    stored = store.password_hash("li.na")
    assert stored is not None
    assert passwords.verify_password(stored, "long enough pw")
    assert "long enough pw" not in (tmp_path / "web" / "web.sqlite3").read_bytes().decode("latin-1")
    code, out = _user(tmp_path, "add", "li.na", input="x\n")
    assert code == 2
    assert "exists" in out
    code, out = _user(tmp_path, "list")
    assert code == 0
    assert out.startswith("li.na\tsupervisor\t(added ")
    code, out = _user(tmp_path, "passwd", "li.na", input="another password\nanother password\n")
    assert code == 0, out
    stored = store.password_hash("li.na")
    assert stored is not None
    assert passwords.verify_password(stored, "another password")
    code, out = _user(tmp_path, "remove", "li.na")
    assert code == 0
    assert "removed user li.na" in out
    code, out = _user(tmp_path, "remove", "li.na")
    assert code == 2
    code, out = _user(tmp_path, "add", "bad name!")
    assert code == 2
    assert "Invalid value for NAME" in out


def test_data_dir_from_the_config(tmp_path: Path) -> None:
    config = tmp_path / "site.toml"
    config.write_text('[web]\ndata_dir = "accounts"\n', encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["user", "add", "ann", "-c", str(config)], input="long enough pw\nlong enough pw\n"
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "accounts" / "web.sqlite3").is_file()
    assert (tmp_path / "accounts").stat().st_mode & 0o077 == 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.mark.skipif(sys.platform == "win32", reason="signals")
def test_serve_prints_its_address_and_stops_on_sigterm(tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RESCHEDULER_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "rescheduler", "serve", "--data-dir", str(tmp_path / "web"),
         "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert re.fullmatch(
            rf"rescheduler: upload page on http://127\.0\.0\.1:{port}/ \(data in .*\)\n", line
        )
        with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
            conn.sendall(b"GET /upload HTTP/1.0\r\nHost: x\r\n\r\n")
            assert b" 303 See Other" in conn.recv(100)
    finally:
        process.terminate()
        _, err = process.communicate(timeout=20)
    assert process.returncode == 0, err
    assert "no accounts yet: create one with `rescheduler user add NAME`" in err
    assert "no credentials" in err
