"""``rescheduler serve`` and ``rescheduler user ...`` (registered lazily by rescheduler.cli)."""

from __future__ import annotations

import ipaddress
import os
import sys
from pathlib import Path
from typing import Any

import click

from rescheduler.errors import ReschedulerError

_CONFIG = click.option(
    "-c",
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="TOML config file (the same as for `rescheduler run`).",
)
_DATA_DIR = click.option(
    "--data-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Accounts, uploads and results (default: web.data_dir in the config).",
)


_ROLE_CHOICE = click.Choice(["admin", "supervisor", "viewer"])


def _fail(exc: ReschedulerError) -> None:
    click.echo(f"rescheduler: error: {exc}", err=True)
    sys.exit(exc.exit_code)


def _load(config_path: Path | None, data_dir: Path | None) -> tuple[Any, Path]:
    from rescheduler.config import load_config
    from rescheduler.web.app import data_dir_of

    config = load_config(config_path)
    return config, data_dir_of(config, data_dir)


def _load_data_dir(config_path: Path | None, data_dir: Path | None) -> Path:
    try:
        return _load(config_path, data_dir)[1]
    except ReschedulerError as exc:
        _fail(exc)
        raise AssertionError("unreachable") from exc


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@click.command("serve")
@_CONFIG
@_DATA_DIR
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=8080,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to listen on.",
)
def serve_command(config_path: Path | None, data_dir: Path | None, host: str, port: int) -> None:
    """Serve the upload page for supervisors (sign-in required; see `rescheduler user`)."""
    import logging

    from rescheduler.web.app import serve
    from rescheduler.web.store import Store

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    try:
        config, folder = _load(config_path, data_dir)
        store = Store(folder)  # migrates an older data folder before the server starts
        users = store.users()
        store.close()
    except ReschedulerError as exc:
        _fail(exc)
        return
    if not users:
        click.echo(
            "rescheduler: no accounts yet: create one with `rescheduler user add NAME`"
            + (f" -c {config_path}" if config_path else ""),
            err=True,
        )
    if config.auth.secret_key is None or not config.auth.access_key:
        click.echo(
            "rescheduler: warning: no credentials (auth.access_key and RESCHEDULER_SECRET_KEY "
            "or auth.secret_key_file): files can be checked but not sent",
            err=True,
        )
    if not _loopback(host) and config.web.tls_cert_file is None:
        click.echo(
            f"rescheduler: warning: listening on {host} without TLS: passwords and files cross "
            "the network in clear; set web.tls_cert_file/web.tls_key_file or use a TLS proxy",
            err=True,
        )
    serve(config, folder, host, port)


@click.group("user")
def user_group() -> None:
    """Accounts for the upload page (stored, hashed, in the web data folder)."""


def _store(config_path: Path | None, data_dir: Path | None) -> Any:
    from rescheduler.web.store import Store

    try:
        return Store(_load(config_path, data_dir)[1])
    except ReschedulerError as exc:
        _fail(exc)


def _new_password(name: str) -> str:
    from rescheduler.web.passwords import hash_password, password_problem

    while True:
        password: str = click.prompt(
            f"Password for {name}", hide_input=True, confirmation_prompt=True
        )
        problem = password_problem(name, password)
        if problem is None:
            return hash_password(password)
        click.echo(f"rescheduler: {problem}; try again", err=True)


def _check_name(name: str) -> None:
    import re

    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}", name):
        raise click.BadParameter(
            "use 1-64 letters, digits, '.', '_', '@' or '-' (starting with a letter or digit)",
            param_hint="NAME",
        )


def _audit(store: Any, event: str, name: str, **details: object) -> None:
    """Account changes made here go to the audit log too: by whom (this OS account)."""
    import getpass

    from rescheduler.web.audit import AuditLog

    try:
        by = getpass.getuser()
    except (KeyError, OSError):
        by = f"uid {os.getuid()}"
    try:
        AuditLog(store.data_dir).record(event, name, "cli", by=by, **details)
    except OSError as exc:
        click.echo(f"rescheduler: warning: cannot write the audit log: {exc}", err=True)


