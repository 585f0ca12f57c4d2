"""An input rewritten while a run reads it (hostile-cli p08, p08b, p08c).

Every pass reads the bytes the run copied at its start (``read.pinned``): a file rewritten
in place (shorter, longer), or replaced by another, never gives pass two other rows than pass
one checked. The run stops at the change (exit 3, ``input_changed``): the rows sent are the
original file's, the results file holds every original row once (the rest ``not_sent``), and
no value that no version of the file held is ever sent. A file touched with the same bytes
is no change. Without room for a copy the file is read in place and the run stops before
any row read from changed bytes is handed on (the report is then left incomplete).
"""

from __future__ import annotations

import errno
import json
import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from aiohttp import web

from tests.e2e import (
    HEADERS,
    by_line,
    invoke,
    read_results,
    simple_rows,
    write_config,
    write_csv,
)
from tests.fakeserver import SUCCESS, fake_server

COUNT = 300
CHANGE_AT = 20
OLD = b"results of an earlier run\r\n"


class Recorder:
    """Answers every update with success; on the CHANGE_AT-th request, changes the input."""

    def __init__(self, change: Callable[[], object]) -> None:
        self.change = change
        self.bodies: list[dict[str, str]] = []
        self._lock = threading.Lock()

    async def handler(self, request: web.Request) -> web.StreamResponse:
        body = json.loads(await request.read())
        with self._lock:
            self.bodies.append(body)
            if len(self.bodies) == CHANGE_AT:
                self.change()
        return web.Response(body=SUCCESS, content_type="application/json")


def original(folder: Path) -> dict[str, list[str]]:
    rows = simple_rows(COUNT)
    write_csv(folder / "in.csv", rows)
    return {row[0]: row for row in rows}


def rewrite_in_place(path: Path, rows: list[list[str]]) -> None:
    with path.open("r+", newline="", encoding="utf-8") as handle:  # same file, as cp does
        handle.truncate(0)
        handle.write(",".join(HEADERS) + "\r\n")
        handle.writelines(",".join(r) + "\r\n" for r in rows)


def changes(folder: Path) -> dict[str, Callable[[], object]]:
    path = folder / "in.csv"
    other = [[f"8{n:029d}", "agent.x", "", "2031-03-04 09:30", "a much longer remark " * 3]
             for n in range(COUNT * 2)]  # fmt: skip
    replacement = folder / "new.csv"
    write_csv(replacement, other[:5])
    return {
        "shrinks in place": lambda: rewrite_in_place(path, other[:3]),
        "grows in place": lambda: rewrite_in_place(path, other),
        "emptied to its header": lambda: rewrite_in_place(path, []),
        "replaced": lambda: os.replace(replacement, path),
    }


def assert_only_the_original_was_sent(
    bodies: list[dict[str, str]], rows: dict[str, list[str]]
) -> None:
    for body in bodies:
        row = rows.get(body["appointId"])
        assert row is not None, f"sent an appointId no version of the file held: {body}"
        assert body["userAccount"] == row[1]
        assert body.get("remark") == row[4], body


@pytest.mark.parametrize("how", ["shrinks in place", "grows in place", "emptied to its header",
                                 "replaced"])  # fmt: skip
def test_a_run_stops_at_a_change_and_reports_every_original_row_once(
    tmp_path: Path, how: str
) -> None:
    rows = original(tmp_path)
    recorder = Recorder(changes(tmp_path)[how])
    with fake_server(recorder.handler) as fake:
        config = write_config(tmp_path / "c.toml", fake.base_url, concurrency=2)
        result = invoke("run", str(tmp_path / "in.csv"), "-c", str(config), "--no-snapshot")
    assert result.exit_code == 3, result.output
    assert "changed during the run" in result.output
    assert_only_the_original_was_sent(recorder.bodies, rows)
    report = by_line(read_results(tmp_path / "in.results.csv"))
    assert sorted(report) == list(range(2, COUNT + 2))  # every original row, once
    for line, row in report.items():
        assert row["appointId"] == simple_rows(1, start=line - 1)[0][0]
    statuses = [r["status"] for r in report.values()]
    sent = statuses.count("succeeded")
    assert CHANGE_AT <= sent < COUNT
    assert sent == len(recorder.bodies)
    assert statuses.count("not_sent") == COUNT - sent
    assert {r["error_code"] for r in report.values() if r["status"] == "not_sent"} == {
        "input_changed"
    }


def test_the_same_bytes_written_again_are_no_change(tmp_path: Path) -> None:
    rows = original(tmp_path)
    data = (tmp_path / "in.csv").read_bytes()
    recorder = Recorder(lambda: (tmp_path / "in.csv").write_bytes(data))
    with fake_server(recorder.handler) as fake:
        config = write_config(tmp_path / "c.toml", fake.base_url, concurrency=2)
        result = invoke("run", str(tmp_path / "in.csv"), "-c", str(config), "--no-snapshot")
    assert result.exit_code == 0, result.output
    assert len(recorder.bodies) == COUNT
    assert_only_the_original_was_sent(recorder.bodies, rows)


def test_without_room_for_a_copy_no_row_read_from_changed_bytes_is_sent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    def full(*args: object, **kwargs: object) -> object:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(tempfile, "TemporaryFile", full)
    rows = original(tmp_path)
    (tmp_path / "in.results.csv").write_bytes(OLD)
    recorder = Recorder(changes(tmp_path)["grows in place"])
    with fake_server(recorder.handler) as fake:
        config = write_config(tmp_path / "c.toml", fake.base_url, concurrency=2)
        result = invoke("run", str(tmp_path / "in.csv"), "-c", str(config), "--no-snapshot")
    assert result.exit_code == 3, result.output
    assert "changed during the run" in result.output
    assert "--resume" in result.output
    assert_only_the_original_was_sent(recorder.bodies, rows)
    assert (tmp_path / "in.results.csv").read_bytes() == OLD  # incomplete: not published
    kept = read_results(tmp_path / "in.results.csv.partial")
    assert {r["appointId"] for r in kept} <= set(rows)


def test_a_change_before_anything_is_sent_stops_the_run_with_nothing_sent(
    tmp_path: Path,
) -> None:
    """Pass one reads the file; it changes then: exit 2, nothing sent, no results."""
    from rescheduler.config import load_config
    from rescheduler.engine import run_sync
    from rescheduler.errors import InputFileError
    from rescheduler.job import Job, Progress

    write_csv(tmp_path / "in.csv", simple_rows(2500))

    class Rewriting(Progress):
        def reading(self, rows: int) -> None:  # pass one reports every 1,000 rows
            super().reading(rows)
            rewrite_in_place(tmp_path / "in.csv", simple_rows(3, start=9000))

    recorder = Recorder(lambda: None)
    with fake_server(recorder.handler) as fake:
        path = write_config(tmp_path / "c.toml", fake.base_url)
        config = load_config(path, environ={"RESCHEDULER_SECRET_KEY": "k"})
        job = Job(input_path=tmp_path / "in.csv", config=config)
        with pytest.raises(InputFileError, match="changed while it was being read"):
            run_sync(job, progress=Rewriting())
    assert recorder.bodies == []
    assert not (tmp_path / "in.results.csv").exists()
