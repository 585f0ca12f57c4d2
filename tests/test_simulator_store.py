"""The simulator's pure parts: generated IDs, the store, config builders and the click command."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from rescheduler.simulator.cli import simulate_command
from rescheduler.simulator.config import Deployment, SimConfig, build_store, sim_config
from rescheduler.simulator.faults import FaultPlan
from rescheduler.simulator.store import AUTOMATIC, MANUAL, Reservation, Store, generated_id
from tests.simclient import NO_CONTEXT

# generated IDs and stores ------------------------------------------------------------------------


def test_generated_ids_are_30_digit_deterministic_and_unique() -> None:
    assert generated_id(0, 0) == "172920679726300000000009570862"
    assert generated_id(1, 0) == "172920679726300000000010417946"
    ids = [generated_id(i, 7) for i in range(5000)]
    assert len(set(ids)) == 5000
    assert all(len(i) == 30 and i.isdigit() and i[0] != "0" for i in ids)
    assert generated_id(9_999_999_999, 7)[13:23] == "9999999999"
    assert generated_id(3, 1) != generated_id(3, 2)


@pytest.mark.parametrize("i", [-1, 10**10])
def test_generated_id_range(i: int) -> None:
    with pytest.raises(ValueError, match=r"i must be in 0\.\.9999999999"):
        generated_id(i, 0)


def test_generate_is_deterministic_with_an_automatic_share() -> None:
    store = Store.generate(1000, seed=3, automatic_ratio=0.25)
    again = Store.generate(1000, seed=3, automatic_ratio=0.25)
    assert [r.to_json() for r in store] == [r.to_json() for r in again]
    assert [r.appoint_id for r in store] == [generated_id(i, 3) for i in range(1000)]
    assert sum(r.call_type == AUTOMATIC for r in store) == 266
    first = next(iter(store))
    assert (first.user_account, first.work_no, first.appoint_time_ms) == (
        "agent000",
        "100",
        1_749_204_000_000,
    )
    assert all(r.call_type == MANUAL for r in Store.generate(50, seed=3))


def test_from_json_file(tmp_path: Path) -> None:
    path = tmp_path / "reservations.json"
    path.write_text(
        '[{"appointId": "11", "callType": 2, "userAccount": "a", "appointTime": 5},'
        ' {"appointId": "12", "remark": "备注"}]',
        encoding="utf-8",
    )
    store = Store.from_file(path)
    assert [r.to_json() for r in store] == [
        {
            "appointId": "11",
            "callType": "2",
            "userAccount": "a",
            "workNo": "",
            "appointTime": 5,
            "remark": "",
            "updates": 0,
            **NO_CONTEXT,
        },
        {
            "appointId": "12",
            "callType": "1",
            "userAccount": "",
            "workNo": "",
            "appointTime": 0,
            "remark": "备注",
            "updates": 0,
            **NO_CONTEXT,
        },
    ]


def test_from_csv_file_with_bom_and_multiline_cells(tmp_path: Path) -> None:
    path = tmp_path / "reservations.csv"
    path.write_text(
        "\ufeffappointId,callType,userAccount,workNo,appointTime,remark\r\n"
        '21,1,u1,125,1749204000000,"two\r\nlines"\r\n'
        "22,2,,,,\r\n",
        encoding="utf-8",
    )
    store = Store.from_file(path, accept_any=True)
    assert store.accept_any is True
    assert store.get("21") == Reservation("21", 1, "u1", "125", 1_749_204_000_000, "two\r\nlines")
    assert store.get("22") == Reservation("22", 2)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"appointId": "1"}', "expected a JSON list of objects"),
        ('[{"remark": "x"}]', "record 1: appointId is missing"),
        ('[{"appointId": "1", "callType": 3}]', "record 1: callType must be 1 .manual. or 2"),
        ('[{"appointId": "1", "appointTime": "soon"}]', "record 1: callType and appointTime must"),
        ('[{"appointId": "1", "timeout": "maybe"}]', "record 1: timeout must be true or false"),
        ('[{"appointId": "1", "beginTime": "noon"}]', "record 1: beginTime and endTime must"),
    ],
)
def test_from_file_errors_name_the_record(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        Store.from_file(path)


def test_update_histogram_tracks_counts() -> None:
    store = Store([Reservation("1"), Reservation("2"), Reservation("3", updates=4)])
    one, two = store.get("1"), store.get("2")
    assert one is not None
    assert two is not None
    for reservation in (one, one, one, two):
        store.record_update(reservation)
    assert store.update_summary() == {
        "reservations": 3,
        "total_updates": 8,
        "updated_ids": 3,
        "max_updates_per_id": 4,
        "histogram": {"1": 1, "3": 1, "4": 1},
    }


def test_lookup_creates_only_in_accept_any_mode() -> None:
    assert Store().lookup("5") is None
    store = Store(accept_any=True)
    created = store.lookup("5")
    assert created == Reservation("5")
    assert store.lookup("5") is created
    assert len(store) == 1


# config ------------------------------------------------------------------------------------------


def test_sim_config_from_flat_values() -> None:
    config = sim_config(
        access_key="ak",
        secret_key="sk",
        deployment="op-independent",
        vdn_ids=[3, 1],
        seed=9,
        p_503=0.1,
        latency_ms=5,
        rate_limit_per_s=100,
        max_remark_len=50,
    )
    assert config.credentials == {"ak": "sk"}
    assert config.deployment is Deployment.OP_INDEPENDENT
    assert config.deployment.agent_field == "workNo"
    assert config.vdn_ids == frozenset({1, 3})
    assert config.max_remark_len == 50
    assert config.faults == FaultPlan(seed=9, p_503=0.1, latency_ms=5, rate_limit_per_s=100)
    assert config.describe() == "vdn 1,3, deployment op-independent, AK ak"
    assert "sk" not in repr(config).replace("max_skew", "")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"deployment": "cloud"}, "'cloud' is not a valid Deployment"),
        ({"vdn_ids": [0]}, "vdnId must be in 1..9999, got 0"),
        ({"vdn_ids": []}, "at least one vdnId is needed"),
        ({"secret_key": ""}, "access keys and secret keys must not be empty"),
        ({"max_remark_len": 0}, "max_remark_len must be at least 1"),
    ],
)
def test_sim_config_refuses_bad_values(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        sim_config(**kwargs)  # type: ignore[arg-type]


def test_default_config_is_the_demo() -> None:
    config = SimConfig()
    assert config.credentials == {"demo-ak": "demo-secret-key"}
    assert config.deployment is Deployment.STANDARD
    assert config.vdn_ids == frozenset({1})
    assert config.max_skew_s == 900.0
    assert (config.max_appoint_id_len, config.max_remark_len) == (32, 200)
    assert (config.max_user_account_len, config.max_work_no_len) == (32, 32)


def test_build_store_generates_or_loads(tmp_path: Path) -> None:
    assert len(build_store(reservations=7, seed=1)) == 7
    path = tmp_path / "r.csv"
    path.write_text("appointId\n42\n", encoding="utf-8")
    assert [r.appoint_id for r in build_store(from_file=path, reservations=7)] == ["42"]


# the click command (usage errors only; serving is covered in test_simulator_server) -------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--p-503", "0.7", "--p-500", "0.5"], "fault probabilities add up to 1.2, more than 1"),
        (["--secret-key", "a", "--secret-key-env", "B"], "give --secret-key or --secret-key-env"),
        (["--secret-key-env", "RESCHEDULER_TEST_UNSET"], "RESCHEDULER_TEST_UNSET is not set"),
        (["--deployment", "cloud"], "'cloud' is not one of 'standard', 'op-independent'"),
        (["--from-file", "/nonexistent/r.json"], "No such file or directory"),
        (["--vdn", "0"], "0 is not in the range 1<=x<=9999"),
    ],
)
def test_simulate_usage_errors(args: list[str], message: str) -> None:
    result = CliRunner().invoke(simulate_command, args, env={"RESCHEDULER_TEST_UNSET": ""})
    assert result.exit_code == 2
    assert message in result.output


def test_simulate_help_lists_the_flags() -> None:
    result = CliRunner().invoke(simulate_command, ["--help"])
    assert result.exit_code == 0
    for flag in ("--reservations", "--from-file", "--accept-any", "--p-reset", "--rate-limit"):
        assert flag in result.output


@pytest.mark.parametrize("processes", ["1", "2"])
def test_simulate_reports_a_busy_port(processes: str) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(
            simulate_command, ["--port", str(port), "--processes", processes, "--reservations", "1"]
        )
    assert result.exit_code == 2
    assert result.output == f"Error: cannot listen on 127.0.0.1:{port}: Address already in use\n"
