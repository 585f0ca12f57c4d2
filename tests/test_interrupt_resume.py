"""Crash and interruption: SIGKILL or SIGINT mid-run, then --resume finishes without re-sending.

The client runs as a real subprocess (``python -m rescheduler run``) so signals and a hard kill
hit it exactly as they would in production; the simulator runs in this process on loopback.
"""

from __future__ import annotations

import csv
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from rescheduler.simulator.store import Store
from tests.e2e import (
    SK,
    appoint_id,
    by_line,
    invoke,
    read_results,
    serving,
    simple_rows,
    store_of,
    write_config,
    write_csv,
)
from tests.recordcheck import valid_record
from tests.simthread import SimHandle

COUNT = 240

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX signals")


def start_client(tmp_path: Path, config: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "RESCHEDULER_SECRET_KEY": SK}
    return subprocess.Popen(
        [sys.executable, "-m", "rescheduler", "run", str(tmp_path / "in.csv"), "-c", str(config)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def wait_until_reading(pid: int, path: Path, timeout: float = 20) -> None:
    """Until process ``pid`` has ``path`` open (Linux /proc): the run is past start-up, whose
    length varies with the machine's load. Elsewhere: a fixed pause."""
    fds = Path(f"/proc/{pid}/fd")
    if not fds.is_dir():
        time.sleep(0.4)
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for fd in list(fds.iterdir()):
            try:
                if os.readlink(fd) == str(path):
                    return
            except OSError:
                continue
        time.sleep(0.005)
    raise AssertionError(f"process {pid} never opened {path}")


def wait_for(measure: Callable[[], int], at_least: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while measure() < at_least:
        assert time.monotonic() < deadline, "the client did not get that far"
        time.sleep(0.01)


def updates_per_id(store: Store) -> dict[str, int]:
    """Requests the simulator applied per reservation (no faults here: every request applies)."""
    out = {}
    for n in range(1, COUNT + 1):
        reservation = store.get(appoint_id(n))
        assert reservation is not None
        out[appoint_id(n)] = reservation.updates
    return out


def journal_successes(path: Path) -> set[str]:
    if not path.exists():
        return set()
    db = sqlite3.connect(path)
    try:
        rows = db.execute("SELECT key FROM outcome WHERE status = 'succeeded'").fetchall()
    except sqlite3.OperationalError:  # the schema is not there yet
        return set()
    finally:
        db.close()
    return {key.split(":", 1)[1] for (key,) in rows}


def check_resumed(
    tmp_path: Path,
    store: Store,
    before: dict[str, int],
    after: dict[str, int],
    done_before: set[str],
) -> None:
    rows = by_line(read_results(tmp_path / "in.results.csv"))
    assert sorted(rows) == list(range(2, COUNT + 2))
    for line, row in rows.items():
        ident = appoint_id(line - 1)
        if ident in done_before:
            assert row["status"] == "skipped", row
            assert row["error"].startswith("succeeded in an earlier run at ")
            assert after[ident] == before[ident], f"{ident} was sent again"
        elif row["status"] == "skipped":  # applied, but the journal lost it: the snapshot
            assert row["error_code"] == "already_so", row  # sees the change is there
            assert after[ident] == before[ident] == 1, f"{ident} was sent again"
        else:
            assert row["status"] == "succeeded", row
        reservation = store.get(ident)
        assert reservation is not None
        assert reservation.remark == f"remark {line - 1}"


def test_sigkill_mid_run_then_resume(tmp_path: Path) -> None:
    write_csv(tmp_path / "in.csv", simple_rows(COUNT))
    store = store_of(COUNT)
    with serving(store, latency_ms=15) as sim:
        config = write_config(tmp_path / "c.toml", sim.base_url, concurrency=4)
        client = start_client(tmp_path, config)
        journal = tmp_path / "in.journal.sqlite"
        wait_for(lambda: len(journal_successes(journal)), 20)
        client.send_signal(signal.SIGKILL)
        client.wait(10)
        assert client.returncode == -signal.SIGKILL
        before = updates_per_id(store)
        done_before = journal_successes(tmp_path / "in.journal.sqlite")
        assert 0 < len(done_before) < COUNT
        result = invoke("run", str(tmp_path / "in.csv"), "-c", str(config), "--resume")
        after = updates_per_id(store)
    assert result.exit_code == 0, result.output
    check_resumed(tmp_path, store, before, after, done_before)
    # Only rows in flight or in the last uncommitted journal batch may have been applied twice.
    twice = [r for r in store if r.updates > 1]
    assert len(twice) <= 4 + 50


def interrupt_mid_run(tmp_path: Path, sim: SimHandle, config: Path, signals: int) -> bytes:
    """Start the client, let a third of the rows go out, send SIGINT ``signals`` times."""
    client = start_client(tmp_path, config)
    wait_for(lambda: sim.sim.stats.total_requests, COUNT // 3)
    for _ in range(signals):
        client.send_signal(signal.SIGINT)
    _, err = client.communicate(timeout=15)
    assert client.returncode == 3, err.decode()
    return err


def test_sigint_stops_cleanly_then_resume_finishes(tmp_path: Path) -> None:
    write_csv(tmp_path / "in.csv", simple_rows(COUNT))
    store = store_of(COUNT)
    with serving(store, latency_ms=15) as sim:
        config = write_config(tmp_path / "c.toml", sim.base_url, concurrency=4)
        err = interrupt_mid_run(tmp_path, sim, config, signals=1)
        assert b"interrupted by SIGINT" in err
        first = by_line(read_results(tmp_path / "in.results.csv"))
        assert sorted(first) == list(range(2, COUNT + 2))  # complete, though stopped
        statuses = [r["status"] for r in first.values()]
        assert set(statuses) == {"succeeded", "not_sent"}
        record = valid_record(tmp_path / "in.run.json")
        assert (record["exit"]["code"], record["exit"]["name"]) == (3, "aborted")
        assert record["aborted"]["kind"] == "Interrupted"
        assert record["rows"]["succeeded"] == statuses.count("succeeded")
        assert record["rows"]["not_sent"] == statuses.count("not_sent")
        before = updates_per_id(store)
        done_before = journal_successes(tmp_path / "in.journal.sqlite")
        assert len(done_before) == statuses.count("succeeded")
        assert sum(before.values()) == statuses.count("succeeded")  # nothing else was sent
        result = invoke("run", str(tmp_path / "in.csv"), "-c", str(config), "--resume")
        after = updates_per_id(store)
    assert result.exit_code == 0, result.output
    check_resumed(tmp_path, store, before, after, done_before)
    assert all(r.updates == 1 for r in store)


def test_two_quick_sigints_still_leave_a_complete_resumable_report(tmp_path: Path) -> None:
    write_csv(tmp_path / "in.csv", simple_rows(COUNT))
    store = store_of(COUNT)
    with serving(store, latency_ms=15) as sim:
        config = write_config(tmp_path / "c.toml", sim.base_url, concurrency=4)
        interrupt_mid_run(tmp_path, sim, config, signals=2)
        first = by_line(read_results(tmp_path / "in.results.csv"))  # every row, each once
        assert sorted(first) == list(range(2, COUNT + 2))
        before = updates_per_id(store)
        done_before = journal_successes(tmp_path / "in.journal.sqlite")
        result = invoke("run", str(tmp_path / "in.csv"), "-c", str(config), "--resume")
        after = updates_per_id(store)
    assert result.exit_code == 0, result.output
    check_resumed(tmp_path, store, before, after, done_before)


def test_sigint_before_sending_started_still_reports_every_row(tmp_path: Path) -> None:
    count = 150_000  # enough rows that the first pass is still reading when SIGINT lands
    write_csv(tmp_path / "in.csv", simple_rows(count))
    with serving(store_of(10)) as sim:
        config = write_config(tmp_path / "c.toml", sim.base_url, concurrency=2, rate_per_s=5.0)
        client = start_client(tmp_path, config)
        wait_until_reading(client.pid, tmp_path / "in.csv")
        client.send_signal(signal.SIGINT)
        _, err = client.communicate(timeout=60)
        sent = sim.sim.stats.total_requests
    assert client.returncode == 3, err.decode()
    with (tmp_path / "in.results.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == count
    assert len({r["line"] for r in rows}) == count
    record = valid_record(tmp_path / "in.run.json")
    assert record["exit"]["code"] == 3
    assert (record["aborted"] or record["error"])["kind"] == "Interrupted"
    if b"interrupted before sending started" in err:  # the usual case: caught in pass one
        assert sent == 0
        assert {r["status"] for r in rows} == {"not_sent"}
    else:  # the pool caught it: in-flight finished, the rest not_sent
        assert sum(r["status"] == "succeeded" for r in rows) == sent
