"""An empty file name is a usage error, and export's last log line names its file (hostile2
H2-4: ``--out ''`` was an internal error; H2-5: the log said ``export None: exit 0``)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.e2e import invoke, serving, simple_rows, store_of, write_config, write_csv


@pytest.mark.parametrize(
    "args",
    [
        ["run", "{in}", "--out", ""],
        ["validate", "{in}", "--out", ""],
        ["run", "{in}", "--journal", " "],
        ["export", "--out", ""],
        ["run", "{in}", "--metrics-file", ""],
    ],
)
def test_an_empty_file_name_is_a_usage_error(tmp_path: Path, args: list[str]) -> None:
    write_csv(tmp_path / "in.csv", simple_rows(1))
    config = write_config(tmp_path / "c.toml", "http://127.0.0.1:9")
    argv = [a.replace("{in}", str(tmp_path / "in.csv")) for a in args]
    result = invoke(*argv, "-c", str(config))
    assert result.exit_code == 2, result.output
    assert "a file name is needed, not an empty text" in result.output
    assert "internal error" not in result.output


def test_the_export_log_line_names_the_file(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="rescheduler")
    out = tmp_path / "x.csv"
    with serving(store_of(3)) as sim:
        config = write_config(tmp_path / "c.toml", sim.base_url)
        result = invoke("export", "-c", str(config), "--out", str(out))
    assert result.exit_code == 0, result.output
    ended = [r.getMessage() for r in caplog.records if getattr(r, "event", "") == "run.ended"]
    assert ended == [f"export {out}: exit 0"]
