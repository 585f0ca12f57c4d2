"""No other command writes a running run's files (hostile-cli p07, p07b, p14).

Every command that writes a file locks it as a run locks its results (``<name>.lock``): a
second run, ``validate``/``--dry-run``, ``export --out`` and ``template --force`` on a running
run's results or errors file are refused, and so is any output named like a file in progress
(``.partial``, ``.lock``). A run publishes its ``.partial`` only if it is still the file it
wrote. A refused command writes no run record over the running run's, and a refused
``--out`` that is no file writes no record beside it.
"""

from __future__ import annotations

import os
from pathlib import Path

from tests.e2e import (
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

OLD = b"results of an earlier run\r\n"
RECORD = b'{"an earlier run": "its record"}\n'


def test_no_command_writes_the_files_of_a_running_run(tmp_path: Path) -> None:
    count = 40
    write_csv(tmp_path / "in.csv", simple_rows(count))
    write_csv(tmp_path / "small.csv", simple_rows(3, start=900))
    results, errors = tmp_path / "in.results.csv", tmp_path / "in.errors.csv"
    partial, record = tmp_path / "in.results.csv.partial", tmp_path / "in.run.json"
    results.write_bytes(OLD)
    errors.write_bytes(OLD)
    record.write_bytes(RECORD)
    gate = Gate(open_for=10)
    with fake_server(gate.handler) as fake:
        config = write_config(tmp_path / "c.toml", fake.base_url, concurrency=2)
        first = spawn("run", str(tmp_path / "in.csv"), "-c", str(config), "--no-snapshot")
        try:
            wait_until(lambda: gate.arrived > 10 and partial.exists())
            attempts = {
                "second run": ["run", str(tmp_path / "in.csv"), "-c", str(config)],
                "dry run onto its results": [
                    "run", "--dry-run", str(tmp_path / "in.csv"), "--out", str(results),
                ],
                "export onto its results": [
                    "export", "-c", str(config), "--out", str(results), "--quiet",
                ],
                "template onto its results": ["template", str(results), "--force"],
                "template onto its errors": ["template", str(errors), "--force"],
                "validate onto its partial": [
                    "validate", str(tmp_path / "small.csv"), "--out", str(partial),
                ],
                "run onto its lock": [
                    "run", str(tmp_path / "small.csv"), "-c", str(config),
                    "--out", str(tmp_path / "in.results.csv.lock"),
                ],
                "run with its journal": [
                    "run", str(tmp_path / "in.csv"), "-c", str(config),
                    "--out", str(tmp_path / "other.csv"),
                    "--journal", str(tmp_path / "in.journal.sqlite"),
                ],
            }  # fmt: skip
            for name, args in attempts.items():
                before = partial.read_bytes()
                result = invoke(*args)
                assert result.exit_code == 2, (name, result.output)
                assert "Traceback" not in result.output, name
                assert results.read_bytes() == OLD, name
                assert errors.read_bytes() == OLD, name
                assert record.read_bytes() == RECORD, name  # never the running run's record
                assert partial.read_bytes()[: len(before)] == before, name
            assert gate.answered == 10  # nothing else was sent meanwhile
            assert gate.arrived <= 10 + 2  # nor listed: refused before any snapshot
            records = sorted(p.name for p in tmp_path.glob("*.run.json"))
            # none beside the running run's files; the refused run's own (other.run.json)
            assert records == ["in.run.json", "other.run.json"], records
            assert not list(tmp_path.glob("other.*.csv"))
        finally:
            gate.release()
            _, err = first.communicate(timeout=60)
    assert first.returncode == 0, err.decode()
    rows = by_line(read_results(results))
    assert sorted(rows) == list(range(2, count + 2))
    assert {r["status"] for r in rows.values()} == {"succeeded"}
    assert record.read_bytes() != RECORD  # the run's own record, at its end


def test_a_partial_file_replaced_by_another_program_is_never_published(tmp_path: Path) -> None:
    write_csv(tmp_path / "in.csv", simple_rows(30))
    results, partial = tmp_path / "in.results.csv", tmp_path / "in.results.csv.partial"
    results.write_bytes(OLD)
    impostor = tmp_path / "impostor.csv"
    impostor.write_bytes(b"appointId,status\r\n1,dry run\r\n")
    gate = Gate(open_for=5)
    with fake_server(gate.handler) as fake:
        config = write_config(tmp_path / "c.toml", fake.base_url, concurrency=2)
        run = spawn("run", str(tmp_path / "in.csv"), "-c", str(config), "--no-snapshot")
        try:
            wait_until(lambda: gate.arrived > 5 and partial.exists())
            os.replace(impostor, partial)  # what `validate --out in.results.csv.partial` did
        finally:
            gate.release()
            _, raw = run.communicate(timeout=60)
    err = raw.decode()
    assert run.returncode == 3, err
    assert "was replaced or removed by another program" in err
    assert "--resume" in err
    assert results.read_bytes() == OLD  # not the other program's rows as this run's results
    assert partial.read_bytes().endswith(b"1,dry run\r\n")  # and theirs is left alone


def test_an_out_that_is_no_file_gets_no_run_record_beside_it(tmp_path: Path) -> None:
    write_csv(tmp_path / "in.csv", simple_rows(2))
    fifo = tmp_path / "out.csv"
    os.mkfifo(fifo)
    result = invoke("validate", str(tmp_path / "in.csv"), "--out", str(fifo), secret=None)
    assert result.exit_code == 2, result.output
    assert "not a regular file" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "out.csv"]
