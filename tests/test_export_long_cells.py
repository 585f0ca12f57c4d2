"""A reservation whose remark (or a read-only field) is longer than a sheet cell holds: the
export's file still runs (hostile2 H2-12: the export wrote a 40,000-character remark and
``run`` refused the whole file, so one odd reservation stopped ``export && run``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rescheduler.simulator.store import MANUAL, Reservation, Store
from tests.e2e import invoke, read_results, serving, write_config
from tests.team import at


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_an_export_with_an_overlong_remark_runs_back(tmp_path: Path, suffix: str) -> None:
    store = Store(
        [
            Reservation("901", MANUAL, "li.na", "", at("2031-01-01 09:00"), "y" * 40_000),
            Reservation("902", MANUAL, "li.na", "", at("2031-01-01 10:00"), "short",
                        task_name="t" * 40_000),
        ]
    )  # fmt: skip
    out = tmp_path / f"x.{suffix}"
    with serving(store) as sim:
        config = write_config(tmp_path / "c.toml", sim.base_url)
        exported = invoke("export", "-c", str(config), "--set", "userAccount=zhao.lei",
                          "--out", str(out))  # fmt: skip
        ran = invoke("run", str(out), "-c", str(config))
    assert exported.exit_code == 0, exported.output
    assert ran.exit_code == 0, ran.output
    assert store.get("901").user_account == "zhao.lei"  # type: ignore[union-attr]
    assert store.get("901").remark == "y" * 40_000  # type: ignore[union-attr]  # untouched
    assert store.get("902").remark == "short"  # type: ignore[union-attr]
    if suffix == "csv":
        rows = read_results(out)
        assert rows[0]["remark"] == ""
        assert rows[0]["listed_remark"] == ""  # the current remark, too long for a cell
        assert "listed_remark not exported: longer than 32,767 characters" in rows[0]["note"]
        assert rows[1]["taskName"] == ""
        assert "taskName not exported" in rows[1]["note"]
