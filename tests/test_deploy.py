"""deploy/: the systemd units pass `systemd-analyze verify`, carry the hardening a reviewer
expects, and every option they (and the cron line) give `rescheduler run` exists."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rescheduler.cli import cli

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
SERVICES = ("rescheduler-nightly.service", "rescheduler-web.service")
HARDENING = (
    "User=rescheduler",
    "NoNewPrivileges=yes",
    "ProtectSystem=strict",
    "ProtectHome=yes",
    "PrivateTmp=yes",
    "ReadWritePaths=/var/lib/rescheduler",
    "LoadCredential=secret_key:/etc/rescheduler/secret_key",
    "CapabilityBoundingSet=",
)


def unit_lines(name: str) -> list[str]:
    """The unit's directives, continuation lines joined, comments dropped."""
    text = (DEPLOY / name).read_text(encoding="utf-8").replace("\\\n", " ")
    return [line.strip() for line in text.splitlines() if line.strip() and line[0] not in "#;"]


def exec_start(name: str) -> list[str]:
    (line,) = [line for line in unit_lines(name) if line.startswith("ExecStart=")]
    return shlex.split(line.removeprefix("ExecStart="))


@pytest.mark.parametrize("name", SERVICES)
def test_services_are_hardened(name: str) -> None:
    lines = unit_lines(name)
    for directive in HARDENING:
        assert directive in lines, f"{name} lacks {directive}"


def _run_options() -> set[str]:
    command = cli.commands["run"]
    return {opt for param in command.params for opt in getattr(param, "opts", [])}


def _options(args: list[str]) -> list[str]:
    return [a for a in args if a.startswith("-")]


def test_nightly_options_exist() -> None:
    known = _run_options()
    args = exec_start("rescheduler-nightly.service")
    assert args[0] == "/usr/local/bin/rescheduler-nightly"
    assert set(_options(args[1:])) <= known
    cron = (DEPLOY / "rescheduler.cron").read_text(encoding="utf-8")
    (job,) = [line for line in cron.splitlines() if re.match(r"^[\d*]", line)]
    fields = job.split(None, 6)
    assert fields[5] == "rescheduler"  # /etc/cron.d lines name the user
    cron_args = shlex.split(fields[6])
    assert cron_args[0] == "/usr/local/bin/rescheduler-nightly"
    assert set(_options(cron_args[1:])) <= known
    assert _options(cron_args[1:]) == _options(args[1:])


def test_web_options_exist() -> None:
    args = exec_start("rescheduler-web.service")
    assert args[1] == "serve"
    serve = cli.get_command(None, "serve")  # type: ignore[arg-type]
    assert serve is not None
    known = {opt for param in serve.params for opt in getattr(param, "opts", [])}
    assert set(_options(args[2:])) <= known


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not found")
def test_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    rescheduler = Path(sys.executable).parent / "rescheduler"
    assert rescheduler.exists()
    for name in (*SERVICES, "rescheduler-nightly.timer"):
        text = (DEPLOY / name).read_text(encoding="utf-8")
        # verify checks that ExecStart's program exists: point it at this checkout's
        text = text.replace("/usr/local/bin/rescheduler-nightly", str(DEPLOY / "nightly.sh"))
        text = text.replace("/opt/rescheduler/bin/rescheduler", str(rescheduler))
        (tmp_path / name).write_text(text, encoding="utf-8")
    units = [str(tmp_path / name) for name in (*SERVICES, "rescheduler-nightly.timer")]
    done = subprocess.run(
        ["systemd-analyze", "verify", *units],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "SYSTEMD_LOG_LEVEL": "warning"},
    )
    problems = [line for line in done.stderr.splitlines() if str(tmp_path) in line]
    assert done.returncode == 0, done.stderr
    assert problems == [], done.stderr


def test_timer_fires_every_night() -> None:
    lines = unit_lines("rescheduler-nightly.timer")
    assert "OnCalendar=*-*-* 02:30:00" in lines
    assert "Persistent=true" in lines
    assert "Unit=rescheduler-nightly.service" in lines


def test_deploy_config_loads_with_systemd_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rescheduler.config import load_config

    for name, value in (("secret_key", "sk"), ("webhook_url", "https://hooks.example/x/y")):
        (tmp_path / name).write_text(value, encoding="utf-8")
        (tmp_path / name).chmod(0o400)  # as systemd hands them over
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(tmp_path))
    monkeypatch.delenv("RESCHEDULER_SECRET_KEY", raising=False)
    config = load_config(DEPLOY / "rescheduler.toml")
    assert config.auth.secret_key is not None
    assert config.notify is not None
    assert config.notify.url.reveal() == "https://hooks.example/x/y"
    assert config.web.data_dir == Path("/var/lib/rescheduler/web")


@pytest.mark.skipif(shutil.which("sh") is None, reason="a POSIX shell")
def test_the_nightly_script_fails_as_a_setup_problem(tmp_path: Path) -> None:
    """hostile2 H2-15: a runs folder that cannot be made ended the job with exit 1 (set -e),
    which the README's table reads as "rows failed"."""
    blocker = tmp_path / "runs"
    blocker.write_text("a file where the runs folder should be", encoding="utf-8")
    env = {
        "PATH": "/usr/bin:/bin",
        "RESCHEDULER_INBOX": str(tmp_path / "inbox"),
        "RESCHEDULER_RUNS": str(blocker),
        "RESCHEDULER_BIN": "false",  # never reached
    }
    done = subprocess.run(["sh", str(DEPLOY / "nightly.sh")], env=env, capture_output=True)
    assert done.returncode == 2, done.stderr
