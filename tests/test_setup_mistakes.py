"""Setup mistakes are config errors found before anything is sent, never internal errors
(hostile-cli p20, p26): a ``ca_file`` that is not a certificate, a ``secret_key_file`` that is
not UTF-8, a user name or password in ``base_url`` (refused without echoing it, so it reaches
neither the screen nor the run record)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rescheduler.config import load_config
from rescheduler.errors import ConfigError
from tests.e2e import SK, invoke, simple_rows, write_config, write_csv

PASSWORD = "pa55-w0rd-in-the-url"


def config_text(base_url: str, extra: str = "", auth: str = "") -> str:
    return f'[server]\nbase_url = "{base_url}"\n{extra}\n[auth]\naccess_key = "ak"\n{auth}\n'


@pytest.mark.parametrize(
    "url",
    [
        f"https://user:{PASSWORD}@10.1.2.3:28080",
        f"http://{PASSWORD}@10.1.2.3",
        f"ftp://user:{PASSWORD}@10.1.2.3",  # the scheme is wrong too: still not echoed
    ],
)
def test_credentials_in_base_url_are_refused_without_echoing_them(
    tmp_path: Path, url: str
) -> None:
    path = tmp_path / "c.toml"
    path.write_text(config_text(url), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    assert caught.value.key == "server.base_url"
    assert "user name or password" in str(caught.value)
    assert PASSWORD not in str(caught.value)


def test_a_run_with_credentials_in_base_url_stops_at_once_and_records_none(
    tmp_path: Path,
) -> None:
    write_csv(tmp_path / "in.csv", simple_rows(2))
    config = write_config(tmp_path / "c.toml", f"http://user:{PASSWORD}@127.0.0.1:9")
    result = invoke("run", str(tmp_path / "in.csv"), "-c", str(config), "--quiet")
    assert result.exit_code == 2, result.output
    assert "server.base_url must not hold a user name or password" in result.output
    for path in tmp_path.iterdir():
        if path.name != "c.toml":
            assert PASSWORD.encode() not in path.read_bytes(), path.name
    assert PASSWORD not in result.output


def test_a_ca_file_that_is_no_certificate_is_a_config_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate\n", encoding="utf-8")
    path = tmp_path / "c.toml"
    path.write_text(config_text("https://10.1.2.3", f'ca_file = "{junk}"'), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    assert caught.value.key == "server.ca_file"
    assert "holds no certificate" in str(caught.value)
    assert "PEM" in str(caught.value)


def test_a_run_with_a_bad_ca_file_sends_nothing_and_exits_2(tmp_path: Path) -> None:
    junk = tmp_path / "junk.pem"
    junk.write_bytes(b"\x00\x01 binary junk")
    write_csv(tmp_path / "in.csv", simple_rows(2))
    config = write_config(tmp_path / "c.toml", "https://127.0.0.1:9")
    config.write_text(
        config.read_text().replace("timeout_s", f'ca_file = "{junk}"\ntimeout_s'),
        encoding="utf-8",
    )
    result = invoke("run", str(tmp_path / "in.csv"), "-c", str(config), "--quiet")
    assert result.exit_code == 2, result.output
    assert "server.ca_file" in result.output
    assert "internal error" not in result.output
    assert not (tmp_path / "in.results.csv").exists()


def test_a_secret_key_file_that_is_not_utf8_names_the_key_and_hides_the_bytes(
    tmp_path: Path,
) -> None:
    key_file = tmp_path / "sk.txt"
    key_file.write_bytes(b"\xff\xfe" + SK.encode("utf-16-le"))
    key_file.chmod(0o600)
    path = tmp_path / "c.toml"
    path.write_text(
        config_text("https://10.1.2.3", auth=f'secret_key_file = "{key_file}"'), encoding="utf-8"
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    assert caught.value.key == "auth.secret_key_file"
    assert "is not UTF-8 text" in str(caught.value)
    write_csv(tmp_path / "in.csv", simple_rows(1))
    result = invoke("run", str(tmp_path / "in.csv"), "-c", str(path), "--quiet", secret=None)
    assert result.exit_code == 2, result.output
    assert "auth.secret_key_file" in result.output
    assert "internal error" not in result.output


def test_a_secret_pasted_into_another_key_is_never_echoed(tmp_path: Path) -> None:
    """hostile-cli p20: the secret key pasted as input.timezone came back in the message, the
    run record and the log."""
    write_csv(tmp_path / "in.csv", simple_rows(1))
    config = write_config(tmp_path / "c.toml", "http://127.0.0.1:9")
    config.write_text(
        config.read_text().replace('timezone = "Asia/Shanghai"', f'timezone = "{SK}"'),
        encoding="utf-8",
    )
    log = tmp_path / "run.log"
    result = invoke(
        "run", str(tmp_path / "in.csv"), "-c", str(config), "--quiet", "--log-file", str(log)
    )
    assert result.exit_code == 2, result.output
    assert "input.timezone must be an IANA zone" in result.output
    assert SK not in result.output
    for path in tmp_path.iterdir():
        if path.name != "c.toml":
            assert SK.encode() not in path.read_bytes(), path.name
