"""The engine's two passes over a table: duplicates decided on exact requests, cheaply."""

from __future__ import annotations

import csv
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from rescheduler.config import Config, InputConfig
from rescheduler.models import Status
from rescheduler.read.dedupe import DuplicateScan, KeyCounter
from rescheduler.read.reader import open_table
from rescheduler.rows import RowPlanner, pass_one

HEADERS = ["appointId", "userAccount", "appointTime", "remark", "vdnId"]
NOW_MS = 1_800_000_000_000  # 2027-01-15


def decide(
    tmp_path: Path, rows: list[list[str]], on_conflict: str = "reject"
) -> dict[int, tuple[Status, str, str]]:
    path = tmp_path / "in.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        writer.writerows(rows)
    config = Config(input=InputConfig(timezone="UTC", max_days_ahead=3660))
    with open_table(path) as table, DuplicateScan() as scan:
        planner = RowPlanner.for_table(config, table, ZoneInfo("UTC"), NOW_MS)
        total, _ = pass_one(table, planner, scan, on_conflict)
        assert total == len(rows)
        return dict(scan.decided())


def test_no_repeated_key_means_no_decision(tmp_path: Path) -> None:
    rows = [[f"{n:030d}", "a", "2030-01-01 10:00", "", ""] for n in range(1, 50)]
    assert decide(tmp_path, rows) == {}


def test_same_change_written_differently_is_a_duplicate(tmp_path: Path) -> None:
    rows = [
        ["111", "a", "2030-01-01 10:00", "x", ""],
        ["'111 ", "a", "2030-01-01 10:00:00", "x", "1"],  # same key after cleaning, same body
        ["222", "a", "2030-01-01 10:00", "x", "007"],
        ["222", "a", "2030-01-01 10:00", "x", "7"],
    ]
    assert decide(tmp_path, rows) == {
        3: (Status.SKIPPED, "duplicate", "duplicate of line 2"),
        5: (Status.SKIPPED, "duplicate", "duplicate of line 4"),
    }


def test_conflicts_and_invalid_rows_among_repeats(tmp_path: Path) -> None:
    rows = [
        ["333", "a", "2030-01-01 10:00", "x", ""],
        ["333", "b", "2030-01-01 10:00", "x", ""],
        ["444", "a", "2030-01-01 10:00", "x", ""],
        ["444", "a", "yesterday", "x", ""],  # invalid, but its appointId still counts
        ["333", "a", "2030-01-01 10:00", "x", "2"],  # another VDN: another reservation
    ]
    decided = decide(tmp_path, rows)
    assert set(decided) == {2, 3, 4}  # line 5 is invalid by itself (pass two says why)
    assert decided[2][0] is Status.INVALID
    assert decided[2][1] == "conflict"
    assert decided[2][2].startswith("conflicts with line 3")
    assert decided[4] == (
        Status.INVALID,
        "conflict",
        "conflicts with line 5, which is invalid (same appointId): fix it or delete one of the "
        "rows; nothing is sent for this appointId until then",
    )
    last = decide(tmp_path, rows, on_conflict="last")
    assert last == {
        2: (Status.SKIPPED, "superseded", "superseded by line 3"),
        4: (
            Status.SKIPPED,
            "superseded",
            "superseded by line 5, which is invalid: nothing is sent for this appointId until "
            "line 5 is fixed",
        ),
    }


def test_a_later_invalid_row_is_never_bypassed(tmp_path: Path) -> None:
    # line 2 (10:00) was sent though line 3, the correction, says 25:00 (the hostile review)
    rows = [["555", "a", "2030-01-01 10:00", "x", ""], ["555", "a", "2030-01-01 25:00", "", ""]]
    assert decide(tmp_path, rows)[2][1] == "conflict"
    assert decide(tmp_path, rows, on_conflict="last")[2][1] == "superseded"
    # a valid last row still wins; an earlier invalid row keeps its own problem
    rows.reverse()
    assert decide(tmp_path, rows, on_conflict="last") == {}
    assert decide(tmp_path, rows)[3][1] == "conflict"
    # an unreadable appointId takes no part: it names no reservation
    other = [["555", "a", "2030-01-01 10:00", "x", ""], ["55x5", "a", "2030-01-01 11:00", "", ""]]
    assert decide(tmp_path, other) == {}


def test_key_counter_answers_from_disk_beyond_its_set_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(KeyCounter, "SET_LIMIT", 0)
    counter = KeyCounter()
    for key in (1, 2, 2, 3, 3, 3):
        counter.add(key)
    assert counter.finish() == 2
    assert [counter.repeated(k) for k in (1, 2, 3, 4)] == [False, True, True, False]
    counter.close()
