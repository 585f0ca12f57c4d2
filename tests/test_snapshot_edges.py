"""The snapshot's edges: an op-independent server, Ctrl-C while listing, plan without a listing."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from rescheduler.simulator.store import MANUAL, Reservation, Store
from tests.e2e import (
    SK,
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
from tests.team import at, state


def test_an_op_independent_export_runs_back_as_a_no_op(tmp_path: Path) -> None:
    store = Store(
        Reservation(f"9{n}", MANUAL, f"acct{n}", f"10{n}", at("2031-01-01 09:00") + n, f"r{n}")
        for n in range(5)
    )
    original = state(store)
    out = tmp_path / "ops.csv"
    with serving(store, deployment="op-independent") as sim:
        config = write_config(tmp_path / "c.toml", sim.base_url)
        text = config.read_text(encoding="utf-8").replace("standard", "op-independent")
        config.write_text(text, encoding="utf-8")
        assert invoke("export", "-c", str(config), "--out", str(out), "-q").exit_code == 0
        ran = invoke("run", str(out), "-c", str(config))
        moved = write_csv(tmp_path / "move.csv", [["90", "", "200", "", ""]])
        again = invoke("run", str(moved), "-c", str(config))
    assert ran.exit_code == 0, ran.output
    assert "already so 5" in ran.output
    assert again.exit_code == 0, again.output
    assert store.total_updates == 1
    assert store.get("90").work_no == "200"  # type: ignore[union-attr]
    undo = read_results(tmp_path / "move.undo.csv")
    assert [(r["appointId"], r["workNo"]) for r in undo] == [("90", "100")]
    assert read_results(tmp_path / "move.results.csv")[0]["before_workNo"] == "100"
    assert state(store) == original  # userAccount and remark untouched


@pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
def test_ctrl_c_while_listing_sends_nothing_and_reports_every_row(tmp_path: Path) -> None:
    write_csv(tmp_path / "in.csv", simple_rows(50))
    store = store_of(50)
    with serving(store, list_latency_ms=3000) as sim:
        config = write_config(tmp_path / "c.toml", sim.base_url)
        client = spawn("run", str(tmp_path / "in.csv"), "-c", str(config), secret=SK)
        wait_until(lambda: sim.sim.stats.list_requests >= 1)
        client.send_signal(signal.SIGINT)
        _, err = client.communicate(timeout=30)
        sent = sim.sim.stats.total_requests - sim.sim.stats.list_requests
    assert client.returncode == 3, err.decode()
    assert sent == 0
    rows = read_results(tmp_path / "in.results.csv")
    assert len(rows) == 50
    assert {(r["status"], r["error_code"]) for r in rows} == {("not_sent", "interrupted")}
    assert store.total_updates == 0


def test_plan_without_a_readable_server_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "in.csv", simple_rows(3))
    with serving(store_of(3), max_list_limit=10) as sim:
        planned = invoke("plan", str(source), "-c", str(write_config(tmp_path / "c.toml",
                                                                       sim.base_url)))  # fmt: skip
    assert planned.exit_code == 2, planned.output
    assert "rescheduler: error: plan cannot read the server's reservations: " in planned.output
    assert not (tmp_path / "in.plan.csv").exists()
    assert not (tmp_path / "in.plan.snapshot.sqlite").exists()


def test_verify_and_no_snapshot_cannot_go_together(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "in.csv", simple_rows(1))
    result = invoke("run", str(source), "--verify", "--no-snapshot")
    assert result.exit_code == 2
    assert "--verify cannot be used with --no-snapshot" in result.output


def test_the_snapshot_scope_is_checked_with_the_config() -> None:
    from rescheduler.config import load_config
    from rescheduler.errors import ConfigError

    assert load_config(None, {}).listing.snapshot == "filtered"
    assert load_config(None, {"list.snapshot": "vdn"}).listing.snapshot == "vdn"
    with pytest.raises(ConfigError, match=r"^list\.snapshot "):
        load_config(None, {"list.snapshot": "whole"})
