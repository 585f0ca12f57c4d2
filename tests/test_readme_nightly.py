"""The README's "Rehearsing the nightly job" block runs as written (bar the port): the simulator
in the background, a dropped file, deploy/nightly.sh, the record, the alert, the metrics, and
the next night's missing file."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from tests.recordcheck import valid_record

ROOT = Path(__file__).resolve().parent.parent
MARKER = "<!-- nightly-example:"
PORT = "8090"


def readme_block() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    after = text[text.index(MARKER) :]
    start = after.index("```bash\n") + len("```bash\n")
    return after[start : after.index("\n```", start)]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_readme_nightly_example_runs_as_written(tmp_path: Path) -> None:
    block = readme_block()
    assert PORT in block
    script = block.replace(PORT, str(free_port()))  # parallel test runs must not collide
    shutil.copytree(ROOT / "samples", tmp_path / "samples")
    shutil.copytree(ROOT / "deploy", tmp_path / "deploy")
    env = {k: v for k, v in os.environ.items() if not k.startswith("RESCHEDULER_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    proc = subprocess.Popen(
        ["bash", "-c", script],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=120)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # the background simulator, if still there
    assert proc.returncode == 0, err
    assert "exit 1\n" in out
    assert out.rstrip().endswith("exit 4")
    assert "the upstream export did not arrive?" in err
    runs = sorted((tmp_path / "nightly" / "runs").iterdir())
    assert len(runs) == 2
    assert list((tmp_path / "nightly" / "inbox").iterdir()) == []  # the file left the inbox
    first = valid_record(runs[0] / "changes.run.json")
    second = valid_record(runs[1] / "changes.run.json")
    if first["exit"]["code"] == 4:  # same second: the order of the names is the pids'
        first, second = second, first
    assert first["exit"]["code"] == 1
    assert first["rows"]["succeeded"] == 12
    assert first["notification"]["status"] == "delivered"
    assert second["exit"]["code"] == 4
    assert second["notification"]["status"] == "delivered"
    assert '"msgtype": "markdown"' in out  # the alert as the simulator got it
    assert "demo-robot-key" not in json.dumps(first)
    metrics = (tmp_path / "nightly" / "rescheduler.prom").read_text(encoding="utf-8")
    values = {
        s.name: s.value
        for family in text_string_to_metric_families(metrics)
        for s in family.samples
        if not s.labels
    }
    assert values["rescheduler_last_run_exit_code"] == 4
    log_lines = (tmp_path / "nightly" / "rescheduler.log").read_text("utf-8").splitlines()
    assert all(json.loads(line)["time"] for line in log_lines)
