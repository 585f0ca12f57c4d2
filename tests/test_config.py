"""Config loading: defaults <- TOML <- flags <- environment; every error names its key."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rescheduler.config import Secret, load_config, resolve_timezone
from rescheduler.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "c.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_example_config_loads_with_every_documented_value() -> None:
    config = load_config(ROOT / "config.example.toml", environ={})
    assert config.server.base_url == "https://10.22.26.181:28080"
    assert config.server.vdn_id == 1
    assert config.server.deployment == "standard"
    assert config.server.verify_tls is True
    assert config.server.timeout_s == 30
    assert config.auth.access_key == "your-access-key"
    assert config.auth.secret_key is None
    assert config.send.concurrency == 8
    assert config.send.rate_per_s == 20
    assert config.send.max_failures == "10%"
    assert config.input.timezone == "Asia/Shanghai"
    assert dict(config.input.columns) == {"Reservation": "appointId", "Agent login": "userAccount"}
    assert config.listing.page_size == 100
    assert config.notify is not None
    assert (config.notify.format, config.notify.on, config.notify.language) == (
        "wecom",
        "failure",
        "en",
    )
    assert config.notify.url_shown == "https://qyapi.weixin.qq.com/***"


def test_defaults_without_a_file() -> None:
    config = load_config(None, environ={})
    assert config.send.concurrency == 8
    assert config.server.agent_field == "userAccount"


def test_overrides_beat_the_file_and_env_beats_both(tmp_path: Path) -> None:
    path = write(tmp_path, '[send]\nconcurrency = 4\n[auth]\naccess_key = "file-ak"\n')
    env = {"RESCHEDULER_ACCESS_KEY": "env-ak", "RESCHEDULER_SECRET_KEY": "s3cret"}
    config = load_config(path, {"send.concurrency": 16, "send.rate_per_s": None}, env)
    assert config.send.concurrency == 16
    assert config.auth.access_key == "env-ak"
    assert config.auth.secret_key is not None
    assert config.auth.secret_key.reveal() == "s3cret"
    assert "s3cret" not in repr(config)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[send]\nconcurrency = "x"',
            'send.concurrency must be an integer from 1 to 1000, got "x"',
        ),
        ("[send]\nconcurrency = 0", "send.concurrency must be an integer from 1 to 1000, got 0"),
        ("[server]\nvdn_id = 10000", "server.vdn_id must be an integer from 1 to 9999, got 10000"),
        (
            '[server]\ndeployment = "cloud"',
            'server.deployment must be "standard" or "op-independent", got "cloud"',
        ),
        (
            '[server]\nbase_url = "10.0.0.1:28080"',
            'server.base_url must be an http(s) URL like "https://10.1.2.3:28080", '
            'got "10.0.0.1:28080"',
        ),
        (
            "[send]\nrate_per_s = -1",
            "send.rate_per_s must be a number from 0.01 to 100000, or 0 for none, got -1",
        ),
        (
            '[send]\nmax_failures = "ten"',
            'send.max_failures must be a count like "50" or a share like "10%", got "ten"',
        ),
        ('[input]\ntimezone = "Mars/Base"',
         'input.timezone must be an IANA zone like "Asia/Shanghai", got "Mars/Base"'),
        ('[input]\non_conflict = "first"',
         'input.on_conflict must be "reject" or "last", got "first"'),
        ('[input.columns]\nAgent = "agent"',
         "input.columns.Agent must name one of appointId, userAccount, workNo, appointTime, "
         "remark, vdnId, got 'agent'"),
        ("[sending]\nx = 1", "sending is not a known section (known: [server], [auth], [send], "
         "[input], [web], [list], [notify])"),
        ("[send]\nconcurency = 1", "send.concurency is not a known key"),
        ("[list]\npage_size = 0", "list.page_size must be an integer from 1 to 100000, got 0"),
        ('[auth]\nsecret_key = "abc"', "auth.secret_key must not be written in the config file: "
         "export RESCHEDULER_SECRET_KEY or set auth.secret_key_file"),
    ],
)
def test_errors_name_the_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text), environ={})
    assert str(caught.value) == message


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "[send\n")
    with pytest.raises(ConfigError, match=r"^config .*c\.toml is not valid TOML"):
        load_config(path, environ={})


def test_flag_values_are_checked_like_file_values() -> None:
    with pytest.raises(ConfigError, match=r"^send\.concurrency must be an integer from 1 to"):
        load_config(None, {"send.concurrency": -3}, environ={})


# Issue 9, item 11: every number a run depends on is finite and in a range, and the message
# names the key and the range (concurrency 1,000,000 took 2.9 GB; timeout_s = inf crashed a run).
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[send]\nconcurrency = 1000000", "send.concurrency must be an integer from 1 to 1000"),
        ("[send]\nconcurrency = 1001", "send.concurrency must be an integer from 1 to 1000"),
        ("[server]\ntimeout_s = inf", "server.timeout_s must be a number from 0.1 to 600, got inf"),
        ("[server]\ntimeout_s = nan", "server.timeout_s must be a number from 0.1 to 600, got nan"),
        ("[server]\ntimeout_s = 0.01", "server.timeout_s must be a number from 0.1 to 600"),
        ("[server]\ntimeout_s = 86400", "server.timeout_s must be a number from 0.1 to 600"),
        ("[send]\nrate_per_s = inf", "send.rate_per_s must be a number from 0.01 to 100000"),
        ("[send]\nrate_per_s = 1e-9", "send.rate_per_s must be a number from 0.01 to 100000"),
        ("[send]\nmax_attempts = 101", "send.max_attempts must be an integer from 1 to 100"),
        ("[send]\nbackoff_base_s = inf", "send.backoff_base_s must be a number from 0 to 60"),
        ("[send]\nbackoff_cap_s = 1e9", "send.backoff_cap_s must be a number from 0 to 600"),
        ("[send]\nbackoff_cap_s = -inf", "send.backoff_cap_s must be a number from 0 to 600"),
        (
            "[send]\nmax_retry_after_s = 99999",
            "send.max_retry_after_s must be a number from 0 to 3600",
        ),
        ("[web]\nmax_upload_mb = inf", "web.max_upload_mb must be a positive number, got inf"),
    ],
)
def test_numbers_are_finite_and_bounded(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text), environ={})
    assert str(caught.value).startswith(message), caught.value


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("send.concurrency", 1),
        ("send.concurrency", 1000),
        ("server.timeout_s", 0.1),
        ("server.timeout_s", 600),
        ("send.rate_per_s", 0),
        ("send.rate_per_s", 0.01),
        ("send.max_retry_after_s", 0),
        ("send.max_retry_after_s", 3600),
    ],
)
def test_the_ends_of_each_range_are_accepted(key: str, value: float) -> None:
    config = load_config(None, {key: value}, environ={})
    section, name = key.split(".")
    assert getattr(getattr(config, section), name) == value


def test_max_retry_after_defaults_to_two_minutes() -> None:
    assert load_config(None, environ={}).send.max_retry_after_s == 120.0


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_secret_key_file_must_be_private(tmp_path: Path) -> None:
    secret = tmp_path / "sk"
    secret.write_text("top-secret\n")
    secret.chmod(0o644)
    path = write(tmp_path, '[auth]\naccess_key = "ak"\nsecret_key_file = "sk"\n')
    with pytest.raises(ConfigError, match=r"can be read by others .*chmod 600") as caught:
        load_config(path, environ={})
    assert "top-secret" not in str(caught.value)
    secret.chmod(0o600)
    config = load_config(path, environ={})
    assert config.require_credentials() == ("ak", config.auth.secret_key)
    assert config.auth.secret_key is not None
    assert config.auth.secret_key.reveal() == "top-secret"


def test_missing_credentials_say_how_to_provide_them() -> None:
    config = load_config(None, environ={"RESCHEDULER_ACCESS_KEY": "ak"})
    with pytest.raises(ConfigError) as caught:
        config.require_credentials()
    assert str(caught.value) == (
        "auth.secret_key is not set: export RESCHEDULER_SECRET_KEY or set auth.secret_key_file "
        "(a file only its owner can read)"
    )


def test_secret_hides_itself() -> None:
    secret = Secret("abc")
    assert "abc" not in repr(secret)
    assert "abc" not in str(secret)
    assert "abc" not in f"{secret}"


def test_resolve_timezone() -> None:
    zone, label = resolve_timezone("Asia/Shanghai")
    assert str(zone) == "Asia/Shanghai"
    assert label == "Asia/Shanghai"
    _, label = resolve_timezone("")
    assert "set input.timezone to choose" in label
