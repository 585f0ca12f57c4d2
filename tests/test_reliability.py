"""Never lose a row: seeded server faults, throttling, aborts. Every line once, true outcomes.

The runs here use ``--no-snapshot``: they count and time the update requests themselves.
"""

from __future__ import annotations

from pathlib import Path

from tests.e2e import (
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


def test_fault_mix_every_row_once_and_no_update_applied_twice(tmp_path: Path) -> None:
    count = 300
    write_csv(tmp_path / "in.csv", simple_rows(count))
    store = store_of(count)
    knobs = {
        "seed": 7,
        "p_503": 0.08,
        "p_reset": 0.04,
        "p_db_error": 0.04,
        "p_hang": 0.01,
        "hang_s": 3.0,
    }
    with serving(store, **knobs) as sim:
        config = write_config(
            tmp_path / "c.toml", sim.base_url, concurrency=16, max_attempts=4, timeout_s=0.3
        )
        result = invoke("run", str(tmp_path / "in.csv"), "-c", str(config), "--no-snapshot")
        requests = sim.sim.stats.total_requests
    rows = by_line(read_results(tmp_path / "in.results.csv"))
    assert sorted(rows) == list(range(2, count + 2))
    assert sum(int(r["attempts"]) for r in rows.values()) == requests
    assert requests > count  # faults were met and retried
    for line, row in rows.items():
        reservation = store.get(appoint_id(line - 1))
        assert reservation is not None
        if row["status"] == "succeeded":
            assert reservation.updates == 1, line
            assert reservation.remark == f"remark {line - 1}"
        else:
            assert row["status"] == "failed", row
            assert reservation.updates == 0
            assert row["attempts"] == "4"
            assert "(after 4 attempts)" in row["error"]
    retried = [r for r in rows.values() if int(r["attempts"]) > 1 and r["status"] == "succeeded"]
    assert retried
    assert result.exit_code == (0 if all(r["status"] == "succeeded" for r in rows.values()) else 1)


def test_throttled_server_429_with_retry_after_all_rows_succeed(tmp_path: Path) -> None:
    count = 60
    write_csv(tmp_path / "in.csv", simple_rows(count))
    with serving(store_of(count), rate_limit_per_s=40.0, retry_after_s=1) as sim:
        config = write_config(tmp_path / "c.toml", sim.base_url, concurrency=8, max_attempts=6)
        result = invoke("run", str(tmp_path / "in.csv"), "-c", str(config), "--no-snapshot")
        throttled = sim.sim.stats.http_status.get(429, 0)
    assert result.exit_code == 0, result.output
    rows = read_results(tmp_path / "in.results.csv")
    assert len(rows) == count
    assert {r["status"] for r in rows} == {"succeeded"}
    assert throttled > 0
    assert sum(int(r["attempts"]) for r in rows) == count + throttled


def test_max_failures_stops_a_run_where_everything_fails(tmp_path: Path) -> None:
    count = 200
    rows = [[*row, "77"] for row in simple_rows(count)]  # vdn 77 is not served: 0200001
    write_csv(
        tmp_path / "in.csv",
        rows,
        headers=("appointId", "userAccount", "workNo", "appointTime", "remark", "vdnId"),
    )
    with serving(store_of(count)) as sim:
        config = write_config(tmp_path / "c.toml", sim.base_url, concurrency=4)
        result = invoke(
            "run", str(tmp_path / "in.csv"), "-c", str(config), "--no-snapshot",
            "--max-failures", "10",
        )  # fmt: skip
        sent = sim.sim.stats.total_requests
    assert result.exit_code == 3
    assert "10 of 10 rows failed, reaching --max-failures 10" in result.output
    report = by_line(read_results(tmp_path / "in.results.csv"))
    assert sorted(report) == list(range(2, count + 2))
    statuses = [r["status"] for r in report.values()]
    assert statuses.count("failed") == sent
    assert 10 <= sent <= 10 + 4  # the rows in flight when the limit was reached finish
    assert statuses.count("not_sent") == count - sent


def test_percent_failure_limit(tmp_path: Path) -> None:
    count = 100
    rows = simple_rows(count)
    for row in rows[::2]:
        row[0] = "1" + row[0][1:]  # unknown reservation: 04000004 on every other row
    write_csv(tmp_path / "in.csv", rows)
    with serving(store_of(count)) as sim:
        config = write_config(tmp_path / "c.toml", sim.base_url, concurrency=2)
        result = invoke(
            "run", str(tmp_path / "in.csv"), "-c", str(config), "--no-snapshot",
            "--max-failures", "30%",
        )  # fmt: skip
    assert result.exit_code == 3
    assert "reaching --max-failures 30%" in result.output


def test_rate_limit_measured_at_the_simulator(tmp_path: Path) -> None:
    """The simulator throttles at the same rate (a bucket of one second's worth): a client
    that never starts more than were due, retries included, is never answered 429.

    Counts, not timings: the bucket's second of slack absorbs any scheduling jitter, while a
    client without the limit, or one that bursts, sends the 150-odd requests at once.
    """
    count, rate = 120, 100.0
    write_csv(tmp_path / "in.csv", simple_rows(count))
    with serving(store_of(count), seed=3, p_503=0.15, rate_limit_per_s=rate) as sim:
        arrivals: list[float] = []
        sim.sim.stats.arrivals = arrivals
        config = write_config(tmp_path / "c.toml", sim.base_url, concurrency=8, rate_per_s=rate)
        result = invoke("run", str(tmp_path / "in.csv"), "-c", str(config), "--no-snapshot")
        statuses = dict(sim.sim.stats.http_status)
    assert result.exit_code == 0, result.output
    rows = by_line(read_results(tmp_path / "in.results.csv"))
    assert {r["status"] for r in rows.values()} == {"succeeded"}
    assert statuses.get(503, 0) > 0  # retries happened, and went through the same limit
    assert len(arrivals) == sum(int(r["attempts"]) for r in rows.values()) == count + statuses[503]
    assert statuses.get(429, 0) == 0


def test_unreachable_server_stops_the_run_early(tmp_path: Path) -> None:
    import socket

    with socket.socket() as probe:  # a loopback port with nobody listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    count = 120
    write_csv(tmp_path / "in.csv", simple_rows(count))
    config = write_config(
        tmp_path / "c.toml", f"http://127.0.0.1:{port}", concurrency=4, max_attempts=2
    )
    result = invoke("run", str(tmp_path / "in.csv"), "-c", str(config), "--no-snapshot")
    assert result.exit_code == 3
    assert "rows in a row got no answer from the server" in result.output
    rows = by_line(read_results(tmp_path / "in.results.csv"))
    assert sorted(rows) == list(range(2, count + 2))
    statuses = [r["status"] for r in rows.values()]
    assert 20 <= statuses.count("failed") <= 20 + 4
    assert statuses.count("not_sent") == count - statuses.count("failed")
