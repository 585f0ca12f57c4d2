"""Housekeeping of a long-running page (issue 10): roles, the audit log, retention, the store
migration, and the ``user`` commands for them."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from rescheduler.cli import cli
from rescheduler.web import passwords
from rescheduler.web.audit import AUDIT_NAME, AuditLog, format_entry
from rescheduler.web.context import CONTEXT
from rescheduler.web.roles import Role
from rescheduler.web.store import RunState, Store
from tests.e2e import AK, SK
from tests.webtools import (
    add_user,
    cheap_passwords,  # noqa: F401  (autouse fixture)
    csrf_in,
    sign_in,
    site,
    start,
    upload,
    wait_for,
    web_client,
)

GOOD = "another good password"


def _role(config_dir: Path, name: str, role: Role) -> None:
    store = Store(config_dir)
    assert store.set_role(name, role)
    store.close()


@pytest.mark.anyio
async def test_viewers_look_supervisors_see_their_own_admins_see_all(tmp_path: Path) -> None:
    async with site(tmp_path) as (ann, _sim, config):
        assert config.web.data_dir is not None
        for name, role in (("vic", Role.VIEWER), ("bo", Role.SUPERVISOR), ("ada", Role.ADMIN)):
            add_user(config, name, GOOD)
            _role(config.web.data_dir, name, role)
        csrf = await sign_in(ann)  # a supervisor (the default)
        run_path = await upload(ann, csrf)
        async with web_client(config) as vic, web_client(config) as bo, web_client(config) as ada:
            # The viewer: every run, its files; no upload, start, stop, cancel or delete.
            page = await vic.get("/login")
            token = csrf_in(await page.text())
            data = {"csrf": token, "name": "vic", "password": GOOD}
            response = await vic.post("/login", data=data)
            assert response.url.path == "/runs"  # home is the history for a viewer
            history = await response.text()
            assert "changes.csv" in history
            assert 'href="/upload"' not in history
            vic_csrf = csrf_in(history)
            assert (await vic.get(run_path)).status == 200
            assert (await vic.get(run_path + "/files/validation")).status == 200
            assert (await vic.get("/upload")).status == 403
            for action in ("start", "stop", "cancel", "check", "delete"):
                response = await vic.post(f"{run_path}/{action}", data={"csrf": vic_csrf})
                assert response.status == 403, action
                assert "Your account (viewer) cannot do this" in await response.text()
            assert (await vic.get("/admin")).status == 403
            # Another supervisor: not even told the run exists.
            bo_csrf = await sign_in(bo, "bo", GOOD)
            assert (await bo.get(run_path)).status == 404
            assert (await bo.get(run_path + "/files/input")).status == 404
            response = await bo.post(run_path + "/delete", data={"csrf": bo_csrf})
            assert response.status == 404
            assert "changes.csv" not in await (await bo.get("/runs")).text()
            # The admin: every run, every action, and the settings (no keys).
            ada_csrf = await sign_in(ada, "ada", GOOD)
            assert (await ada.get(run_path)).status == 200
            settings = await (await ada.get("/admin")).text()
            assert 'id="keep-days">90<' in settings
            assert "Disk used" in settings
            assert AK not in settings
            assert SK not in settings
            await start(ada, run_path, ada_csrf)
            assert (await wait_for(ada, run_path, lambda s: not s["active"]))["state"] == "finished"


def test_accounts_made_before_roles_become_supervisors(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "web.sqlite3")  # the 0.1 schema, user_version 0
    db.executescript(
        "CREATE TABLE user (name TEXT PRIMARY KEY, password_hash TEXT NOT NULL, "
        "created REAL NOT NULL);"
        "INSERT INTO user VALUES ('li.na', 'x', 1.0);"
    )
    db.close()
    store = Store(tmp_path)
    accounts = store.users()
    assert [(a.name, a.role) for a in accounts] == [("li.na", Role.SUPERVISOR)]
    store.add_user("ada", "y", Role.ADMIN)
    store.close()
    store = Store(tmp_path)  # opening again migrates nothing twice
    assert [a.role for a in store.users()] == [Role.ADMIN, Role.SUPERVISOR]
    version = store._db.execute("PRAGMA user_version").fetchone()[0]
    assert version == 5  # roles, then the language kept with an account, then three run columns
    assert store.set_language("li.na", "zh-CN")


@pytest.mark.anyio
async def test_the_audit_log_records_who_did_what_from_where(tmp_path: Path) -> None:
    async with site(tmp_path) as (client, _sim, config):
        token = csrf_in(await (await client.get("/login")).text())
        forged = "ann\n{\"event\":\"sign-in\",\"user\":\"root\"}"
        await client.post("/login", data={"csrf": token, "name": forged, "password": "wrong!"})
        csrf = await sign_in(client)
        run_path = await upload(client, csrf)
        await start(client, run_path, csrf)
        await wait_for(client, run_path, lambda s: not s["active"])
        await client.get(run_path + "/files/results")
        await client.post(run_path + "/delete", data={"csrf": csrf})
        await client.post("/logout", data={"csrf": csrf})
    assert config.web.data_dir is not None
    lines = (config.web.data_dir / AUDIT_NAME).read_text("utf-8").splitlines()
    entries = [json.loads(line) for line in lines]  # one JSON object a line, no forged line
    run_id = run_path.rsplit("/", 1)[1]
    assert [(e["event"], e["user"], e.get("run")) for e in entries] == [
        ("sign-in-failed", forged, None),
        ("sign-in", "ann", None),
        ("upload", "ann", run_id),
        ("start", "ann", run_id),
        ("download", "ann", run_id),
        ("delete", "ann", run_id),
        ("sign-out", "ann", None),
    ]
    assert {e["from"] for e in entries} == {"127.0.0.1"}
    assert (config.web.data_dir / AUDIT_NAME).stat().st_mode & 0o077 == 0
    shown = format_entry(entries[0])
    assert "\n" not in shown
    assert "sign-in-failed" in shown


def _user(tmp_path: Path, *args: str, input: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(
        cli, ["user", *args, "--data-dir", str(tmp_path / "web")], input=input
    )
    return result.exit_code, result.output


def test_user_roles_and_audit_from_the_command_line(tmp_path: Path) -> None:
    pw = f"{GOOD}\n{GOOD}\n"
    added = _user(tmp_path, "add", "vic", "--role", "viewer", input=pw)[1]
    assert "added user vic as viewer" in added
    assert _user(tmp_path, "add", "bo", input=pw)[0] == 0
    code, out = _user(tmp_path, "add", "eve", "--role", "root", input=pw)
    assert code == 2
    assert "'root' is not one of 'admin', 'supervisor', 'viewer'" in out
    assert _user(tmp_path, "role", "bo", "admin") == (0, "bo is now admin\n")
    assert _user(tmp_path, "role", "nobody", "admin")[0] == 2
    code, out = _user(tmp_path, "list")
    assert [line.split("\t")[:2] for line in out.splitlines()] == [
        ["bo", "admin"],
        ["vic", "viewer"],
    ]
    assert _user(tmp_path, "passwd", "vic", input=pw)[0] == 0
    assert _user(tmp_path, "remove", "vic")[0] == 0
    code, out = _user(tmp_path, "audit")
    assert code == 0
    events = [line.split("  ")[1:3] for line in out.splitlines()]
    assert events == [
        ["account-added", "vic"],
        ["account-added", "bo"],
        ["account-role", "bo"],
        ["account-password", "vic"],
        ["account-removed", "vic"],
    ]
    assert "from cli" in out
    code, out = _user(tmp_path, "audit", "--last", "1", "--json")
    assert json.loads(out)["event"] == "account-removed"
    assert AuditLog(tmp_path / "web").path.is_file()


@pytest.mark.anyio
async def test_runs_older_than_keep_days_are_deleted(tmp_path: Path) -> None:
    async with site(tmp_path, web="keep_days = 30") as (client, _sim, _config):
        csrf = await sign_in(client)
        old, recent = await upload(client, csrf), await upload(client, csrf)
        page = await (await client.get(old)).text()
        assert "Files are kept for 30 days after the last activity" in page
        assert "kept for 30 days" in await (await client.get("/upload")).text()
        assert client.app is not None
        runs = client.app[CONTEXT].runs
        store = runs.store
        old_id, recent_id = old.rsplit("/", 1)[1], recent.rsplit("/", 1)[1]
        day = 86_400.0
        for run_id, age in ((old_id, 31 * day), (recent_id, 29 * day)):
            store._db.execute(
                "UPDATE run SET uploaded = ?, touched = ? WHERE id = ?",
                (store.now() - age, store.now() - age, run_id),
            )
        gone = await runs.expire()
        assert [r.id for r in gone] == [old_id]
        assert (await client.get(old)).status == 404
        assert not store.run_dir(old_id).exists()
        assert (await client.get(recent)).status == 200
        assert store.get_run(recent_id) is not None
        # An active run is never deleted, however old.
        store.update_run(recent_id, state=RunState.RUNNING)
        store._db.execute("UPDATE run SET uploaded = 0, touched = 0 WHERE id = ?", (recent_id,))
        assert await runs.expire() == []
        store.update_run(recent_id, state=RunState.READY)
    assert passwords.COST.log2_n == 10  # the cheap test cost was in force
