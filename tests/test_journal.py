"""The journal: durable outcomes, resume lookups by (key, payload), one run at a time."""

from __future__ import annotations

from pathlib import Path

import pytest

from rescheduler.errors import JournalLockedError
from rescheduler.models import RowResult, Status
from rescheduler.write.journal import Journal, default_journal_path


def ok(line: int) -> RowResult:
    return RowResult(line, Status.SUCCEEDED, result_code="0200000", attempts=1)


def test_success_is_found_by_a_resumed_run_only(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    with Journal(path, resume=False).open(tmp_path / "in.csv") as journal:
        journal.record("1:111", "h1", ok(2))
        journal.record("1:222", "h2", RowResult(3, Status.FAILED, result_code="04000004"))
        journal.record("1:333", "h3", RowResult(4, Status.INVALID))
        assert journal.earlier_success("1:111", "h1") is None  # not resuming
    with Journal(path, resume=True).open(tmp_path / "in.csv") as journal:
        assert journal.earlier_success("1:111", "h1") is not None
        assert journal.earlier_success("1:111", "changed") is None
        assert journal.earlier_success("1:222", "h2") is None
        assert journal.earlier_success("1:333", "h3") is None


def test_a_fresh_run_starts_a_new_journal(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    with Journal(path, resume=False).open(tmp_path / "in.csv") as journal:
        journal.record("1:111", "h1", ok(2))
    with Journal(path, resume=False).open(tmp_path / "in.csv"):
        pass
    with Journal(path, resume=True).open(tmp_path / "in.csv") as journal:
        assert journal.earlier_success("1:111", "h1") is None


def test_uncommitted_batch_is_committed_on_close(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    journal = Journal(path, resume=False).open(tmp_path / "in.csv")
    journal.record("1:1", "h", ok(2))
    assert journal.pending == 1
    journal.close()
    with Journal(path, resume=True).open(tmp_path / "in.csv") as again:
        assert again.earlier_success("1:1", "h") is not None


def test_second_run_on_the_same_journal_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    first = Journal(path, resume=False).open(tmp_path / "in.csv")
    with pytest.raises(JournalLockedError, match="in use by another rescheduler run"):
        Journal(path, resume=True).open(tmp_path / "in.csv")
    first.close()
    with Journal(path, resume=True).open(tmp_path / "in.csv"):
        pass  # the lock was released


def test_default_journal_path() -> None:
    assert default_journal_path(Path("/d/changes.results.csv")) == Path(
        "/d/changes.journal.sqlite"
    )
    assert default_journal_path(Path("/d/out.xlsx")) == Path("/d/out.journal.sqlite")


def test_a_journal_left_by_a_killed_run_is_found_with_its_write_ahead_log(tmp_path: Path) -> None:
    """kill -9 (or a disk-full abort) leaves the journal's commits in ``-wal``: ``--resume``
    said "there is no journal" (journal_runs read the main file only, immutable=1)."""
    import shutil

    from rescheduler.write.journal import journal_runs

    live = tmp_path / "live.sqlite"
    journal = Journal(live, resume=False).open(tmp_path / "in.csv")
    journal.record("1:111", "h1", ok(2))
    journal.commit()
    crashed = tmp_path / "in.journal.sqlite"  # the files as the killed process left them
    for suffix in ("", "-wal"):
        shutil.copyfile(f"{live}{suffix}", f"{crashed}{suffix}")
    journal.close()
    assert Path(f"{crashed}-wal").stat().st_size > 0
    runs = journal_runs(crashed)
    assert [input for input, _started in runs] == [str((tmp_path / "in.csv").absolute())]
    with Journal(crashed, resume=True).open(tmp_path / "in.csv") as resumed:
        assert resumed.earlier_success("1:111", "h1") is not None


def test_a_journal_whose_log_holds_pages_the_main_file_lacks_is_ours(tmp_path: Path) -> None:
    """After a disk-full abort the main file's header counts pages that are only in ``-wal``:
    an immutable read calls it "malformed", and --resume refused the run's own journal."""
    import shutil

    from rescheduler.write.journal import check_journal, journal_runs

    live = tmp_path / "live.sqlite"
    journal = Journal(live, resume=False).open(tmp_path / "in.csv")
    for n in range(300):  # enough rows for pages beyond the first
        journal.record(f"1:{n}", f"h{n}", ok(n + 2))
    journal.commit()
    crashed = tmp_path / "in.journal.sqlite"
    for suffix in ("", "-wal"):
        shutil.copyfile(f"{live}{suffix}", f"{crashed}{suffix}")
    journal.close()
    check_journal(crashed)  # no OutputError
    assert journal_runs(crashed)


def test_a_journal_that_cannot_be_set_up_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """hostile2 H2-10: on a full disk the open failed, and the clean-up's own write ("no such
    table: run") replaced the reason; the lock is released either way."""
    from rescheduler.errors import OutputError
    from rescheduler.write import journal as journal_module

    monkeypatch.setattr(journal_module, "_SCHEMA", "CREATE TABLE run (;")  # fails like a full disk
    path = tmp_path / "j.sqlite"
    with pytest.raises(OutputError) as failed:
        Journal(path, resume=False).open(tmp_path / "in.csv")
    assert "cannot open the journal" in str(failed.value)
    assert "no such table" not in str(failed.value)
    monkeypatch.undo()
    with Journal(path, resume=False).open(tmp_path / "in.csv"):  # the lock was released
        pass
