"""The metrics file, read back with Prometheus' own parser of the text exposition format."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from rescheduler.write.atomic import write_atomic
from rescheduler.write.metrics import escape_label, render
from rescheduler.write.runrecord import InputFacts, RunFacts, build

START = datetime(2026, 12, 1, 2, 30, tzinfo=UTC)


def record(**changes: Any) -> dict[str, Any]:
    facts = RunFacts(
        command="run",
        dry_run=False,
        started=START,
        ended=START + timedelta(seconds=83.5),
        exit_code=1,
        input=InputFacts(path=Path("/data/inbox/changes.csv"), size=10, sha256="0" * 64),
        counts={"succeeded": 12, "failed": 3, "invalid": 4, "skipped": 1, "not_sent": 0},
        failure_codes={"04000004": 2, "HTTP 503": 1},
        requests=17,
        retries=2,
        version="9.9.9",
        notification={"format": "wecom", "url": "https://q/***", "on": "failure",
                      "status": "failed", "attempts": 3, "http_status": 503, "error": "x"},
    )  # fmt: skip
    built = build(facts)
    built.update(changes)
    return built


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        assert family.type == "gauge"
        assert family.documentation
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def test_metrics_parse_and_say_what_happened() -> None:
    text = render(record())
    assert text.endswith("\n")
    got = samples(text)
    assert got[("rescheduler_last_run_timestamp_seconds", ())] == (
        START + timedelta(seconds=83.5)
    ).timestamp()
    assert got[("rescheduler_last_run_start_timestamp_seconds", ())] == START.timestamp()
    assert got[("rescheduler_last_run_duration_seconds", ())] == 83.5
    assert got[("rescheduler_last_run_exit_code", ())] == 1
    assert got[("rescheduler_last_run_success", ())] == 0
    assert got[("rescheduler_last_run_rows", (("status", "failed"),))] == 3
    assert got[("rescheduler_last_run_rows", (("status", "not_sent"),))] == 0
    assert got[("rescheduler_last_run_failed_rows_by_code", (("code", "HTTP 503"),))] == 1
    assert got[("rescheduler_last_run_requests", ())] == 17
    assert got[("rescheduler_last_run_retries", ())] == 2
    assert got[("rescheduler_last_run_notification_delivered", ())] == 0
    info = {k: v for k, v in got.items() if k[0] == "rescheduler_last_run_info"}
    assert info == {
        (
            "rescheduler_last_run_info",
            (
                ("command", "run"),
                ("exit", "rows_failed"),
                ("input", "/data/inbox/changes.csv"),
                ("version", "9.9.9"),
            ),
        ): 1
    }


def test_label_values_are_escaped() -> None:
    nasty = 'C:\\in "box"\nchanges.csv'
    assert escape_label(nasty) == 'C:\\\\in \\"box\\"\\nchanges.csv'
    text = render(record(input={"path": nasty}))
    (info,) = [
        s
        for f in text_string_to_metric_families(text)
        for s in f.samples
        if s.name == "rescheduler_last_run_info"
    ]
    assert info.labels["input"] == nasty


def test_a_run_that_never_counted_rows_has_no_row_series() -> None:
    text = render(record(rows=None, requests={"sent": None, "retries": None}, notification=None))
    names = {name for name, _labels in samples(text)}
    assert "rescheduler_last_run_rows" not in names
    assert "rescheduler_last_run_requests" not in names
    assert "rescheduler_last_run_notification_delivered" not in names
    assert "rescheduler_last_run_exit_code" in names


def test_atomic_replace_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "rescheduler.prom"
    target.write_text("old\n", encoding="utf-8")
    write_atomic(target, render(record()))
    assert os.listdir(tmp_path) == ["rescheduler.prom"]
    assert samples(target.read_text(encoding="utf-8"))
