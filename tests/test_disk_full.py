"""A write that fails half-way through a run (issue 9, item 8) is an abort, never "nothing sent".

The failure is a real OS error, without filling the machine's disk: the client runs as a
subprocess under ``RLIMIT_FSIZE`` with ``SIGXFSZ`` ignored, so a write past the limit fails
with ``EFBIG`` exactly where a full disk fails with ``ENOSPC`` (the same code path: the
write at the output boundary raises ``OSError``).
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.e2e import (
    HEADERS,
    appoint_id,
    by_line,
    invoke,
    read_results,
    serving,
    simple_rows,
    spawn,
    store_of,
    write_config,
    write_csv,
)

pytestmark = pytest.mark.skipif(os.name != "posix", reason="resource limits are POSIX")

LIMIT = 256 * 1024  # bytes any one file of the client may reach
OLD = b"results of an earlier run\r\n"


def limited() -> None:  # runs in the child, before exec
    import resource

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # ignored signals survive exec
    resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT, LIMIT))


def one_error_line(client: subprocess.Popen[bytes]) -> str:
    """The dry run's one error line: exit 2, no traceback, no noise from a clean-up."""
    _, raw = client.communicate(timeout=60)
    err = raw.decode()
    assert client.returncode == 2, err
    assert "Traceback" not in err
    assert "Exception ignored" not in err
    [message] = [line for line in err.splitlines() if line.startswith("rescheduler: error:")]
    return message


def journal_successes(path: Path) -> set[str]:
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        rows = db.execute("SELECT key FROM outcome WHERE status = 'succeeded'").fetchall()
    finally:
        db.close()
    return {key.split(":", 1)[1] for (key,) in rows}


def test_a_write_failing_mid_run_aborts_keeps_the_journal_and_resume_finishes(
    tmp_path: Path,
) -> None:
    count = 300
    notes = "x" * 4000  # an extra column: the report grows ~4 KB a row, the journal does not
    rows = [[*row, notes] for row in simple_rows(count)]
    write_csv(tmp_path / "in.csv", rows, headers=(*HEADERS, "notes"))
    (tmp_path / "in.results.csv").write_bytes(OLD)
    store = store_of(count)
    with serving(store) as sim:
        config = write_config(tmp_path / "c.toml", sim.base_url, concurrency=4)
        client = spawn(
            "run", str(tmp_path / "in.csv"), "-c", str(config), "--no-snapshot",
            preexec_fn=limited,
        )  # fmt: skip  (without the snapshot's files: the results file is what fills up)
        _, raw = client.communicate(timeout=60)
        err = raw.decode()
        applied = {r.appoint_id for r in store if r.updates}

        assert client.returncode == 3, err  # an abort: requests were sent
        assert "Traceback" not in err
        [message] = [line for line in err.splitlines() if line.startswith("rescheduler: error:")]
        assert message.startswith("rescheduler: error: cannot write ")
        assert "File too large" in message
        assert "ulimit -f" in message  # what to free or raise
        assert "--resume" in message
        assert "in.journal.sqlite holds every row answered so far" in message
        assert 0 < len(applied) < count

        # The journal is intact and knows every row the server applied; the earlier results
        # file was not replaced; what was written is beside it.
        assert journal_successes(tmp_path / "in.journal.sqlite") == applied
        assert (tmp_path / "in.results.csv").read_bytes() == OLD
        assert (tmp_path / "in.results.csv.partial").exists()

        # Without the limit, --resume finishes: nothing applied twice, every row once.
        result = invoke("run", str(tmp_path / "in.csv"), "-c", str(config), "--resume")
    assert result.exit_code == 0, result.output
    report = by_line(read_results(tmp_path / "in.results.csv"))
    assert sorted(report) == list(range(2, count + 2))
    for line, row in report.items():
        ident = appoint_id(line - 1)
        expected = "skipped" if ident in applied else "succeeded"
        assert row["status"] == expected, row
    assert all(r.updates == 1 for r in store)
    assert not (tmp_path / "in.results.csv.partial").exists()


