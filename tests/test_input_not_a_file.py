"""An input that is a named pipe: one line, exit 2, and a run record (hostile2 H2-13: run,
validate and plan blocked forever — the record's hash opened the pipe — and Ctrl-C could not
stop them)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e import SK


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes")
@pytest.mark.parametrize("command", ["validate", "run"])
def test_a_named_pipe_as_the_input_is_refused_at_once(tmp_path: Path, command: str) -> None:
    pipe = tmp_path / "in.csv"
    os.mkfifo(pipe)
    config = tmp_path / "c.toml"
    config.write_text('[server]\nbase_url = "http://127.0.0.1:9"\n[auth]\naccess_key = "a"\n')
    args = [sys.executable, "-m", "rescheduler", command, str(pipe), "-c", str(config), "--json"]
    env = {**os.environ, "RESCHEDULER_SECRET_KEY": SK}
    done = subprocess.run(args, capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 2, done.stderr
    assert "is not a regular file (a named pipe or a device)" in done.stderr
    record = json.loads(done.stdout)
    assert record["exit"]["code"] == 2
    assert record["input"].get("sha256") is None


@pytest.mark.parametrize("command", ["validate", "run", "plan"])
def test_a_folder_as_the_input_is_refused_with_a_record(tmp_path: Path, command: str) -> None:
    """A folder got click's usage error before anything was recorded: no run record, nothing
    on stdout with --json, no alert for the nightly job (hostile2 H2-13)."""
    from tests.e2e import invoke

    folder = tmp_path / "changes.csv"
    folder.mkdir()
    config = tmp_path / "c.toml"
    config.write_text('[server]\nbase_url = "http://127.0.0.1:9"\n[auth]\naccess_key = "a"\n')
    result = invoke(command, str(folder), "-c", str(config), "--json")
    assert result.exit_code == 2, result.output
    assert "is a folder, not a file" in result.stderr
    assert json.loads(result.stdout)["exit"]["code"] == 2
