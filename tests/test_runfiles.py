"""The files of one run (write/runfiles.py, write/targets.py, write/lock.py), unit by unit."""

from __future__ import annotations

import csv
import errno
import os
from pathlib import Path

import pytest

from rescheduler.errors import OutputError, OutputsInUse
from rescheduler.models import Row, RowResult, Status
from rescheduler.write import lock
from rescheduler.write.runfiles import RunFiles, failure_hint, lock_path
from rescheduler.write.targets import check_target, default_paths

HEADERS = ("appointId", "remark")


def rows_of(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))[1:]


def test_a_second_claim_on_the_same_results_is_refused_naming_the_holder(tmp_path: Path) -> None:
    results, errors = tmp_path / "a.results.csv", tmp_path / "a.errors.csv"
    with RunFiles(results, errors).claim():
        with pytest.raises(OutputsInUse) as caught:
            RunFiles(results, errors).claim()
        assert str(caught.value) == (
            f"{results} is being written by another rescheduler run (process {os.getpid()}); "
            "wait for it to finish or choose another --out"
        )
    with RunFiles(results, errors).claim():  # released: free again
        pass
    assert lock_path(results).exists()  # left in place (see write/lock.py)


def test_lock_busy_reports_the_holder() -> None:
    holder = lock.Busy(Path("x.lock"), 42)
    assert holder.holder == 42


def test_rows_go_to_partial_files_and_replace_the_targets_together(tmp_path: Path) -> None:
    results, errors = tmp_path / "r.csv", tmp_path / "r.errors.csv"
    results.write_text("old\n")
    with RunFiles(results, errors).claim() as outputs:
        outputs.open(HEADERS)
        outputs.write(RowResult(2, Status.SUCCEEDED, ("1", "a")))
        outputs.write(RowResult(3, Status.FAILED, ("2", "b"), error="no"))
        outputs.flush()
        assert results.read_text() == "old\n"
        assert len(rows_of(tmp_path / "r.csv.partial")) == 2
        outputs.finish(publish=True)
    assert [r[:3] for r in rows_of(results)] == [["1", "a", "2"], ["2", "b", "3"]]
    assert [r[:3] for r in rows_of(errors)] == [["2", "b", "3"]]
    assert not list(tmp_path.glob("*.partial"))


def test_not_published_the_targets_stay_and_the_rows_stay_beside_them(tmp_path: Path) -> None:
    results, errors = tmp_path / "r.csv", tmp_path / "r.errors.csv"
    results.write_text("old\n")
    with RunFiles(results, errors).claim() as outputs:
        outputs.open(HEADERS)
        outputs.write(RowResult(2, Status.NOT_SENT, ("1", "a")))
    assert results.read_text() == "old\n"
    assert not errors.exists()
    assert len(rows_of(tmp_path / "r.csv.partial")) == 1


def test_fill_writes_only_the_rows_not_written_yet(tmp_path: Path) -> None:
    results, errors = tmp_path / "r.csv", tmp_path / "r.errors.csv"
    with RunFiles(results, errors).claim() as outputs:
        outputs.open(HEADERS)
        outputs.write(RowResult(3, Status.SUCCEEDED, ("2", "b")))
        rows = (Row(n, (str(n - 1), "x")) for n in range(2, 6))
        added = outputs.fill(rows, "not sent: bug", "internal_error")
        outputs.finish(publish=True)
    assert added == 3
    lines = sorted(int(r[2]) for r in rows_of(results))
    assert lines == [2, 3, 4, 5]  # each once


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_failed_write_is_kept_and_reported_once_not_raised_mid_run(tmp_path: Path) -> None:
    results, errors = tmp_path / "r.csv", tmp_path / "r.errors.csv"
    seen: list[OutputError] = []
    with RunFiles(results, errors).claim() as outputs:
        outputs.on_failure = seen.append
        outputs.open(HEADERS)
        outputs.write(RowResult(2, Status.SUCCEEDED, ("1", "a")))
        report = outputs._report
        assert report is not None
        full = os.open("/dev/full", os.O_WRONLY)  # every write: ENOSPC, a real "disk full"
        os.dup2(full, report._sink._file.fileno())
        os.close(full)
        outputs.write(RowResult(3, Status.SUCCEEDED, ("2", "b")))
        outputs.flush()
        outputs.write(RowResult(4, Status.NOT_SENT, ("3", "c")))  # still reaches errors
        outputs.flush()
        assert len(seen) == 1
        assert seen[0].errno == errno.ENOSPC
        assert "r.csv.partial" in str(seen[0])
        assert not outputs.complete
        outputs.finish(publish=True)  # refuses: incomplete
    assert not results.exists()
    assert [r[0] for r in rows_of(tmp_path / "r.errors.csv.partial")] == ["3"]


def test_failure_hints_say_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    full = OutputError("x", path=path, errno=errno.ENOSPC)
    assert failure_hint(full) == f"free disk space where {tmp_path} is"
    limit = OutputError("x", path=path, errno=errno.EFBIG)
    assert "ulimit -f" in failure_hint(limit)
    other = OutputError("x", path=path, errno=errno.EACCES)
    assert failure_hint(other) == f"make {tmp_path} writable"


def test_check_target(tmp_path: Path) -> None:
    check_target(tmp_path / "new.csv")  # fine: nothing there yet
    (tmp_path / "ro.csv").write_text("x")
    (tmp_path / "ro.csv").chmod(0o444)
    with pytest.raises(OutputError, match=r"ro\.csv: it is read-only; make it writable"):
        check_target(tmp_path / "ro.csv")
    (tmp_path / "d.csv").mkdir()
    with pytest.raises(OutputError, match=r"d\.csv: it is a directory"):
        check_target(tmp_path / "d.csv")
    with pytest.raises(OutputError, match="does not exist"):
        check_target(tmp_path / "nowhere" / "r.csv")
    with pytest.raises(OutputError, match=r"use \.xlsx or \.csv"):
        check_target(tmp_path / "r.xls")


def test_a_dry_run_reports_beside_the_input_under_its_own_name(tmp_path: Path) -> None:
    assert default_paths(tmp_path / "c.csv", dry_run=True) == (
        tmp_path / "c.validation.csv",
        tmp_path / "c.validation.errors.csv",
    )
    out = tmp_path / "x.csv"
    assert default_paths(tmp_path / "c.csv", out, dry_run=True)[0] == out  # --out wins
