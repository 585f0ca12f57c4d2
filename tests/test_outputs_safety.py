"""Outputs are never damaged (issue 9, items 6 and 7).

A run takes its lock before it opens any output, checks every output first, writes each one
under ``<name>.partial`` beside the target and renames it into place only when it is complete.
So a second run, a ``validate`` or an output that cannot be written never truncates a results
file that a run is writing or that the user already has.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tests.e2e import (
    by_line,
    invoke,
    read_results,
    serving,
    simple_rows,
    spawn,
    store_of,
    wait_until,
    write_config,
    write_csv,
)
from tests.fakeserver import Gate, fake_server

OLD = b"results of an earlier run\r\n"


def lines_on_disk(folder: Path) -> int:
    """Data rows the running run has pushed to disk so far (under either name)."""
    partial = folder / "in.results.csv.partial"
    path = partial if partial.exists() else folder / "in.results.csv"
    try:
        text = path.read_bytes()
    except FileNotFoundError:
        return 0
    return max(0, text.count(b"\r\n") - 1) if text != OLD else 0


def test_nothing_else_touches_the_outputs_of_a_running_run(tmp_path: Path) -> None:
    count = 60
    write_csv(tmp_path / "in.csv", simple_rows(count))
    (tmp_path / "in.results.csv").write_bytes(OLD)
    gate = Gate(open_for=40, latency_s=0.03)
    with fake_server(gate.handler) as fake:
        config = write_config(tmp_path / "c.toml", fake.base_url, concurrency=2)
        first = spawn("run", str(tmp_path / "in.csv"), "-c", str(config))
        try:
            wait_until(lambda: gate.arrived > 40 and lines_on_disk(tmp_path) >= 5)

            # A second run on the same outputs is refused before it opens anything.
            second = invoke("run", str(tmp_path / "in.csv"), "-c", str(config))
            assert second.exit_code == 2, second.output
            assert "in.results.csv is being written by another rescheduler run" in second.output
            assert (tmp_path / "in.results.csv").read_bytes() == OLD

            # validate writes its own report, never the run's.
            checked = invoke("validate", str(tmp_path / "in.csv"), "-c", str(config))
            assert checked.exit_code == 0, checked.output
            verdicts = read_results(tmp_path / "in.validation.csv")
            assert {r["status"] for r in verdicts} == {"skipped"}
            assert (tmp_path / "in.validation.errors.csv").exists()

            # ... and pointed at the run's results, it is refused like a second run.
            aimed = invoke(
                "validate",
                str(tmp_path / "in.csv"),
                "-c",
                str(config),
                "--out",
                str(tmp_path / "in.results.csv"),
            )
            assert aimed.exit_code == 2, aimed.output
            assert "is being written by another rescheduler run" in aimed.output
            assert (tmp_path / "in.results.csv").read_bytes() == OLD
        finally:
            gate.release()
            _, err = first.communicate(timeout=60)
    assert first.returncode == 0, err.decode()
    raw = (tmp_path / "in.results.csv").read_bytes()
    assert b"\x00" not in raw
    rows = by_line(read_results(tmp_path / "in.results.csv"))
    assert sorted(rows) == list(range(2, count + 2))
    assert {r["status"] for r in rows.values()} == {"succeeded"}
    assert not (tmp_path / "in.results.csv.partial").exists()


@pytest.mark.parametrize("which", ["errors", "results"])
@pytest.mark.parametrize("how", ["read-only", "a folder"])
def test_an_output_that_cannot_be_replaced_stops_the_run_before_anything(
    tmp_path: Path, which: str, how: str
) -> None:
    write_csv(tmp_path / "in.csv", simple_rows(5))
    results, errors = tmp_path / "in.results.csv", tmp_path / "in.errors.csv"
    results.write_bytes(OLD)
    errors.write_bytes(OLD)
    target = errors if which == "errors" else results
    if how == "a folder":
        target.unlink()
        target.mkdir()
    else:
        target.chmod(stat.S_IRUSR | stat.S_IRGRP)
    with serving(store_of(5)) as sim:
        config = write_config(tmp_path / "c.toml", sim.base_url)
        result = invoke("run", str(tmp_path / "in.csv"), "-c", str(config))
        sent = sim.sim.stats.total_requests
    assert result.exit_code == 2, result.output
    assert sent == 0
    assert str(target) in result.output
    assert "Traceback" not in result.output
    for path in (results, errors):
        if path.is_file():
            assert path.read_bytes() == OLD  # untouched, not even truncated
    assert not list(tmp_path.glob("*.partial"))
    assert not (tmp_path / "in.journal.sqlite").exists()


def test_a_missing_output_folder_is_named(tmp_path: Path) -> None:
    write_csv(tmp_path / "in.csv", simple_rows(2))
    out = tmp_path / "nowhere" / "r.csv"
    result = invoke("validate", str(tmp_path / "in.csv"), "--out", str(out), secret=None)
    assert result.exit_code == 2
    assert f"{out.parent}" in result.output
    assert "does not exist" in result.output


def test_a_complete_report_replaces_the_previous_one_and_keeps_its_permissions(
    tmp_path: Path,
) -> None:
    write_csv(tmp_path / "in.csv", simple_rows(3))
    results = tmp_path / "in.results.csv"
    results.write_bytes(OLD)
    results.chmod(0o640)
    with serving(store_of(3)) as sim:
        config = write_config(tmp_path / "c.toml", sim.base_url)
        result = invoke("run", str(tmp_path / "in.csv"), "-c", str(config))
    assert result.exit_code == 0, result.output
    assert [r["status"] for r in read_results(results)] == ["succeeded"] * 3
    assert stat.S_IMODE(os.stat(results).st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".partial") == []
