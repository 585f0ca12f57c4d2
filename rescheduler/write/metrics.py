"""The run as Prometheus metrics, for node_exporter's textfile collector (pure; no I/O).

``--metrics-file /var/lib/prometheus/node-exporter/rescheduler.prom`` replaces that file
atomically after every run, so a monitoring system can alert on a nightly job that failed
(``rescheduler_last_run_success == 0``) or did not run at all
(``time() - rescheduler_last_run_timestamp_seconds > 26 * 3600``).

Built from the run record, so the two never disagree. Only bounded label values are used
(statuses, server codes); the input's name goes on the one ``_info`` series. Label values are
escaped as the exposition format requires (backslash, double quote, line feed).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from rescheduler.write.runrecord import STATUSES

PREFIX = "rescheduler_last_run_"


def escape_label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _labels(labels: Mapping[str, str]) -> str:
    if not labels:
        return ""
    inner = ",".join(f'{key}="{escape_label(value)}"' for key, value in labels.items())
    return "{" + inner + "}"


def _number(value: float) -> str:
    return repr(float(value)) if isinstance(value, float) else str(int(value))


def _family(
    name: str, help_text: str, samples: Iterable[tuple[Mapping[str, str], float]]
) -> list[str]:
    rows = [f"{PREFIX}{name}{_labels(labels)} {_number(value)}" for labels, value in samples]
    if not rows:
        return []
    full = PREFIX + name
    return [f"# HELP {full} {_escape_help(help_text)}", f"# TYPE {full} gauge", *rows]


def _epoch(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def render(record: Mapping[str, Any]) -> str:
    """The metrics text for one run record (ends with a newline, as the format requires)."""
    exit_info = record["exit"]
    source = record.get("input") or {}
    lines: list[str] = []
    lines += _family(
        "info",
        "The last run: version, command, input file and exit name (value always 1).",
        [
            (
                {
                    "version": record["tool"]["version"],
                    "command": record["command"],
                    "input": str(source.get("path", "")),
                    "exit": exit_info["name"],
                },
                1,
            )
        ],
    )
    lines += _family(
        "timestamp_seconds",
        "When the last run ended, in seconds since the epoch.",
        [({}, _epoch(record["ended"]))],
    )
    lines += _family(
        "start_timestamp_seconds",
        "When the last run started, in seconds since the epoch.",
        [({}, _epoch(record["started"]))],
    )
    lines += _family(
        "duration_seconds", "How long the last run took.", [({}, float(record["duration_s"]))]
    )
    lines += _family(
        "exit_code",
        "The last run's exit code (0 ok, 1 rows failed, 2 not started, 3 aborted, 4 no input).",
        [({}, exit_info["code"])],
    )
    lines += _family(
        "success", "1 if the last run exited 0, else 0.", [({}, 1 if exit_info["ok"] else 0)]
    )
    rows = record.get("rows")
    if rows is not None:
        lines += _family(
            "rows",
            "Rows of the last run by final status.",
            [({"status": status}, rows[status]) for status in STATUSES],
        )
    lines += _family(
        "failed_rows_by_code",
        "Failed rows of the last run by server result code (or transport error kind).",
        [({"code": code}, n) for code, n in record["failures"]["by_code"].items()],
    )
    requests = record["requests"]
    if requests["sent"] is not None:
        lines += _family("requests", "Requests the last run sent.", [({}, requests["sent"])])
        lines += _family(
            "retries", "Requests the last run sent again.", [({}, requests["retries"] or 0)]
        )
    notification = record.get("notification")
    if notification is not None and notification["status"] in ("delivered", "failed"):
        lines += _family(
            "notification_delivered",
            "1 if the last run's alert was delivered, 0 if delivery failed.",
            [({}, 1 if notification["status"] == "delivered" else 0)],
        )
    return "\n".join(lines) + "\n"