@user_group.command("add")
@click.argument("name")
@click.option(
    "--role",
    type=_ROLE_CHOICE,
    default="supervisor",
    show_default=True,
    help="viewer: sees every run and downloads; supervisor: uploads, checks and sends (own "
    "runs); admin: every run, and the settings.",
)
@_CONFIG
@_DATA_DIR
def user_add(name: str, role: str, config_path: Path | None, data_dir: Path | None) -> None:
    """Create an account NAME; the password is asked for (twice, not echoed)."""
    from rescheduler.web.roles import Role
    from rescheduler.web.store import UserExists

    _check_name(name)
    store = _store(config_path, data_dir)
    if store.password_hash(name) is not None:
        click.echo(f"rescheduler: error: user {name!r} exists; use `user passwd`", err=True)
        sys.exit(2)
    try:
        store.add_user(name, _new_password(name), Role(role))
    except UserExists:
        click.echo(f"rescheduler: error: user {name!r} exists", err=True)
        sys.exit(2)
    _audit(store, "account-added", name, role=role)
    click.echo(f"added user {name} as {role} ({store.data_dir})")


@user_group.command("role")
@click.argument("name")
@click.argument("role", type=_ROLE_CHOICE)
@_CONFIG
@_DATA_DIR
def user_role(name: str, role: str, config_path: Path | None, data_dir: Path | None) -> None:
    """Give NAME the role ROLE (admin, supervisor or viewer); it applies at once."""
    from rescheduler.web.roles import Role

    store = _store(config_path, data_dir)
    if not store.set_role(name, Role(role)):
        click.echo(f"rescheduler: error: no user {name!r}", err=True)
        sys.exit(2)
    _audit(store, "account-role", name, role=role)
    click.echo(f"{name} is now {role}")


@user_group.command("passwd")
@click.argument("name")
@_CONFIG
@_DATA_DIR
def user_passwd(name: str, config_path: Path | None, data_dir: Path | None) -> None:
    """Set a new password for NAME (and sign NAME out everywhere)."""
    store = _store(config_path, data_dir)
    if store.password_hash(name) is None:
        click.echo(f"rescheduler: error: no user {name!r}", err=True)
        sys.exit(2)
    store.set_password(name, _new_password(name))
    _audit(store, "account-password", name)
    click.echo(f"changed the password of {name}")


@user_group.command("remove")
@click.argument("name")
@_CONFIG
@_DATA_DIR
def user_remove(name: str, config_path: Path | None, data_dir: Path | None) -> None:
    """Delete the account NAME (its runs stay in the history)."""
    store = _store(config_path, data_dir)
    if not store.remove_user(name):
        click.echo(f"rescheduler: error: no user {name!r}", err=True)
        sys.exit(2)
    _audit(store, "account-removed", name)
    click.echo(f"removed user {name}")


@user_group.command("list")
@_CONFIG
@_DATA_DIR
def user_list(config_path: Path | None, data_dir: Path | None) -> None:
    """List the accounts and their roles."""
    from datetime import datetime

    for account in _store(config_path, data_dir).users():
        added = datetime.fromtimestamp(account.created)
        click.echo(f"{account.name}\t{account.role.value}\t(added {added:%Y-%m-%d %H:%M})")


@user_group.command("audit")
@click.option("--last", type=click.IntRange(1), help="Only the last N entries.")
@click.option("--json", "as_json", is_flag=True, help="The entries as stored (one JSON a line).")
@_CONFIG
@_DATA_DIR
def user_audit(
    last: int | None, as_json: bool, config_path: Path | None, data_dir: Path | None
) -> None:
    """Print the audit log: sign-ins, failed sign-ins, uploads, starts, stops, downloads,
    deletions and account changes, with who, when and from where (oldest first)."""
    import json

    from rescheduler.web.audit import AuditLog, format_entry

    log = AuditLog(_load_data_dir(config_path, data_dir))
    for entry in log.entries(last):
        click.echo(json.dumps(entry, ensure_ascii=False) if as_json else format_entry(entry))