def test_a_dry_run_that_cannot_write_is_an_output_error_and_leaves_nothing(
    tmp_path: Path,
) -> None:
    rows = [[*row, "x" * 4000] for row in simple_rows(200)]
    write_csv(tmp_path / "in.csv", rows, headers=(*HEADERS, "notes"))
    client = spawn("validate", str(tmp_path / "in.csv"), secret=None, preexec_fn=limited)
    _, raw = client.communicate(timeout=60)
    err = raw.decode()
    assert client.returncode == 2, err  # nothing is ever sent by validate
    assert "Traceback" not in err
    assert "File too large" in err
    assert not (tmp_path / "in.validation.csv").exists()
    assert not list(tmp_path.glob("*.partial"))


def test_a_journal_that_cannot_be_written_stops_the_run_but_the_report_is_complete(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    from rescheduler.errors import OutputError
    from rescheduler.write.journal import Journal

    def full(self: Journal) -> None:
        if self.pending:
            raise OutputError(
                f"{self.path}: cannot write the journal: database or disk is full",
                path=self.path,
                errno=errno.ENOSPC,
            )

    monkeypatch.setattr(Journal, "commit", full)
    count = 40
    write_csv(tmp_path / "in.csv", simple_rows(count))
    with serving(store_of(count)) as sim:
        config = write_config(tmp_path / "c.toml", sim.base_url, concurrency=2)
        result = invoke("run", str(tmp_path / "in.csv"), "-c", str(config))
    assert result.exit_code == 3, result.output
    assert "Traceback" not in result.output
    assert "ABORTED: " in result.output
    assert "cannot write the journal: database or disk is full: the run stopped" in result.output
    assert f"free disk space where {tmp_path} is" in result.output
    assert "rows the journal could not record will be sent again: that is safe" in result.output
    rows = by_line(read_results(tmp_path / "in.results.csv"))  # published: it is complete
    assert sorted(rows) == list(range(2, count + 2))


def test_a_workbook_report_that_cannot_grow_is_one_line_and_leaves_no_partial(
    tmp_path: Path,
) -> None:
    """The streamed XLSX writer (``write/xlsxsink.py``) under the same limit: one line, exit 2
    (a dry run sends nothing), no traceback or 'Exception ignored' noise from the archive."""
    import hashlib

    count = 300

    def notes(n: int) -> str:  # ~3.8 KB a row that deflate cannot squeeze much
        return "".join(hashlib.sha256(f"{n}/{i}".encode()).hexdigest() for i in range(60))

    rows = [[*row, notes(n)] for n, row in enumerate(simple_rows(count))]
    write_csv(tmp_path / "in.csv", rows, headers=(*HEADERS, "notes"))
    config = write_config(tmp_path / "c.toml", "http://127.0.0.1:9")
    client = spawn(
        "validate", str(tmp_path / "in.csv"), "-c", str(config),
        "--out", str(tmp_path / "out.xlsx"), preexec_fn=limited,
    )  # fmt: skip
    message = one_error_line(client)
    assert message.startswith(f"rescheduler: error: cannot write {tmp_path / 'out.xlsx'}")
    assert "File too large" in message
    assert not (tmp_path / "out.xlsx").exists()
    assert not (tmp_path / "out.xlsx.partial").exists()


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_file_that_fails_in_its_last_bytes_is_an_error_not_a_success(
    tmp_path: Path, suffix: str
) -> None:
    """The last bytes (a CSV's buffer, a workbook's final deflate block and directory) fail
    when the file is closed: that was exit 0, 'results: ...' and no file (hostile test of the
    XLSX writer). Now one line, exit 2 (a dry run), the earlier file kept."""
    import resource

    write_csv(tmp_path / "in.csv", simple_rows(300))
    config = write_config(tmp_path / "c.toml", "http://127.0.0.1:9")
    out = tmp_path / f"out{suffix}"
    args = ("validate", str(tmp_path / "in.csv"), "-c", str(config), "--out", str(out))
    first = spawn(*args)
    first.communicate(timeout=60)
    assert first.returncode == 0
    size = out.stat().st_size
    out.write_bytes(b"an earlier file")

    def just_short() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (size - 30, size - 30))

    client = spawn(*args, preexec_fn=just_short)
    message = one_error_line(client)
    assert "cannot write" in message
    assert "File too large" in message
    assert out.read_bytes() == b"an earlier file"
