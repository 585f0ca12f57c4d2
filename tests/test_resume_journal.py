"""``--resume`` with no journal to resume (hostile-cli p17), and exit codes that never say
"nothing was sent" once sending began (p08, p28).

A first run wrote its journal beside ``--out monday.csv``; a plain ``--resume`` looks beside
the default results instead, finds nothing, and used to send every row again in silence.
Now it stops (exit 2, nothing sent), naming where it looked and the journals of earlier runs
of the same input, and says how to point at one (``--journal``).
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from rescheduler.errors import InputFileError, OutputsInUse, RunAborted
from tests.e2e import invoke, read_results, serving, simple_rows, store_of, write_config, write_csv


def test_resume_without_a_journal_names_the_journals_of_this_input(tmp_path: Path) -> None:
    write_csv(tmp_path / "in.csv", simple_rows(6))
    with serving(store_of(6)) as sim:
        config = write_config(tmp_path / "c.toml", sim.base_url)
        base = ["run", str(tmp_path / "in.csv"), "-c", str(config), "--no-snapshot"]
        first = invoke(*base, "--out", str(tmp_path / "monday.csv"))
        assert first.exit_code == 0, first.output
        sent = sim.sim.stats.total_requests

        lost = invoke(*base, "--resume")
        assert lost.exit_code == 2, lost.output
        assert sim.sim.stats.total_requests == sent  # nothing sent again
        assert "--resume: there is no journal at" in lost.output
        assert str(tmp_path / "in.journal.sqlite") in lost.output  # where it looked
        assert str(tmp_path / "monday.journal.sqlite") in lost.output  # what it found
        assert "--journal" in lost.output
        assert not (tmp_path / "in.results.csv").exists()

        found = invoke(*base, "--resume", "--journal", str(tmp_path / "monday.journal.sqlite"))
        assert found.exit_code == 0, found.output
        assert sim.sim.stats.total_requests == sent
    rows = read_results(tmp_path / "in.results.csv")
    assert {r["error_code"] for r in rows} == {"already_succeeded"}


def test_resume_with_no_journal_anywhere_says_there_is_nothing_to_resume(tmp_path: Path) -> None:
    write_csv(tmp_path / "in.csv", simple_rows(2))
    config = write_config(tmp_path / "c.toml", "http://127.0.0.1:9")
    result = invoke("run", str(tmp_path / "in.csv"), "-c", str(config), "--resume")
    assert result.exit_code == 2, result.output
    assert "no journal of an earlier run of" in result.output
    assert "nothing to resume" in result.output


def test_an_exit_2_error_after_sending_began_is_an_abort() -> None:
    from rescheduler.cliends import sent_anyway

    broken = InputFileError("in.csv", "cannot read the file", line=7)
    sending = SimpleNamespace(phase="sending")
    aborted = sent_anyway(broken, sending, dry_run=False)
    assert isinstance(aborted, RunAborted)
    assert aborted.exit_code == 3
    assert "in.csv, line 7: cannot read the file" in str(aborted)
    assert "--resume" in str(aborted)
    assert sent_anyway(broken, SimpleNamespace(phase="reading"), dry_run=False) is broken
    assert sent_anyway(broken, SimpleNamespace(phase="finished"), dry_run=True) is broken
    refused = OutputsInUse("busy")
    assert sent_anyway(refused, None, dry_run=False) is refused
