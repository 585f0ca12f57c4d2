"""dedupe.py: the pure per-key decision, the SQLite-backed scan, and its speed."""

from __future__ import annotations

import sqlite3
import time

import pytest

from rescheduler.models import Status, UpdateRequest
from rescheduler.read.dedupe import DuplicateScan, decide_group, dedupe_key, payload_hash

S, INV = Status.SKIPPED, Status.INVALID
TAIL = ": same appointId, different changes (keep one row, or run with --on-conflict last)"


def test_single_row_is_sent() -> None:
    assert decide_group([(5, "h")], "reject") == []
    assert decide_group([], "last") == []


@pytest.mark.parametrize("mode", ["reject", "last"])
def test_same_changes_first_is_sent(mode: str) -> None:
    assert decide_group([(9, "h"), (3, "h"), (4, "h")], mode) == [
        (4, (S, "duplicate", "duplicate of line 3")),
        (9, (S, "duplicate", "duplicate of line 3")),
    ]


def test_conflict_reject_makes_every_row_invalid() -> None:
    assert decide_group([(2, "a"), (5, "b"), (8, "a")], "reject") == [
        (2, (INV, "conflict", "conflicts with lines 5, 8" + TAIL)),
        (5, (INV, "conflict", "conflicts with lines 2, 8" + TAIL)),
        (8, (INV, "conflict", "conflicts with lines 2, 5" + TAIL)),
    ]
    assert decide_group([(2, "a"), (5, "b")], "reject")[0] == (
        2,
        (INV, "conflict", "conflicts with line 5" + TAIL),
    )


def test_conflict_listing_is_capped() -> None:
    decided = dict(decide_group([(n, str(n)) for n in range(2, 20)], "reject"))
    assert decided[2][2] == (
        "conflicts with lines 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 and 7 more" + TAIL
    )


def test_conflict_last_wins() -> None:
    assert decide_group([(2, "a"), (8, "a"), (5, "b")], "last") == [
        (2, (S, "superseded", "superseded by line 8")),
        (5, (S, "superseded", "superseded by line 8")),
    ]


def test_unknown_mode() -> None:
    with pytest.raises(ValueError, match="on_conflict must be one of reject, last"):
        decide_group([(1, "a")], "first")
    with DuplicateScan() as scan, pytest.raises(ValueError, match="on_conflict"):
        scan.decisions("first")


def test_scan_groups_by_key() -> None:
    with DuplicateScan() as scan:
        scan.add_many(
            [
                (2, "1:100", "a"),
                (3, "1:200", "a"),
                (4, "1:100", "a"),  # duplicate
                (5, "2:100", "b"),  # another VDN: another reservation
                (6, "1:300", "a"),
                (7, "1:300", "b"),  # conflict
            ]
        )
        assert len(scan) == 6
        assert scan.decisions("reject") == {
            4: (S, "duplicate", "duplicate of line 2"),
            6: (INV, "conflict", "conflicts with line 7" + TAIL),
            7: (INV, "conflict", "conflicts with line 6" + TAIL),
        }
        assert scan.decisions("last") == {
            4: (S, "duplicate", "duplicate of line 2"),
            6: (S, "superseded", "superseded by line 7"),
        }
        with pytest.raises(RuntimeError):
            scan.add(8, "1:1", "a")


def test_close_is_idempotent_and_final() -> None:
    scan = DuplicateScan()
    scan.close()
    scan.close()  # a second close is harmless
    with pytest.raises(sqlite3.ProgrammingError):
        scan.decide("reject")  # the temporary database is gone


def test_key_and_hash_from_requests() -> None:
    a = UpdateRequest(2, "100", vdn_id=3, work_no="125", remark="改")
    b = UpdateRequest(9, "100", vdn_id=3, work_no="125", remark="改")
    c = UpdateRequest(9, "100", vdn_id=3, work_no="125", remark="改 ")
    assert dedupe_key(a) == "3:100"
    assert payload_hash(a) == payload_hash(b) != payload_hash(c)


def test_200k_rows_fast() -> None:
    start = time.perf_counter()
    with DuplicateScan() as scan:
        for n in range(200_000):
            scan.add(
                n + 2,
                f"1:{17472992609801685944536 + n % 190_000:030d}",
                "h" if n < 195_000 else "x",
            )
        decided = scan.decisions("reject")
    elapsed = time.perf_counter() - start
    assert len(decided) == 5_000 + 10_000  # 5,000 duplicates + 5,000 conflicts (both rows)
    assert sum(1 for status, _code, _why in decided.values() if status is INV) == 10_000
    assert elapsed < 5, elapsed


def test_decided_streams_the_decisions_in_line_order() -> None:
    with DuplicateScan() as scan:
        rows = [(9, "1:a", "x"), (2, "1:a", "x"), (5, "1:b", "p"), (3, "1:b", "q")]
        for line, key, digest in rows:
            scan.add(line, key, digest)
        scan.add(4, "1:c", "z")
        for policy in ("reject", "last"):
            assert scan.decide(policy) == len(scan.decisions(policy))
            assert list(scan.decided()) == sorted(scan.decisions(policy).items())


def test_a_full_disk_under_the_duplicate_check_is_said_in_one_line() -> None:
    """Its SQLite store spills to a temporary file for large inputs; a full disk there was an
    'internal error ... this is a bug' (found with RLIMIT_FSIZE on a 100,000-row workbook)."""
    import sqlite3

    from rescheduler.errors import OutputError
    from rescheduler.read.dedupe import _no_room

    @_no_room
    def full() -> None:
        raise sqlite3.OperationalError("database or disk is full")

    @_no_room
    def other() -> None:
        raise sqlite3.OperationalError("no such table: k")

    with pytest.raises(OutputError, match=r"no room for the duplicate check's temporary store"):
        full()
    with pytest.raises(sqlite3.OperationalError):  # a bug stays a bug
        other()
