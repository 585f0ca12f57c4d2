"""Side outputs never damage a file (hostile-cli p14, p16, p28).

``--journal``, ``--log-file`` and ``--metrics-file`` go through the results' checks: none may
be the input, an earlier results file, a read-only file or a device; a journal is only ever
replaced over a journal, metrics only over metrics, a log only appended to a log. A log file
that cannot be written never changes the run's outcome or its exit code.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import sqlite3
import threading
from pathlib import Path

import pytest

from tests.e2e import (
    invoke,
    read_results,
    serving,
    simple_rows,
    spawn,
    store_of,
    write_config,
    write_csv,
)

EARLIER = b"appointId,status\r\n123,succeeded\r\n"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def victims(folder: Path) -> dict[str, Path]:
    earlier = folder / "earlier.results.csv"
    earlier.write_bytes(EARLIER)
    readonly = folder / "readonly.txt"
    readonly.write_text("precious\n", encoding="utf-8")
    readonly.chmod(0o444)
    db = folder / "other.sqlite"
    with sqlite3.connect(db) as con:
        con.execute("CREATE TABLE mine (x)")
    con.close()
    return {"input": folder / "in.csv", "earlier": earlier, "readonly": readonly, "db": db}


@pytest.mark.parametrize("flag", ["--journal", "--metrics-file", "--log-file"])
@pytest.mark.parametrize("victim", ["input", "earlier", "readonly", "db"])
def test_a_side_output_never_replaces_or_appends_to_a_file_the_user_has(
    tmp_path: Path, flag: str, victim: str
) -> None:
    write_csv(tmp_path / "in.csv", simple_rows(4))
    target = victims(tmp_path)[victim]
    before = digest(target)
    with serving(store_of(4)) as sim:
        config = write_config(tmp_path / "c.toml", sim.base_url)
        result = invoke(
            "run", str(tmp_path / "in.csv"), "-c", str(config), "--quiet",
            "--out", str(tmp_path / "new.csv"), flag, str(target),
        )  # fmt: skip
        sent = sim.sim.stats.total_requests
    assert result.exit_code == 2, result.output
    assert sent == 0
    assert digest(target) == before, f"{flag} {victim} changed"
    assert str(target) in result.output
    assert "Traceback" not in result.output


def test_a_journal_of_ours_and_metrics_of_ours_are_replaced(tmp_path: Path) -> None:
    """The refusals above are not a refusal of every existing file: ours are replaced."""
    write_csv(tmp_path / "in.csv", simple_rows(3))
    metrics = tmp_path / "m.prom"
    with serving(store_of(3)) as sim:
        config = write_config(tmp_path / "c.toml", sim.base_url)
        args = ["run", str(tmp_path / "in.csv"), "-c", str(config), "--quiet"]
        args += ["--journal", str(tmp_path / "j.sqlite"), "--metrics-file", str(metrics)]
        first = invoke(*args)
        second = invoke(*args)
    assert (first.exit_code, second.exit_code) == (0, 0), second.output
    assert metrics.read_text(encoding="utf-8").startswith("# HELP rescheduler_")


def test_devices_and_fifos_are_no_metrics_or_journal_and_stay_what_they_are(
    tmp_path: Path,
) -> None:
    write_csv(tmp_path / "in.csv", simple_rows(2))
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with serving(store_of(2)) as sim:
        config = write_config(tmp_path / "c.toml", sim.base_url)
        for flag in ("--metrics-file", "--journal", "--out"):
            result = invoke(
                "run", str(tmp_path / "in.csv"), "-c", str(config), "--quiet", flag, str(fifo)
            )
            assert result.exit_code == 2, (flag, result.output)
            assert "not a regular file" in result.output, flag
            assert f"choose another {flag}" in result.output  # the flag that moves it
            assert fifo.is_fifo()
        sent = sim.sim.stats.total_requests
    assert sent == 0
    assert not list(tmp_path.glob("pipe*.run.json"))  # no record beside a "results" FIFO


def test_a_log_fifo_is_written_to(tmp_path: Path) -> None:
    """Documented: a FIFO (or a character device such as /dev/stderr) takes the log lines."""
    write_csv(tmp_path / "in.csv", simple_rows(2))
    fifo = tmp_path / "log.pipe"
    os.mkfifo(fifo)
    lines: list[bytes] = []

    def drain() -> None:
        with open(fifo, "rb") as reader:
            lines.extend(reader)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    with serving(store_of(2)) as sim:
        config = write_config(tmp_path / "c.toml", sim.base_url)
        result = invoke(
            "run", str(tmp_path / "in.csv"), "-c", str(config), "--quiet", "--log-file", str(fifo)
        )
    reader.join(10)
    assert result.exit_code == 0, result.output
    assert any(b"run.ended" in line or b"exit 0" in line for line in lines), lines
    assert fifo.is_fifo()


def test_a_log_file_that_cannot_be_written_never_changes_the_outcome(tmp_path: Path) -> None:
    """The log file is at the file-size limit (ulimit -f): every row is still applied and
    reported, exit 0, the run record says 0 too, and one warning says what happened."""
    write_csv(tmp_path / "in.csv", simple_rows(30))
    log = tmp_path / "full.log"
    limit = 256 * 1024
    log.write_bytes(b"x" * limit)

    def at_limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    with serving(store_of(30)) as sim:
        config = write_config(tmp_path / "c.toml", sim.base_url)
        client = spawn(
            "run", str(tmp_path / "in.csv"), "-c", str(config), "--quiet", "--no-snapshot",
            "--log-file", str(log), preexec_fn=at_limit,
        )  # fmt: skip
        _, raw = client.communicate(timeout=60)
        applied = sim.sim.stats.total_requests
    err = raw.decode()
    assert client.returncode == 0, err
    assert applied == 30
    assert "cannot write the log file" in err
    assert "internal error" not in err
    assert "nothing was sent" not in err
    record = json.loads((tmp_path / "in.run.json").read_text(encoding="utf-8"))
    assert record["exit"]["code"] == 0
    rows = read_results(tmp_path / "in.results.csv")
    assert {r["status"] for r in rows} == {"succeeded"}
