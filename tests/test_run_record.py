"""The run record of every acceptance scenario, validated against the shipped JSON Schema, and
the alert, metrics and logs around it: the CLI as a user runs it, against the simulator and a
local webhook receiver over real sockets."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

from rescheduler.demo import samples_dir
from rescheduler.simulator.store import Store
from tests.e2e import (
    AK,
    SK,
    invoke,
    read_results,
    serving,
    simple_rows,
    store_of,
    write_config,
    write_csv,
)
from tests.hookserver import OK_BODIES, Receiver, receiver_thread
from tests.recordcheck import valid_record

HOOK_KEY = "hook-key-7c1e-do-not-show"


def with_notify(config: Path, url: str, fmt: str = "wecom", on: str = "failure") -> Path:
    text = config.read_text(encoding="utf-8")
    config.write_text(text + f'[notify]\nformat = "{fmt}"\nurl = "{url}"\non = "{on}"\n', "utf-8")
    return config


def sample(tmp_path: Path) -> Path:
    shutil.copy(samples_dir() / "changes.csv", tmp_path / "changes.csv")
    return tmp_path / "changes.csv"


def no_secrets(*texts: str) -> None:
    for text in texts:
        assert SK not in text
        assert HOOK_KEY not in text


def test_all_good(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "in.csv", simple_rows(5))
    with serving(store_of(5)) as sim:
        config = write_config(tmp_path / "c.toml", sim.base_url)
        result = invoke("run", str(source), "-c", str(config), "--json")
    assert result.exit_code == 0, result.output
    record = valid_record(tmp_path / "in.run.json")
    assert json.loads(result.stdout) == record  # --json: the record on stdout ...
    assert "succeeded" not in result.stderr  # ... instead of the summary
    assert record["exit"] == {
        "code": 0,
        "name": "ok",
        "ok": True,
        "meaning": "every row succeeded or was skipped",
    }
    assert record["rows"] == {
        "total": 5, "succeeded": 5, "failed": 0, "invalid": 0, "skipped": 0, "not_sent": 0
    }  # fmt: skip
    assert record["requests"] == {"sent": 5, "retries": 0}
    source_bytes = source.read_bytes()
    assert record["input"]["sha256"] == hashlib.sha256(source_bytes).hexdigest()
    assert record["input"]["size"] == len(source_bytes)
    assert record["input"]["path"] == str(source)
    assert {f["kind"]: f["path"] for f in record["files"]} == {
        "results": str(tmp_path / "in.results.csv"),
        "errors": str(tmp_path / "in.errors.csv"),
        "journal": str(tmp_path / "in.journal.sqlite"),
        "before": str(tmp_path / "in.before.csv"),
        "snapshot": str(tmp_path / "in.snapshot.sqlite"),
        "run_record": str(tmp_path / "in.run.json"),
    }  # no undo file: store_of's reservations have no agent to put back
    snapshot = record["snapshot"]
    assert (snapshot["rows"], snapshot["listed"], snapshot["verdicts"]) == (
        5, 5, {"will_change": 5}
    )
    assert (snapshot["undo_rows"], snapshot["undo_held"]) == (0, 5)  # store_of: no agents
    assert record["config"]["auth"] == {
        "access_key": AK,
        "secret_key": "***",
        "secret_source": "RESCHEDULER_SECRET_KEY",
    }
    assert record["notification"] is None
    assert record["aborted"] is None
    assert record["error"] is None
    no_secrets((tmp_path / "in.run.json").read_text(encoding="utf-8"))


def test_some_failed_alerts_the_team(tmp_path: Path) -> None:
    source = sample(tmp_path)
    with (
        receiver_thread(Receiver(answers=[(200, OK_BODIES["wecom"])])) as receiver,
        serving(Store.from_file(samples_dir() / "reservations.json")) as sim,
    ):
        config = write_config(tmp_path / "c.toml", sim.base_url)
        with_notify(config, f"{receiver.base_url}/cgi-bin/webhook/send?key={HOOK_KEY}")
        log = tmp_path / "nightly.log"
        metrics = tmp_path / "rescheduler.prom"
        result = invoke(
            "run", str(source), "-c", str(config), "-q",
            "--log-file", str(log), "--log-format", "json", "--metrics-file", str(metrics),
        )  # fmt: skip
    assert result.exit_code == 1, result.output
    record = valid_record(tmp_path / "changes.run.json")
    assert record["rows"] == {
        "total": 20, "succeeded": 12, "failed": 2, "invalid": 5, "skipped": 1, "not_sent": 0
    }  # fmt: skip
    assert record["failures"]["by_code"] == {"02000003": 1, "04000004": 1}
    assert record["failures"]["invalid_by_column"] == {
        "appointId": 2, "appointTime": 2, "userAccount": 1
    }  # fmt: skip  (the automatic reservation is invalid: the snapshot lists it so)
    assert record["exit"]["name"] == "rows_failed"
    assert record["notification"] == {
        "format": "wecom",
        "url": f"{receiver.base_url}/***",
        "on": "failure",
        "status": "delivered",
        "attempts": 1,
        "http_status": 200,
        "error": "",
    }
    kinds = [f["kind"] for f in record["files"]]
    assert kinds == [
        "log", "results", "errors", "journal", "before", "snapshot", "undo", "metrics",
        "run_record",
    ]  # fmt: skip
    (alert,) = receiver.received
    assert alert.query == {"key": HOOK_KEY}
    content = alert.body["markdown"]["content"]
    assert "rescheduler: changes.csv: 2 failed, 5 invalid" in content
    assert "04000004 (the reservation does not exist) x1" in content
    assert f"results: {tmp_path / 'changes.results.csv'}" in content
    assert metrics.read_text(encoding="utf-8").count("rescheduler_last_run_success 0") == 1
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert {"time", "level", "logger", "event", "message"} <= set(lines[0])
    ended = [line for line in lines if line["event"] == "run.ended"]
    assert ended[0]["rows"]["failed"] == 2
    assert ended[0]["exit_code"] == 1
    assert any(line["event"] == "notify.delivered" for line in lines)
    no_secrets(
        (tmp_path / "changes.run.json").read_text(encoding="utf-8"),
        log.read_text(encoding="utf-8"),
        metrics.read_text(encoding="utf-8"),
        result.output,
    )


def test_an_undeliverable_alert_changes_neither_exit_code_nor_files(tmp_path: Path) -> None:
    source = sample(tmp_path)
    store = Store.from_file(samples_dir() / "reservations.json")
    with receiver_thread(Receiver(answers=[(503, b"down")])) as receiver, serving(store) as sim:
        config = write_config(tmp_path / "c.toml", sim.base_url)
        text = config.read_text(encoding="utf-8")
        with_notify(config, f"{receiver.base_url}/hook?key={HOOK_KEY}", fmt="slack")
        config.write_text(config.read_text("utf-8") + "max_attempts = 2\n", "utf-8")
        failed = invoke("run", str(source), "-c", str(config), "-q", "--no-snapshot")
        results_with_alert = read_results(tmp_path / "changes.results.csv")
        config.write_text(text, "utf-8")  # the same run again, without [notify]
        plain = invoke("run", str(sample(tmp_path)), "-c", str(config), "-q", "--no-snapshot")
    assert failed.exit_code == plain.exit_code == 1
    assert len(receiver.received) == 2
    assert [r["status"] for r in results_with_alert] == [
        r["status"] for r in read_results(tmp_path / "changes.results.csv")
    ]
    record = valid_record(tmp_path / "changes.run.json")
    assert record["notification"] is None  # the second run had no [notify]
    # the first run's record said what happened to the alert; run it once more to see it
    with receiver_thread(Receiver(answers=[(503, b"down")])) as receiver:
        with_notify(config, f"{receiver.base_url}/hook?key={HOOK_KEY}", fmt="slack")
        validated = invoke("validate", str(sample(tmp_path)), "-c", str(config), "-q")
    assert validated.exit_code == 1
    record = valid_record(tmp_path / "changes.validation.run.json")  # a check's own record
    assert record["notification"]["status"] == "failed"
    assert record["notification"]["error"] == "HTTP 503 down"
    assert record["notification"]["attempts"] == 3
    no_secrets(validated.output, (tmp_path / "changes.validation.run.json").read_text("utf-8"))


def test_aborted_by_401(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "in.csv", simple_rows(30))
    with serving(store_of(30)) as sim:
        config = write_config(tmp_path / "c.toml", sim.base_url, concurrency=2)
        result = invoke("run", str(source), "-c", str(config), "--json", secret="wrong-secret")
    assert result.exit_code == 3, result.output
    record = valid_record(result.stdout)
    assert record == valid_record(tmp_path / "in.run.json")
    assert record["exit"]["name"] == "aborted"
    assert record["aborted"]["kind"] == "CredentialsRejected"
    assert AK in record["aborted"]["message"]
    assert record["rows"]["not_sent"] > 0
    assert "wrong-secret" not in result.stdout


def test_missing_input_exits_4_in_one_line_and_alerts(tmp_path: Path) -> None:
    with receiver_thread(Receiver(answers=[(200, OK_BODIES["feishu"])])) as receiver:
        config = write_config(tmp_path / "c.toml", "http://127.0.0.1:9")
        with_notify(config, f"{receiver.base_url}/open-apis/bot/v2/hook/{HOOK_KEY}", "feishu")
        missing = tmp_path / "inbox" / "changes.csv"
        missing.parent.mkdir()
        result = invoke("run", str(missing), "-c", str(config), "--metrics-file",
                        str(tmp_path / "m.prom"))  # fmt: skip
    assert result.exit_code == 4
    assert result.stderr == (
        f"rescheduler: error: the input file {missing} does not exist — "
        "the upstream export did not arrive?\n"
    )
    record = valid_record(tmp_path / "inbox" / "changes.run.json")
    assert record["exit"] == {
        "code": 4,
        "name": "input_missing",
        "ok": False,
        "meaning": "the input file is missing or empty; nothing was sent",
    }
    assert record["error"]["kind"] == "InputMissing"
    assert record["input"]["exists"] is False
    assert record["input"]["sha256"] is None
    assert record["rows"] is None
    assert record["notification"]["status"] == "delivered"
    (alert,) = receiver.received
    assert alert.body["msg_type"] == "text"
    assert "no input" in alert.body["content"]["text"]
    assert "rescheduler_last_run_exit_code 4" in (tmp_path / "m.prom").read_text("utf-8")


def test_empty_input_exits_4(tmp_path: Path) -> None:
    (tmp_path / "in.csv").write_bytes(b"\xef\xbb\xbf\r\n  \r\n")
    result = invoke("validate", str(tmp_path / "in.csv"), secret=None)
    assert result.exit_code == 4
    assert "is empty — the upstream export did not arrive whole?" in result.stderr
    assert valid_record(tmp_path / "in.validation.run.json")["input"]["size"] == 9


def test_bad_input_exits_2_with_a_record(tmp_path: Path) -> None:
    write_csv(tmp_path / "in.csv", [["x", "y"]], headers=("agent", "when"))
    result = invoke("validate", str(tmp_path / "in.csv"), "--json", secret=None)
    assert result.exit_code == 2
    record = valid_record(result.stdout)
    assert record["error"]["kind"] == "InputFileError"
    assert record["exit"]["name"] == "not_started"
    assert record["rows"] is None
    assert record["dry_run"] is True
    assert record["command"] == "validate"


def test_bad_config_exits_2_with_a_record(tmp_path: Path) -> None:
    write_csv(tmp_path / "in.csv", simple_rows(2))
    config = tmp_path / "c.toml"
    config.write_text("[send]\nconcurrency = 0\n", encoding="utf-8")
    result = invoke("run", str(tmp_path / "in.csv"), "-c", str(config), "--json")
    assert result.exit_code == 2
    record = valid_record(result.stdout)
    assert record["config"] is None
    assert record["error"] == {
        "kind": "ConfigError",
        "message": "send.concurrency must be an integer from 1 to 1000, got 0",
    }


def test_validate_record(tmp_path: Path) -> None:
    rows = simple_rows(3)
    rows[1][3] = "yesterday"
    write_csv(tmp_path / "in.csv", rows)
    config = write_config(tmp_path / "c.toml", "http://127.0.0.1:9")
    result = invoke("validate", str(tmp_path / "in.csv"), "-c", str(config), "--json", secret=None)
    assert result.exit_code == 1
    record: dict[str, Any] = valid_record(result.stdout)
    assert record["exit"]["meaning"] == "at least one row is invalid"
    assert record["requests"] == {"sent": None, "retries": None}
    assert record["rows"]["invalid"] == 1
    assert record["rows"]["skipped"] == 2
    assert "journal" not in {f["kind"] for f in record["files"]}


def test_export_leaves_its_own_record_beside_the_change_file(tmp_path: Path) -> None:
    from tests.team import team

    out = tmp_path / "tonight.csv"
    with serving(team()) as sim:
        config = write_config(tmp_path / "c.toml", sim.base_url)
        exported = invoke(
            "export", "-c", str(config), "--out", str(out), "--json",
            "--metrics-file", str(tmp_path / "export.prom"),
        )  # fmt: skip
        ran = invoke("run", str(out), "-c", str(config), "-q")
        refused = invoke(
            "export", "-c", str(config), "--out", str(out), "--json", secret="wrong-sk-9"
        )
    assert exported.exit_code == 0, exported.output
    assert "exported 6 reservations" not in exported.stderr  # --json: the record instead
    record = valid_record(exported.stdout)
    assert record["command"] == "export"
    assert record["input"] is None
    assert record["rows"] is None
    assert record["export"] == {
        "out": str(out),
        "rows": 6,
        "total_count": 6,
        "complete": True,
        "not_reschedulable": 2,
        "unusable": 0,
        "marks": record["export"]["marks"],
    }
    assert sum(record["export"]["marks"].values()) >= 2
    assert record["requests"]["sent"] == 1
    assert record["exit"]["meaning"] == "every reservation listed was written to the output file"
    assert [f["kind"] for f in record["files"]] == ["export", "metrics", "run_record"]
    assert record["files"][-1]["path"] == str(tmp_path / "tonight.export.run.json")
    assert 'command="export"' in (tmp_path / "export.prom").read_text(encoding="utf-8")
    assert ran.exit_code == 0, ran.output
    assert valid_record(tmp_path / "tonight.run.json")["command"] == "run"  # its own record
    assert refused.exit_code == 3
    aborted = valid_record(refused.stdout)
    assert aborted["aborted"]["kind"] == "CredentialsRejected"
    assert aborted["exit"]["name"] == "aborted"
    assert "wrong-sk-9" not in refused.stdout
