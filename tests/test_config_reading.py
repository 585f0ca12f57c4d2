"""Config keys and file problems of the reading side (issue 9, items 1 and 14)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rescheduler.config import load_config
from rescheduler.errors import ConfigError
from tests.e2e import invoke

ROOT = Path(__file__).resolve().parent.parent


def test_max_days_ahead_default_example_and_bounds(tmp_path: Path) -> None:
    assert load_config(None, environ={}).input.max_days_ahead == 366
    assert load_config(ROOT / "config.example.toml", environ={}).input.max_days_ahead == 366
    path = tmp_path / "c.toml"
    path.write_text("[input]\nmax_days_ahead = 30\n", encoding="utf-8")
    assert load_config(path, environ={}).input.max_days_ahead == 30
    for bad in ("0", "36501", '"a year"'):
        path.write_text(f"[input]\nmax_days_ahead = {bad}\n", encoding="utf-8")
        with pytest.raises(ConfigError, match=r"^input\.max_days_ahead must be an integer from 1"):
            load_config(path, environ={})


def test_a_config_file_that_is_not_utf8_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_bytes('[input]\ntimezone = "Asia/Shanghai"\n# café\n'.encode("latin-1"))
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    assert (
        str(caught.value) == f"config {path} is not UTF-8 text (byte offset 40); save it as UTF-8"
    )
    data = tmp_path / "in.csv"
    data.write_text("appointId,userAccount\n1,a\n", encoding="utf-8")
    result = invoke("validate", str(data), "-c", str(path), secret=None)
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"rescheduler: error: config {path} is not UTF-8 text (byte offset 40); save it as UTF-8"
    ]


@pytest.mark.parametrize("name", ["rot13", "hex", "base64"])
def test_a_non_text_encoding_in_the_config_or_the_flag_is_one_line(
    tmp_path: Path, name: str
) -> None:
    path = tmp_path / "c.toml"
    path.write_text(f'[input]\nencoding = "{name}"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    assert str(caught.value) == (
        f"input.encoding {name!r} is not a text encoding; use one like utf-8, gb18030 or cp1252"
    )
    data = tmp_path / "in.csv"
    data.write_text("appointId,userAccount\n1,a\n", encoding="utf-8")
    result = invoke("validate", str(data), "--encoding", name, secret=None)
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert result.output.strip().splitlines() == [  # a flag's value is named as the flag
        f"rescheduler: error: --encoding {name!r} is not a text encoding; use one like "
        "utf-8, gb18030 or cp1252"
    ]
