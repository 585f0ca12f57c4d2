"""End to end over real sockets: the snapshot before ``run``, already so, before/undo files."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl

from rescheduler.simulator.store import MANUAL, Reservation, Store
from tests.e2e import AK, by_line, invoke, read_results, serving, write_csv
from tests.recordcheck import valid_record
from tests.simthread import SimHandle
from tests.team import at, config_for, state, team


def updates(sim: SimHandle) -> int:
    return sim.sim.stats.total_requests - sim.sim.stats.list_requests


def test_an_exported_file_runs_back_as_a_no_op(tmp_path: Path) -> None:
    store = team()
    before = state(store)
    out = tmp_path / "all.csv"
    with serving(store) as sim:
        config = config_for(tmp_path, sim)
        assert invoke("export", "-c", config, "--out", str(out), "-q").exit_code == 0
        listed = sim.sim.stats.list_requests
        ran = invoke("run", str(out), "-c", config)
        snapshot_requests = sim.sim.stats.list_requests - listed
    assert ran.exit_code == 0, ran.output
    assert store.total_updates == 0
    assert state(store) == before
    assert snapshot_requests == 1  # the file's agents and times: one page
    rows = {r["appointId"]: r for r in read_results(tmp_path / "all.results.csv")}
    assert {i: r["error_code"] for i, r in rows.items()} == {
        "901": "already_so", "902": "already_so", "904": "already_so", "905": "already_so",
        "903": "can_reschedule.no", "906": "can_reschedule.no",
    }  # fmt: skip
    assert rows["901"]["status"] == "skipped"
    assert rows["901"]["error"] == (
        "already so: the server already has every value this row sends; not sent"
    )
    was = [rows["901"][f"before_{name}"] for name in ("userAccount", "appointTime", "remark")]
    assert was == ["li.na", "2031-01-01 09:00:00", "call back"]
    assert "before_workNo" not in rows["901"]  # the server's items carry no workNo
    # The before file is what export wrote for the reservations the run would change.
    exported = [r for r in read_results(out) if r["can_reschedule"] == "yes"]
    assert read_results(tmp_path / "all.before.csv") == exported
    assert not (tmp_path / "all.undo.csv").exists()
    assert "no undo file: this run changed nothing on the server" in ran.output
    assert "will change 0, already so 4, not listed 0, automatic 0, expired 0" in ran.output
    record = valid_record(tmp_path / "all.run.json")
    assert record["snapshot"]["verdicts"] == {"already_so": 4}
    assert record["snapshot"]["requests"] == 1


def test_undo_round_trip_puts_the_store_back_field_for_field(tmp_path: Path) -> None:
    store = team()
    first, again = tmp_path / "first.csv", tmp_path / "again.csv"
    change = tmp_path / "change.csv"
    with serving(store) as sim:
        config = config_for(tmp_path, sim)
        assert invoke("export", "-c", config, "--out", str(first), "-q").exit_code == 0
        made = invoke(
            "export", "-c", config, "--agent", "li.na", "--set", "userAccount=zhao.lei",
            "--shift", "+1d", "--out", str(change), "-q",
        )  # fmt: skip
        assert made.exit_code == 0, made.output
        ran = invoke("run", str(change), "-c", config)
        assert ran.exit_code == 0, ran.output
        changed = state(store)
        listed = sim.sim.stats.list_requests
        undone = invoke("run", str(tmp_path / "change.undo.csv"), "-c", config)
        undo_listing = sim.sim.stats.list_requests - listed
        assert invoke("export", "-c", config, "--out", str(again), "-q").exit_code == 0
    assert undone.exit_code == 0, undone.output
    assert changed["901"][:2] == ("zhao.lei", "2031-01-02 09:00:00")
    assert again.read_bytes() == first.read_bytes()  # every field of every reservation
    assert undo_listing == 1  # the undo file's listed_ columns say where they are now
    exported = read_results(change)[0]
    assert (exported["remark"], exported["listed_remark"]) == ("", "call back")  # not sent
    undo = read_results(tmp_path / "change.undo.csv")
    assert [r["appointId"] for r in undo] == ["901", "902", "904"]
    assert undo[0] == {  # no remark column: the run sent no remark, so there is none to put back
        "appointId": "901",
        "userAccount": "li.na",
        "appointTime": "2031-01-01 09:00:00",
        "can_reschedule": "yes",
        "note": "",
        "undoes_line": "2",
        "listed_userAccount": "zhao.lei",
        "listed_appointTime": "2031-01-02 09:00:00",
    }
    assert "undo:    " in ran.output
    assert "(3 rows put back; 0 cannot be, see its note column)" in ran.output


def test_a_run_that_changes_nothing_keeps_the_earlier_undo_file_and_says_whose_it_is(
    tmp_path: Path,
) -> None:
    store = team()
    change = tmp_path / "change.csv"
    with serving(store) as sim:
        config = config_for(tmp_path, sim)
        made = invoke(
            "export", "-c", config, "--agent", "li.na", "--set", "userAccount=zhao.lei",
            "--out", str(change), "-q",
        )  # fmt: skip
        assert made.exit_code == 0, made.output
        first = invoke("run", str(change), "-c", config)
        undo = (tmp_path / "change.undo.csv").read_bytes()
        again = invoke("run", str(change), "-c", config)  # every row already so
    assert first.exit_code == 0, first.output
    assert again.exit_code == 0, again.output
    assert "(3 rows put back; 0 cannot be, see its note column)" in first.output
    assert "no undo file: this run changed nothing on the server" in again.output
    assert (
        f"{tmp_path / 'change.undo.csv'} is an earlier run's undo file, left as it was: it puts "
        "back what that run changed, not this one"
    ) in again.output
    assert (tmp_path / "change.undo.csv").read_bytes() == undo  # still the first run's way back
    assert "undo" not in {f["kind"] for f in valid_record(tmp_path / "change.run.json")["files"]}


def test_a_hand_written_file_finds_its_reservations_in_the_whole_vdn(tmp_path: Path) -> None:
    store = team()
    rows = [
        ["901", "zhao.lei", "", "2031-02-01 09:00", ""],  # moves away from li.na: not filtered
        ["903", "zhao.lei", "", "", ""],  # automatic
        ["906", "li.na", "", "", ""],  # expired
        ["999", "li.na", "", "", ""],  # not on the server
        ["905", "zhao.lei", "", "", ""],  # already so
    ]
    source = write_csv(tmp_path / "hand.csv", rows)
    with serving(store) as sim:
        config = config_for(tmp_path, sim)
        ran = invoke("run", str(source), "-c", config)
        listed, sent = sim.sim.stats.list_requests, updates(sim)
    assert ran.exit_code == 1, ran.output
    assert listed == 2  # filtered by the file's agents first; then the whole VDN
    assert sent == 2  # 901, and 999: sent anyway, the server decides
    report = by_line(read_results(tmp_path / "hand.results.csv"))
    assert [(report[n]["status"], report[n]["error_code"]) for n in range(2, 7)] == [
        ("succeeded", ""),
        ("invalid", "automatic"),
        ("invalid", "expired"),
        ("failed", "server.04000004"),
        ("skipped", "already_so"),
    ]
    assert report[4]["error"] == (
        "appointId: the server lists this reservation as expired (timeout is true): it cannot "
        "be rescheduled"
    )
    assert report[5]["before_userAccount"] == ""  # not listed: nothing invented
    assert store.get("903").updates == 0  # type: ignore[union-attr]
    assert "will change 1, already so 1, not listed 1, automatic 1, expired 1" in ran.output
    assert "(filtered, VDN 1; whole VDN 1)" in ran.output


def test_no_snapshot_reads_nothing_first_and_says_there_is_no_undo(tmp_path: Path) -> None:
    store = team()
    source = write_csv(tmp_path / "in.csv", [["905", "zhao.lei", "", "", ""]])
    with serving(store) as sim:
        ran = invoke("run", str(source), "-c", config_for(tmp_path, sim), "--no-snapshot")
        listed = sim.sim.stats.list_requests
    assert ran.exit_code == 0, ran.output
    assert listed == 0
    assert store.total_updates == 1  # sent, although it was already so
    assert "no undo file (--no-snapshot: nothing was read first)" in ran.output
    assert not (tmp_path / "in.before.csv").exists()
    assert "before_userAccount" not in read_results(tmp_path / "in.results.csv")[0]


def test_a_rejected_key_while_listing_sends_nothing_and_exits_3(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "in.csv", [["901", "zhao.lei", "", "", ""]] * 1
                       + [["902", "zhao.lei", "", "", ""]])  # fmt: skip
    store = team()
    with serving(store) as sim:
        ran = invoke("run", str(source), "-c", config_for(tmp_path, sim), secret="wrong")
        sent = updates(sim)
    assert ran.exit_code == 3, ran.output
    assert sent == 0
    assert f"the server rejected access key '{AK}' (HTTP 401)" in ran.output
    rows = read_results(tmp_path / "in.results.csv")
    assert [(r["status"], r["error_code"]) for r in rows] == [
        ("not_sent", "credentials_rejected")
    ] * 2
    assert rows[0]["error"].startswith("not sent: the snapshot before sending stopped: ")
    assert not (tmp_path / "in.undo.csv").exists()
    record = valid_record(tmp_path / "in.run.json")
    assert record["aborted"]["kind"] == "CredentialsRejected"


def test_a_refused_listing_stops_the_run_and_says_to_use_no_snapshot(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "in.csv", [["901", "zhao.lei", "", "", ""]])
    store = team()
    with serving(store, max_list_limit=50) as sim:  # our pages of 100 are refused
        config = config_for(tmp_path, sim)
        refused = invoke("run", str(source), "-c", config)
        sent = updates(sim)
        forced = invoke("run", str(source), "-c", config, "--no-snapshot")
    assert refused.exit_code == 2, refused.output
    assert sent == 0
    (line,) = [x for x in refused.output.splitlines() if x.startswith("rescheduler: error:")]
    assert line.startswith("rescheduler: error: the snapshot before sending failed: ")
    assert "0200001" in line
    assert line.endswith(
        "Nothing was sent; to send without reading the server first (no undo file), run "
        "again with --no-snapshot"
    )
    assert forced.exit_code == 0, forced.output
    assert store.get("901").user_account == "zhao.lei"  # type: ignore[union-attr]


def test_plan_shows_current_to_new_and_a_verdict_and_sends_nothing(tmp_path: Path) -> None:
    store = team()
    rows = [
        ["901", "zhao.lei", "", "2031-01-03 09:00", ""],
        ["905", "zhao.lei", "", "", ""],
        ["903", "zhao.lei", "", "", ""],
        ["999", "li.na", "", "", ""],
        ["904", "", "", "", ""],
    ]
    source = write_csv(tmp_path / "in.csv", rows)
    with serving(store) as sim:
        config = config_for(tmp_path, sim)
        planned = invoke("plan", str(source), "-c", config)
        sent = updates(sim)
        good = write_csv(tmp_path / "good.csv", rows[:2])
        fine = invoke("plan", str(good), "-c", config, "-q")
    assert planned.exit_code == 1, planned.output
    assert fine.exit_code == 0, fine.output
    assert sent == 0
    assert store.total_updates == 0
    report = by_line(read_results(tmp_path / "in.plan.csv"))
    assert [(report[n]["status"], report[n]["verdict"]) for n in range(2, 7)] == [
        ("skipped", "will_change"),
        ("skipped", "already_so"),
        ("invalid", "automatic"),
        ("skipped", "not_found"),
        ("invalid", ""),
    ]
    assert report[2]["changes"] == (
        "userAccount: li.na -> zhao.lei; appointTime: 2031-01-01 09:00:00 -> 2031-01-03 09:00:00"
    )
    assert report[2]["before_remark"] == "call back"
    assert report[5]["error"].startswith("not listed on the server: a run sends it")
    assert report[6]["error_code"] == "userAccount.required"
    assert "rescheduler: plan: 5 rows from in.csv" in planned.output
    assert "will change 1, already so 1, not listed 1, automatic 1, expired 0" in planned.output
    assert not (tmp_path / "in.results.csv").exists()
    assert not (tmp_path / "in.plan.snapshot.sqlite").exists()
    record = valid_record(tmp_path / "in.plan.run.json")
    assert (record["command"], record["dry_run"]) == ("plan", True)
    assert record["snapshot"]["verdicts"] == {
        "will_change": 1, "already_so": 1, "not_found": 1, "automatic": 1
    }  # fmt: skip


def test_verify_marks_rows_the_server_does_not_show_as_sent(tmp_path: Path) -> None:
    store = team()
    source = write_csv(tmp_path / "in.csv", [["901", "zhao.lei", "", "", ""],
                                              ["902", "zhao.lei", "", "", ""]])  # fmt: skip
    with serving(store) as sim:

        def meddle(query: object) -> None:  # someone changes 902 once the updates are in
            found = store.get("902")
            if store.total_updates == 2 and found is not None and found.user_account != "x":
                found.user_account = "x"
                store.touch()

        sim.sim.simulator.on_list = meddle
        ran = invoke("run", str(source), "-c", config_for(tmp_path, sim), "--verify")
    assert ran.exit_code == 1, ran.output
    rows = read_results(tmp_path / "in.results.csv")
    assert list(rows[0])[-1] == "verified"
    assert [(r["status"], r["verified"], r["error_code"]) for r in rows] == [
        ("succeeded", "yes", ""),
        ("succeeded", "no", "not_verified"),
    ]
    assert rows[1]["error"] == (
        "the server answered 0200000 but shows something else: userAccount shows x"
    )
    assert "verified: 1 yes, 1 no" in ran.output


def test_xlsx_results_get_xlsx_before_and_undo_files_that_run_back(tmp_path: Path) -> None:
    store = team()
    original = state(store)
    source = write_csv(tmp_path / "in.csv", [["901", "zhao.lei", "", "2031-03-01 10:00", "x"]])
    out = tmp_path / "out.xlsx"
    with serving(store) as sim:
        config = config_for(tmp_path, sim)
        ran = invoke("run", str(source), "-c", config, "--out", str(out), "--verify")
        assert ran.exit_code == 0, ran.output
        sheet = openpyxl.load_workbook(out, read_only=True).worksheets[0]
        header, row = list(sheet.iter_rows(values_only=True))
        assert dict(zip(header, row, strict=True))["verified"] == "yes"
        undo = tmp_path / "out.undo.xlsx"
        assert (tmp_path / "out.before.xlsx").exists()
        back = invoke("run", str(undo), "-c", config)
    assert back.exit_code == 0, back.output
    assert state(store) == original


def test_resume_undoes_what_the_first_run_changed_too(tmp_path: Path) -> None:
    store = Store(
        Reservation(f"9{n:02d}", MANUAL, "li.na", "", at("2031-01-01 09:00") + n * 60_000, "")
        for n in range(40)
    )
    original = state(store)
    rows = [[f"9{n:02d}", "zhao.lei", "", "", ""] for n in range(40)]
    source = write_csv(tmp_path / "in.csv", rows)
    with serving(store, p_503=0.3, seed=3) as sim:  # some rows fail: a --resume sends them
        config = config_for(tmp_path, sim, max_attempts=1)
        first = invoke("run", str(source), "-c", config)
    assert first.exit_code == 1
    done = sum(1 for r in store if r.user_account == "zhao.lei")
    assert 0 < done < 40
    with serving(store) as sim:
        config = config_for(tmp_path, sim)
        second = invoke("run", str(source), "-c", config, "--resume")
        assert second.exit_code == 0, second.output
        undo = read_results(tmp_path / "in.undo.csv")
        assert len(undo) == 40  # the first run's rows too, with their values from before it
        assert {r["userAccount"] for r in undo} == {"li.na"}
        report = read_results(tmp_path / "in.results.csv")
        earlier = [r for r in report if r["error_code"] == "already_succeeded"]
        assert len(earlier) == done
        assert {r["before_userAccount"] for r in earlier} == {"li.na"}
        back = invoke("run", str(tmp_path / "in.undo.csv"), "-c", config)
    assert back.exit_code == 0, back.output
    assert state(store) == original


def test_a_server_without_remarks_never_calls_a_remark_already_so(tmp_path: Path) -> None:
    store = team()
    source = write_csv(tmp_path / "in.csv", [["901", "li.na", "", "", "call back"]])
    with serving(store, list_remark=False) as sim:
        ran = invoke("run", str(source), "-c", config_for(tmp_path, sim))
    assert ran.exit_code == 0, ran.output
    assert store.total_updates == 1  # the remark may differ: sent
    report = read_results(tmp_path / "in.results.csv")[0]
    assert report["status"] == "succeeded"
    assert "before_remark" not in report
    assert "no undo file: none of the 1 rows this run changed can be put back (their" in ran.output


def test_rows_on_another_vdn_are_listed_there(tmp_path: Path) -> None:
    store = team()
    headers = ("appointId", "userAccount", "vdnId")
    source = write_csv(tmp_path / "in.csv", [["901", "zhao.lei", "2"], ["902", "zhao.lei", ""]],
                       headers=headers)  # fmt: skip
    with serving(store, vdn_ids=(1, 2)) as sim:
        ran = invoke("run", str(source), "-c", config_for(tmp_path, sim))
    assert ran.exit_code == 0, ran.output
    with (tmp_path / "in.undo.csv").open(encoding="utf-8-sig", newline="") as handle:
        undo = list(csv.DictReader(handle))
    assert [(r["appointId"], r["vdnId"], r["userAccount"]) for r in undo] == [
        ("901", "2", "li.na"), ("902", "1", "li.na")
    ]  # fmt: skip
    before = read_results(tmp_path / "in.before.csv")
    assert [(r["appointId"], r["vdnId"]) for r in before] == [("901", "2"), ("902", "1")]
