"""End to end: the CLI, as a user runs it, against the simulator over a real loopback socket."""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pytest

from tests.e2e import (
    AK,
    SK,
    appoint_id,
    by_line,
    invoke,
    read_results,
    serving,
    simple_rows,
    store_of,
    write_config,
    write_csv,
)

ROOT = Path(__file__).resolve().parent.parent


def test_sample_run_reports_every_row_with_its_true_outcome(tmp_path: Path) -> None:
    from rescheduler.simulator.store import Store

    shutil.copy(ROOT / "samples" / "changes.csv", tmp_path / "changes.csv")
    store = Store.from_file(ROOT / "samples" / "reservations.json")
    with serving(store) as sim:
        config = write_config(tmp_path / "c.toml", sim.base_url, access_key=AK)
        result = invoke("run", str(tmp_path / "changes.csv"), "-c", str(config))
        total_requests = sim.sim.stats.total_requests
    assert result.exit_code == 1, result.output
    rows = by_line(read_results(tmp_path / "changes.results.csv"))
    assert sorted(rows) == list(range(2, 22))
    statuses = {line: row["status"] for line, row in rows.items()}
    assert [line for line, s in statuses.items() if s == "succeeded"] == list(range(2, 14))
    assert {line: rows[line]["resultCode"] for line in (14, 15, 16)} == {
        14: "04000004",
        15: "",  # automatic: the snapshot says so, it is not sent
        16: "02000003",
    }
    assert all(statuses[line] == "failed" for line in (14, 16))
    assert all(statuses[line] == "invalid" for line in (15, 17, 18, 19, 21))
    assert rows[15]["error_code"] == "automatic"
    assert rows[15]["error"] == (
        "appointId: the server lists this reservation as automatic (callType 2): it cannot be "
        "rescheduled"
    )
    assert statuses[20] == "skipped"
    assert rows[20]["error"] == "duplicate of line 3"
    assert rows[19]["error"] == (
        "appointId: looks like a number Excel converted (1.74729E+29): format the appointId "
        "column as Text and re-enter the IDs"
    )
    assert rows[2]["remark"] == "客户要求改到上午回访"
    assert rows[2]["appointTime_utc"] == "2030-01-15T01:30:00Z"
    assert rows[10]["remark"] == '\'=HYPERLINK("http://example.invalid")'
    assert rows[2]["customer"] == "Wang Fang"  # extra columns are kept
    # Only valid, non-duplicate rows were sent, once each (after the snapshot's 2 listings:
    # the sample's agents are new, so the filtered one finds nothing); the store holds the
    # new values.
    assert total_requests == 2 + 14
    assert store.total_updates == 12
    first = store.get("174729926098016859445364890001")
    assert first is not None
    assert first.user_account == "agent.li"
    assert first.remark == "客户要求改到上午回访"
    assert first.appoint_time_ms == 1894671000000  # 2030-01-15T01:30:00Z
    errors = read_results(tmp_path / "changes.errors.csv")
    assert [int(r["line"]) for r in errors] == [14, 15, 16, 17, 18, 19, 21]
    assert "summary" not in result.output
    assert "succeeded  12" in result.output
    assert SK not in result.output


def test_validate_sends_nothing_and_needs_no_credentials(tmp_path: Path) -> None:
    write_csv(tmp_path / "in.csv", simple_rows(5))
    with serving(store_of(5)) as sim:
        config = write_config(tmp_path / "c.toml", sim.base_url)
        result = invoke("validate", str(tmp_path / "in.csv"), "-c", str(config), secret=None)
        assert sim.sim.stats.total_requests == 0
    assert result.exit_code == 0, result.output
    rows = read_results(tmp_path / "in.validation.csv")  # never a run's results file
    assert not (tmp_path / "in.results.csv").exists()
    assert [r["status"] for r in rows] == ["skipped"] * 5
    assert {r["error"] for r in rows} == {"dry run: valid, not sent"}


def test_dry_run_with_an_invalid_row_exits_1(tmp_path: Path) -> None:
    rows = simple_rows(3)
    rows[1][3] = "yesterday"
    write_csv(tmp_path / "in.csv", rows)
    result = invoke("run", str(tmp_path / "in.csv"), "--dry-run", secret=None)
    assert result.exit_code == 1
    report = by_line(read_results(tmp_path / "in.validation.csv"))
    assert report[3]["status"] == "invalid"
    assert report[3]["error"].startswith("appointTime: 'yesterday'")


