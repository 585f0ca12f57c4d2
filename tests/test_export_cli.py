"""End to end: ``rescheduler export`` as a user runs it, its file fed to ``run``, over sockets."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import openpyxl
import pytest

from rescheduler.simulator.store import Reservation, Store
from rescheduler.simulator.validation import ListQuery
from tests.e2e import invoke, read_results, serving, write_csv
from tests.team import at, config_for, state, team


def test_export_writes_a_valid_input_file_that_runs_back_unchanged(tmp_path: Path) -> None:
    store = team()
    before = state(store)
    out = tmp_path / "all.csv"
    with serving(store) as sim:
        config = config_for(tmp_path, sim)
        exported = invoke("export", "-c", config, "--out", str(out))
        listed = sim.sim.stats.list_requests
        ran = invoke("run", str(out), "-c", config)
    assert exported.exit_code == 0, exported.output
    assert "exported 6 reservations" in exported.output
    assert "complete: totalCount 6 = rows written" in exported.output
    assert "can_reschedule no: 2 (automatic 1, expired 1;" in exported.output
    assert listed == 1
    rows = read_results(out.with_name("all.results.csv"))
    assert [r["appointId"] for r in rows] == ["901", "905", "906", "902", "903", "904"]
    first = rows[0]
    assert (first["userAccount"], first["appointTime"], first["remark"]) == (
        "li.na",
        "2031-01-01 09:00:00",
        "call back",
    )
    assert (first["calledNo"], first["userName"], first["taskId"]) == ("13900000001", "Li Na", "t1")
    assert ran.exit_code == 0, ran.output
    by_id = {r["appointId"]: r for r in rows}
    assert by_id["903"]["status"] == "skipped"
    assert by_id["903"]["error"] == (
        "not sent: can_reschedule is no (see the note column of the export)"
    )
    assert by_id["906"]["status"] == "skipped"
    assert by_id["906"]["note"] == "expired (timeout is true): cannot be rescheduled"
    # Run back unchanged, it is a no-op: every reschedulable row is "already so", not sent.
    assert [r["error_code"] for r in rows].count("already_so") == 4
    assert [r["status"] for r in rows].count("succeeded") == 0
    assert store.total_updates == 0
    assert state(store) == before


def test_xlsx_export_keeps_ids_as_text_and_runs_back(tmp_path: Path) -> None:
    store = team()
    out = tmp_path / "all.xlsx"
    with serving(store) as sim:
        config = config_for(tmp_path, sim)
        assert invoke("export", "-c", config, "--out", str(out), "-q").exit_code == 0
        ran = invoke("run", str(out), "-c", config, "-q")
    assert ran.exit_code == 0, ran.output
    sheet = openpyxl.load_workbook(out, read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:6] == ("appointId", "userAccount", "appointTime", "remark", "can_reschedule",
                           "note")  # fmt: skip
    assert rows[1][0] == "901"
    assert store.total_updates == 0  # every row already so


def test_the_nightly_reassignment_in_two_commands(tmp_path: Path) -> None:
    store = team()
    before = state(store)
    out = tmp_path / "tonight.csv"
    with serving(store) as sim:
        config = config_for(tmp_path, sim)
        exported = invoke(
            "export", "-c", config, "--agent", "li.na", "--from", "2031-01-01 00:00",
            "--to", "2031-01-01 23:59:59", "--set", "userAccount=zhao.lei", "--out", str(out),
        )  # fmt: skip
        ran = invoke("run", str(out), "-c", config)
    assert exported.exit_code == 0, exported.output
    assert "rules applied to the yes rows: --set userAccount=zhao.lei" in exported.output
    assert ran.exit_code == 0, ran.output
    after = state(store)
    assert {i for i in after if after[i] != before[i]} == {"901", "902"}
    assert after["901"][0] == after["902"][0] == "zhao.lei"
    assert after["903"] == before["903"]  # automatic: exported, marked, not sent
    rows = read_results(out.with_name("tonight.results.csv"))
    assert [(r["appointId"], r["listed_userAccount"], r["status"]) for r in rows] == [
        ("901", "li.na", "succeeded"),
        ("902", "li.na", "succeeded"),
        ("903", "li.na", "skipped"),
    ]


def test_the_holiday_move_keeps_the_time_of_day(tmp_path: Path) -> None:
    store = team()
    out = tmp_path / "holiday.csv"
    with serving(store) as sim:
        config = config_for(tmp_path, sim)
        exported = invoke(
            "export", "-c", config, "--from", "2031-01-01 00:00", "--to", "2031-01-01 23:59:59",
            "--move-to-date", "2031-01-02", "--out", str(out), "-q",
        )  # fmt: skip
        ran = invoke("run", str(out), "-c", config, "-q")
    assert exported.exit_code == 0, exported.output
    assert ran.exit_code == 0, ran.output
    after = state(store)
    assert [after[i][1] for i in ("901", "902", "905")] == [
        "2031-01-02 09:00:00",
        "2031-01-02 14:30:00",
        "2031-01-02 11:00:00",
    ]
    assert after["903"][1] == "2031-01-01 16:00:00"  # automatic
    assert after["906"][1] == "2031-01-01 12:00:00"  # expired
    assert after["904"][1] == "2031-01-02 10:00:00"  # not on the 1st: not listed, not moved


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2031-01-01"], "--from: '2031-01-01' has no time of day; add one, e.g. "
         "2031-01-01 10:00"),
        (["--to", "1700000000"], "--to: '1700000000' looks like epoch seconds"),
        (["--from", "2031-01-02 00:00", "--to", "2031-01-01 00:00"], "--from is after --to"),
        (["--shift", "1d"], "--shift '1d': write a sign, a number and d, h or m"),
        (["--set", "appointTime=x"], "write FIELD=VALUE with FIELD one of userAccount, workNo"),
        (["--shift", "+1d", "--move-to-date", "2031-01-02"], "cannot be used together"),
        (["--move-to-date", "tomorrow"], "write a date as YYYY-MM-DD"),
        (["--out", "x.xls"], "cannot write .xls files; use .xlsx or .csv"),
        (["--agent", " "], "--agent needs a value"),
    ],
)  # fmt: skip
def test_usage_problems_exit_2_and_write_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    monkeypatch.chdir(tmp_path)  # a relative --out (and its run record) lands here
    with serving(team()) as sim:
        config = config_for(tmp_path, sim)
        out = [] if "--out" in args else ["--out", str(tmp_path / "x.csv")]
        result = invoke("export", "-c", config, *args, *out)
        listed = sim.sim.stats.list_requests
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert listed == 0
    assert not (tmp_path / "x.csv").exists()


def test_rejected_credentials_exit_3_and_leave_an_earlier_file_untouched(tmp_path: Path) -> None:
    out = tmp_path / "all.csv"
    out.write_text("earlier\n", encoding="utf-8")
    with serving(team()) as sim:
        config = config_for(tmp_path, sim)
        result = invoke("export", "-c", config, "--out", str(out), secret="wrong")
    assert result.exit_code == 3
    assert "the server rejected access key 'test-ak' (HTTP 401)" in result.output
    assert "wrong" not in result.output
    assert out.read_text(encoding="utf-8") == "earlier\n"
    assert [p.name for p in tmp_path.iterdir() if ".tmp" in p.name] == []


def test_a_page_size_the_server_refuses_exits_2_with_the_key_to_change(tmp_path: Path) -> None:
    with serving(team()) as sim:
        config = config_for(tmp_path, sim)
        result = invoke(
            "export", "-c", config, "--page-size", "500", "--out", str(tmp_path / "x.csv")
        )
    assert result.exit_code == 2
    assert "lower list.page_size (now 500)" in result.output


def test_an_export_that_stopped_resumes_with_the_pages_it_has(tmp_path: Path) -> None:
    store = Store.generate(1000, seed=2, first_time_ms=at("2031-06-01 08:00"))
    out = tmp_path / "big.csv"
    with serving(store) as sim:
        app = sim.sim.simulator
        normal = app.config
        broken = dataclasses.replace(
            normal, list_faults=dataclasses.replace(normal.list_faults, p_503=1.0)
        )
        calls = 0

        def fail_from_the_fifth(query: ListQuery) -> None:
            nonlocal calls
            calls += 1
            if calls == 4:  # from the next request on, every page answers 503
                app.config = broken
                app._list_decides = True

        app.on_list = fail_from_the_fifth
        config = config_for(tmp_path, sim, max_attempts=2, concurrency=1)
        stopped = invoke("export", "-c", config, "--page-size", "50", "--out", str(out))
        assert not out.exists()  # nothing under the final name until the file is complete
        app.on_list = None
        app.config = normal
        before = sim.sim.stats.list_requests
        resumed = invoke("export", "-c", config, "--page-size", "50", "--out", str(out), "--resume")
        again = sim.sim.stats.list_requests - before
    assert stopped.exit_code == 3
    assert "HTTP 503" in stopped.output
    assert "run the same command with --resume to continue" in stopped.output
    assert resumed.exit_code == 0, resumed.output
    assert "4 pages reused from the interrupted export" in resumed.output
    assert again == 20 - 4
    assert len(read_results(out)) == 1000
    assert not (tmp_path / "big.export.sqlite").exists()


def test_run_skips_held_rows_and_refuses_an_unclear_hold(tmp_path: Path) -> None:
    store = Store([Reservation(f"9{n:029d}") for n in (1, 2, 3)])
    ids = [f"9{n:029d}" for n in (1, 2, 3)]
    changes = write_csv(
        tmp_path / "changes.csv",
        [[ids[0], "a", "no"], [ids[1], "b", "maybe"], [ids[2], "c", "YES"], [ids[0], "d", ""]],
        headers=("appointId", "userAccount", "Can Reschedule"),
    )
    with serving(store) as sim:
        result = invoke("run", str(changes), "-c", config_for(tmp_path, sim))
    assert result.exit_code == 1
    rows = read_results(tmp_path / "changes.results.csv")
    assert [r["status"] for r in rows] == ["skipped", "invalid", "succeeded", "succeeded"]
    assert rows[0]["error"] == "not sent: Can Reschedule is no (see the note column of the export)"
    assert rows[1]["error"] == "Can Reschedule: write yes or no (or leave it empty), not 'maybe'"
    # the held row takes no part in duplicate decisions: line 5 is not a conflict with line 2
    assert [r.user_account for r in store] == ["d", "", "c"]
