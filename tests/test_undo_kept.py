"""A second run of the same file never replaces the first run's undo file (hostile2 H2-11: run
1 changed 9 reservations; the same file grown by 9 rows, run again, wrote an undo file of the 9
new rows over the first one, and run 1's way back was gone)."""

from __future__ import annotations

from pathlib import Path

from rescheduler.simulator.store import MANUAL, Reservation, Store
from tests.e2e import invoke, read_results, serving, write_config, write_csv
from tests.team import at, state


def test_an_earlier_undo_file_is_kept_beside_the_new_one(tmp_path: Path) -> None:
    store = Store(
        Reservation(f"90{n}", MANUAL, "li.na", "", at("2031-01-01 09:00") + n * 60_000, "r")
        for n in range(4)
    )
    original = state(store)
    rows = [[f"90{n}", "zhao.lei", "", "", ""] for n in range(4)]
    with serving(store) as sim:
        config = str(write_config(tmp_path / "c.toml", sim.base_url))
        write_csv(tmp_path / "in.csv", rows[:2])
        first = invoke("run", str(tmp_path / "in.csv"), "-c", config)
        write_csv(tmp_path / "in.csv", rows)  # the same file, two rows more, run afresh
        second = invoke("run", str(tmp_path / "in.csv"), "-c", config)
        kept = tmp_path / "in.undo.1.csv"
        assert second.exit_code == 0, second.output
        assert f"the earlier undo file was kept as {kept}" in second.output
        newest = [u["appointId"] for u in read_results(tmp_path / "in.undo.csv")]
        earlier = [u["appointId"] for u in read_results(kept)]
        for undo in (tmp_path / "in.undo.csv", kept):
            assert invoke("run", str(undo), "-c", config).exit_code == 0
    assert first.exit_code == 0, first.output
    assert (newest, earlier) == (["902", "903"], ["900", "901"])
    assert state(store) == original  # both undo files together put everything back


def test_a_resumed_run_replaces_its_own_undo_file(tmp_path: Path) -> None:
    store = Store([Reservation("900", MANUAL, "li.na", "", at("2031-01-01 09:00"), "r")])
    write_csv(tmp_path / "in.csv", [["900", "zhao.lei", "", "", ""]])
    with serving(store) as sim:
        config = str(write_config(tmp_path / "c.toml", sim.base_url))
        assert invoke("run", str(tmp_path / "in.csv"), "-c", config).exit_code == 0
        resumed = invoke("run", str(tmp_path / "in.csv"), "-c", config, "--resume")
    assert resumed.exit_code == 0, resumed.output
    assert not (tmp_path / "in.undo.1.csv").exists()  # the job's undo file covers the job
    assert [u["userAccount"] for u in read_results(tmp_path / "in.undo.csv")] == ["li.na"]