def test_xlsx_report_and_text_ids(tmp_path: Path) -> None:
    write_csv(tmp_path / "in.csv", simple_rows(4))
    with serving(store_of(4)) as sim:
        config = write_config(tmp_path / "c.toml", sim.base_url)
        out = tmp_path / "out.xlsx"
        result = invoke("run", str(tmp_path / "in.csv"), "-c", str(config), "--out", str(out))
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(out, read_only=True).worksheets[0]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][:7] == [
        "appointId",
        "userAccount",
        "workNo",
        "appointTime",
        "remark",
        "line",
        "status",
    ]
    assert [v[0] for v in values[1:]] == [appoint_id(n) for n in range(1, 5)]
    assert {v[6] for v in values[1:]} == {"succeeded"}
    assert (tmp_path / "out.errors.xlsx").exists()


def test_op_independent_deployment_requires_work_no(tmp_path: Path) -> None:
    rows = [[appoint_id(1), "", "125", "", "x"], [appoint_id(2), "acc", "", "", "y"]]
    write_csv(tmp_path / "in.csv", rows)
    with serving(store_of(2), deployment="op-independent") as sim:
        config = write_config(tmp_path / "c.toml", sim.base_url)
        text = config.read_text().replace('"standard"', '"op-independent"')
        config.write_text(text)
        result = invoke("run", str(tmp_path / "in.csv"), "-c", str(config))
        stored = sim.store.get(appoint_id(1))
    assert result.exit_code == 1
    report = by_line(read_results(tmp_path / "in.results.csv"))
    assert report[2]["status"] == "succeeded"
    assert report[3]["status"] == "invalid"
    assert "workNo" in report[3]["error"]
    assert stored is not None
    assert stored.work_no == "125"


def test_in_flight_requests_never_exceed_concurrency(tmp_path: Path) -> None:
    write_csv(tmp_path / "in.csv", simple_rows(60))
    with serving(store_of(60), latency_ms=30) as sim:
        config = write_config(tmp_path / "c.toml", sim.base_url, concurrency=5)
        result = invoke("run", str(tmp_path / "in.csv"), "-c", str(config))
        peak = sim.sim.stats.max_in_flight
    assert result.exit_code == 0, result.output
    assert peak == 5


def test_wrong_secret_aborts_with_exit_3_naming_the_access_key(tmp_path: Path) -> None:
    write_csv(tmp_path / "in.csv", simple_rows(30))
    with serving(store_of(30)) as sim:
        config = write_config(tmp_path / "c.toml", sim.base_url, concurrency=2)
        result = invoke(
            "run", str(tmp_path / "in.csv"), "-c", str(config), "--no-snapshot", secret="wrong-key"
        )
        sent = sim.sim.stats.total_requests
    assert result.exit_code == 3
    assert f"the server rejected access key '{AK}' (HTTP 401)" in result.output
    assert "wrong-key" not in result.output
    rows = by_line(read_results(tmp_path / "in.results.csv"))
    assert sorted(rows) == list(range(2, 32))
    statuses = [r["status"] for r in rows.values()]
    assert statuses.count("failed") == sent <= 2
    assert statuses.count("not_sent") == 30 - sent
    assert "wrong-key" not in (tmp_path / "in.results.csv").read_text(encoding="utf-8-sig")


def test_missing_required_column_exits_2_listing_headers(tmp_path: Path) -> None:
    write_csv(tmp_path / "in.csv", [["1", "a"]], headers=("id", "agent"))
    result = invoke("validate", str(tmp_path / "in.csv"), secret=None)
    assert result.exit_code == 2
    assert "no appointId column" in result.output
    assert "id" in result.output
    assert not (tmp_path / "in.results.csv").exists()


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--concurrency", "0", "--concurrency must be an integer from 1 to 1000, got 0"),
        ("--concurrency", "1000000", "--concurrency must be an integer from 1 to 1000"),
        ("--rate", "inf", "--rate must be a number from 0.01 to 100000, or 0 for none, got inf"),
        ("--rate", "nan", "--rate must be a number from 0.01 to 100000"),
        ("--max-attempts", "1000", "--max-attempts must be an integer from 1 to 100"),
    ],
)
def test_a_bad_flag_value_exits_2_naming_the_flag_and_the_range(
    tmp_path: Path, flag: str, value: str, message: str
) -> None:
    write_csv(tmp_path / "in.csv", simple_rows(1))
    result = invoke("run", str(tmp_path / "in.csv"), flag, value)
    assert result.exit_code == 2
    assert f"rescheduler: error: {message}" in result.output
    assert "send." not in result.output  # the flag the user typed, not the config key


