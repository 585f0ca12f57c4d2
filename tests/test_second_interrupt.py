"""Ctrl-C twice and three times (issue 9, item 9): the report still holds every final row.

Requests are held by a hand-written server (``Gate``) so that some are always on their way
when the signals land. Ctrl-C once waits for them; twice stops waiting: they are ``failed``
("may or may not have applied it"), every other row not attempted is ``not_sent``, and the
results file is complete. Three times quits at once: the earlier results file is left as it
was and the rows written so far are in ``<results>.partial``. ``--resume`` finishes either.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import threading
import time
from functools import partial
from pathlib import Path

import anyio
import pytest

from rescheduler.config import load_config
from rescheduler.engine import run
from rescheduler.errors import Interrupted
from rescheduler.job import Job
from tests.e2e import (
    SK,
    by_line,
    invoke,
    read_results,
    simple_rows,
    spawn,
    wait_until,
    write_config,
    write_csv,
)
from tests.fakeserver import Gate, fake_server

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX signals")

CONCURRENCY = 4
OLD = b"results of an earlier run\r\n"


def journal_statuses(path: Path) -> dict[str, int]:
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        rows = db.execute("SELECT status, COUNT(*) FROM outcome GROUP BY status").fetchall()
    finally:
        db.close()
    return dict(rows)


def test_second_ctrl_c_stops_waiting_and_still_writes_every_row(tmp_path: Path) -> None:
    count, answered = 200, 30
    write_csv(tmp_path / "in.csv", simple_rows(count))
    gate = Gate(open_for=answered)
    with fake_server(gate.handler) as fake:
        config = write_config(tmp_path / "c.toml", fake.base_url, concurrency=CONCURRENCY)
        client = spawn("run", str(tmp_path / "in.csv"), "-c", str(config), "--no-snapshot")
        stderr = client.stderr
        assert stderr is not None
        lines: list[str] = []
        reader = threading.Thread(
            target=lambda: lines.extend(line.decode() for line in iter(stderr.readline, b""))
        )
        reader.start()
        try:
            wait_until(lambda: gate.arrived == answered + CONCURRENCY)  # 4 held on their way
            client.send_signal(signal.SIGINT)
            wait_until(lambda: any("waiting for the answers" in line for line in lines))
            client.send_signal(signal.SIGINT)  # do not wait for the 4 held requests
            client.wait(30)
            reader.join(10)
            served = gate.answered  # before the held requests are let go
        finally:
            gate.release()
            if client.poll() is None:
                client.kill()
        err = "".join(lines)
        assert client.returncode == 3, err
        assert "Traceback" not in err
        assert served == answered  # the run ended without the held requests' answers

        rows = by_line(read_results(tmp_path / "in.results.csv"))
        assert sorted(rows) == list(range(2, count + 2))  # every row, each once
        statuses = [r["status"] for r in rows.values()]
        assert statuses.count("succeeded") == answered
        failed = [r for r in rows.values() if r["status"] == "failed"]
        assert len(failed) == CONCURRENCY
        for row in failed:
            assert row["attempts"] == "1"
            assert "no answer awaited" in row["error"]
            assert "may or may not have applied it" in row["error"]
        assert statuses.count("not_sent") == count - answered - CONCURRENCY
        assert "interrupted in flight x4" in err  # the summary names why they failed
        assert journal_statuses(tmp_path / "in.journal.sqlite")["succeeded"] == answered

        result = invoke("run", str(tmp_path / "in.csv"), "-c", str(config), "--resume")
    assert result.exit_code == 0, result.output
    resumed = by_line(read_results(tmp_path / "in.results.csv"))
    assert sorted(resumed) == list(range(2, count + 2))
    assert [r["status"] for r in resumed.values()].count("skipped") == answered
    assert [r["status"] for r in resumed.values()].count("succeeded") == count - answered


def test_third_ctrl_c_quits_at_once_leaving_the_old_results_and_the_rows_so_far(
    tmp_path: Path,
) -> None:
    count, answered = 3000, 20
    write_csv(tmp_path / "in.csv", simple_rows(count))
    (tmp_path / "in.results.csv").write_bytes(OLD)
    gate = Gate(open_for=answered)
    with fake_server(gate.handler) as fake:
        config_path = write_config(tmp_path / "c.toml", fake.base_url, concurrency=CONCURRENCY)
        config = load_config(config_path, environ={"RESCHEDULER_SECRET_KEY": SK})
        job = Job(input_path=tmp_path / "in.csv", config=config, handle_signals=True)

        async def main() -> None:
            async def press_ctrl_c() -> None:
                while gate.arrived < answered + CONCURRENCY:  # noqa: ASYNC110 (another thread)
                    await anyio.sleep(0.01)
                for _ in range(3):  # delivered at once, in order: the watcher sees all three
                    os.kill(os.getpid(), signal.SIGINT)

            async with anyio.create_task_group() as tg:
                tg.start_soon(press_ctrl_c)
                with pytest.raises(Interrupted) as caught:
                    await run(job)
            message = str(caught.value)
            assert message.startswith("interrupted by SIGINT")
            assert "in.results.csv was not replaced" in message
            assert "in.results.csv.partial" in message

        try:
            anyio.run(main)
        finally:
            gate.release()
        assert (tmp_path / "in.results.csv").read_bytes() == OLD
        partial = by_line(read_results(tmp_path / "in.results.csv.partial"))  # each line once
        assert 0 < len(partial) < count
        kinds = {r["status"] for r in partial.values()}
        assert kinds <= {"succeeded", "failed", "not_sent"}
        assert [r["status"] for r in partial.values()].count("succeeded") == answered
        assert journal_statuses(tmp_path / "in.journal.sqlite")["succeeded"] == answered

        result = invoke("run", str(tmp_path / "in.csv"), "-c", str(config_path), "--resume")
    assert result.exit_code == 0, result.output
    resumed = by_line(read_results(tmp_path / "in.results.csv"))
    assert sorted(resumed) == list(range(2, count + 2))
    assert not (tmp_path / "in.results.csv.partial").exists()


def test_a_ctrl_c_landing_after_the_run_returned_does_not_undo_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Ctrl-C the run already handled can reach Python once its loop is closed (the signal
    handler is back to the default by then): the complete run still ends as it ended."""
    from rescheduler.console import ProgressDisplay
    from tests.e2e import serving, store_of

    def late(self: ProgressDisplay, *exc: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(ProgressDisplay, "__exit__", late)
    write_csv(tmp_path / "in.csv", simple_rows(5))
    with serving(store_of(5)) as sim:
        config = write_config(tmp_path / "c.toml", sim.base_url)
        result = invoke("run", str(tmp_path / "in.csv"), "-c", str(config))
    assert result.exit_code == 0, result.output
    assert "succeeded  5" in result.output
    assert "interrupted" not in result.output
    assert [r["status"] for r in read_results(tmp_path / "in.results.csv")] == ["succeeded"] * 5


def test_a_ctrl_c_while_the_files_are_finished_does_not_stop_them_being_put_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rows are all final; a Ctrl-C pressed a moment too late is held, not raised."""
    from rescheduler.write.runfiles import RunFiles
    from tests.e2e import serving, store_of

    real_finish = RunFiles.finish
    pressed: list[bool] = []

    def finish_under_ctrl_c(self: RunFiles, *, publish: bool) -> None:
        if publish and not pressed:
            pressed.append(True)
            os.kill(os.getpid(), signal.SIGINT)  # lands right here, in the main thread
        real_finish(self, publish=publish)

    monkeypatch.setattr(RunFiles, "finish", finish_under_ctrl_c)
    write_csv(tmp_path / "in.csv", simple_rows(5))
    (tmp_path / "in.results.csv").write_bytes(OLD)
    with serving(store_of(5)) as sim:
        config_path = write_config(tmp_path / "c.toml", sim.base_url)
        config = load_config(config_path, environ={"RESCHEDULER_SECRET_KEY": SK})
        job = Job(input_path=tmp_path / "in.csv", config=config, handle_signals=True)
        result = anyio.run(run, job)
    assert pressed
    assert result.exit_code == 0
    rows = read_results(tmp_path / "in.results.csv")  # replaced: the old file is gone
    assert [r["status"] for r in rows] == ["succeeded"] * 5
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # released again


def sending(gate: Gate) -> bool:
    return gate.arrived >= 20 + CONCURRENCY  # sending, some requests held


def test_ctrl_c_pressed_until_the_process_ends_always_exits_3(tmp_path: Path) -> None:
    """Ctrl-C held down (hostile-cli p13): presses land in every phase of the ending — the
    third press's hard stop, the files being finished, the run record, the interpreter's own
    shutdown. The exit code is 3 each time, never the signal's (-2) nor click's "Aborted!"."""
    codes = []
    for attempt in range(3):
        folder = tmp_path / str(attempt)
        folder.mkdir()
        write_csv(folder / "in.csv", simple_rows(400))
        gate = Gate(open_for=20)
        with fake_server(gate.handler) as fake:
            config = write_config(folder / "c.toml", fake.base_url, concurrency=CONCURRENCY)
            client = spawn("run", str(folder / "in.csv"), "-c", str(config), "--no-snapshot")
            try:
                wait_until(partial(sending, gate))
                deadline = time.monotonic() + 60  # a process that never ends fails, not hangs
                while client.poll() is None:
                    if time.monotonic() > deadline:
                        client.kill()
                        pytest.fail("the process did not end while Ctrl-C was held down")
                    client.send_signal(signal.SIGINT)
                    try:
                        client.wait(0.002)
                    except Exception:  # still running: press again
                        continue
            finally:
                gate.release()
                _, err = client.communicate(timeout=60)
        codes.append((client.returncode, err.decode().strip().splitlines()[-1:]))
    assert [code for code, _ in codes] == [3, 3, 3], codes