def test_missing_secret_exits_2_before_reading(tmp_path: Path) -> None:
    write_csv(tmp_path / "in.csv", simple_rows(1))
    config = write_config(tmp_path / "c.toml", "http://127.0.0.1:9")
    result = invoke("run", str(tmp_path / "in.csv"), "-c", str(config), secret=None)
    assert result.exit_code == 2
    assert "auth.secret_key is not set" in result.output


def test_template_then_validate(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    assert invoke("template", str(path)).exit_code == 0
    assert invoke("template", str(path)).exit_code == 2  # refuses to overwrite
    result = invoke("validate", str(path), "--timezone", "Asia/Shanghai", secret=None)
    assert result.exit_code == 0, result.output


def test_demo_csv_and_xlsx_samples_give_the_same_outcomes(tmp_path: Path) -> None:
    csv_run = invoke("demo", "--workdir", str(tmp_path / "a"))
    xlsx_run = invoke("demo", "--workdir", str(tmp_path / "b"), "--xlsx")
    assert csv_run.exit_code == 0, csv_run.output
    assert xlsx_run.exit_code == 0, xlsx_run.output
    assert "results: " in csv_run.output
    from_csv = by_line(read_results(tmp_path / "a" / "changes.results.csv"))
    sheet = openpyxl.load_workbook(tmp_path / "b" / "changes.results.xlsx", read_only=True)
    table = [[c.value for c in row] for row in sheet.worksheets[0].iter_rows()]
    header = table[0]
    from_xlsx = {int(str(r[header.index("line")])): r for r in table[1:]}
    assert sorted(from_xlsx) == sorted(from_csv)
    for line, row in from_csv.items():
        assert from_xlsx[line][header.index("status")] == row["status"], line
        assert from_xlsx[line][header.index("appointId")] == row["appointId"], line
    assert from_csv[2]["status"] == "succeeded"
    assert sum(1 for r in from_csv.values() if int(r["attempts"]) > 1) == 3  # seeded 503s
    # The demo reads the server first, as `rescheduler run` does: a before file and an undo
    # file that puts back every row that succeeded.
    assert (tmp_path / "a" / "changes.before.csv").is_file()
    undo = read_results(tmp_path / "a" / "changes.undo.csv")
    succeeded = {r["appointId"] for r in from_csv.values() if r["status"] == "succeeded"}
    assert {r["appointId"] for r in undo} == succeeded


def test_duplicates_and_conflicts_never_send_one_reservation_twice(tmp_path: Path) -> None:
    rows = [
        [appoint_id(1), "a", "", "2031-01-01 10:00", "same"],
        [appoint_id(1), "a", "", "2031-01-01 10:00:00", "same"],  # the same change
        [appoint_id(2), "a", "", "2031-01-01 10:00", "first"],
        [appoint_id(2), "b", "", "2031-01-01 10:00", "second"],  # a different change
        [appoint_id(3), "a", "", "2031-01-01 10:00", "alone"],
    ]
    write_csv(tmp_path / "in.csv", rows)
    store = store_of(3)
    with serving(store) as sim:
        config = write_config(tmp_path / "c.toml", sim.base_url)
        rejected = invoke("run", str(tmp_path / "in.csv"), "-c", str(config), "--no-snapshot")
        first = by_line(read_results(tmp_path / "in.results.csv"))
        last = invoke(
            "run",
            str(tmp_path / "in.csv"),
            "-c",
            str(config),
            "--no-snapshot",  # the same changes again: sent again, not "already so"
            "--on-conflict",
            "last",
            "--out",
            str(tmp_path / "last.csv"),
        )
        second = by_line(read_results(tmp_path / "last.csv"))
    assert rejected.exit_code == 1
    assert [first[n]["status"] for n in range(2, 7)] == [
        "succeeded",
        "skipped",
        "invalid",
        "invalid",
        "succeeded",
    ]
    assert first[3]["error"] == "duplicate of line 2"
    assert first[4]["error"].startswith("appointId: conflicts with line 5: ")
    assert last.exit_code == 0
    assert [second[n]["status"] for n in range(2, 7)] == [
        "succeeded",
        "skipped",
        "skipped",
        "succeeded",
        "succeeded",
    ]
    assert second[4]["error"] == "superseded by line 5"
    updates = {n: store.get(appoint_id(n)).updates for n in (1, 2, 3)}  # type: ignore[union-attr]
    assert updates == {1: 2, 2: 1, 3: 2}  # one request per reservation per run
    assert store.get(appoint_id(2)).remark == "second"  # type: ignore[union-attr]
