"""The snapshot's store on disk: joins in line order, what is missing, what survives --resume."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from rescheduler.errors import OutputError
from rescheduler.state.statedb import CHANGED, EARLIER, UNCERTAIN, StateDB


def body(ident: str, agent: str) -> bytes:
    return orjson.dumps({"appointId": ident, "userAccount": agent})


def item(ident: str, agent: str) -> dict[str, str]:
    return {"appointId": ident, "userAccount": agent}


def test_rows_come_back_in_line_order_with_their_listed_item(tmp_path: Path) -> None:
    db = StateDB(tmp_path / "s.sqlite", resume=False).open()
    assert db.add_scope([(5, "1:b", 1, "b", body("b", "x")), (2, "1:a", 1, "a", body("a", "y")),
                         (9, "2:a", 2, "a", body("a", "z"))]) == 3  # fmt: skip
    assert db.missing(1) == 2
    db.add_items("listed", 1, [("a", item("a", "old")), ("zzz", item("zzz", "q"))])
    assert (db.missing(1), db.missing(2)) == (1, 1)  # "a" on VDN 2 is another reservation
    db.keep_before()
    rows = list(db.plan())
    assert [(r.line, r.key) for r in rows] == [(2, "1:a"), (5, "1:b"), (9, "2:a")]
    assert rows[0].current == item("a", "old")
    assert rows[0].before == item("a", "old")
    assert rows[0].body == {"appointId": "a", "userAccount": "y"}
    assert (rows[1].current, rows[1].before) == (None, None)
    assert [(v, ident) for v, ident, _item in db.before_items()] == [(1, "a")]
    db.close()


def test_outcomes_checked_items_and_the_flagged_missing_count(tmp_path: Path) -> None:
    db = StateDB(tmp_path / "s.sqlite", resume=False).open()
    db.add_scope([(n, f"1:{n}", 1, str(n), body(str(n), "new")) for n in range(2, 6)])
    db.add_outcomes([(2, CHANGED), (3, UNCERTAIN), (4, CHANGED)])
    assert [(row.line, flag) for row, flag in db.changed()] == [
        (2, CHANGED), (3, UNCERTAIN), (4, CHANGED)
    ]  # fmt: skip
    db.add_items("checked", 1, [("2", item("2", "new"))])
    assert db.missing(1, "checked", flag=CHANGED) == 1  # line 4
    assert [(r.line, r.current) for r in db.checked_rows()] == [
        (2, item("2", "new")), (4, None)
    ]  # fmt: skip
    db.close()


def test_a_resumed_run_keeps_the_values_from_before_the_first_run(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    db = StateDB(path, resume=False).open()
    db.add_scope([(2, "1:a", 1, "a", body("a", "new")), (3, "1:b", 1, "b", body("b", "new"))])
    db.add_items("listed", 1, [("a", item("a", "first")), ("b", item("b", "first"))])
    db.keep_before()
    db.add_outcomes([(2, CHANGED)])  # b was never sent
    db.finish()
    again = StateDB(path, resume=True).open()
    assert again.run == 2
    assert list(again.plan()) == []  # this run's tables start empty
    again.add_scope([(2, "1:a", 1, "a", body("a", "new")), (3, "1:b", 1, "b", body("b", "new"))])
    again.add_items("listed", 1, [("a", item("a", "new")), ("b", item("b", "meanwhile"))])
    again.keep_before()
    rows = {r.key: r for r in again.plan()}
    assert (rows["1:a"].before, rows["1:a"].before_run) == (item("a", "first"), 1)  # kept
    assert (rows["1:a"].current, rows["1:b"].before) == (item("a", "new"), item("b", "meanwhile"))
    again.add_outcomes([(2, EARLIER), (3, CHANGED)])
    assert [flag for _row, flag in again.changed()] == [EARLIER, CHANGED]
    again.finish()
    fresh = StateDB(path, resume=False).open()  # without --resume: afresh
    assert fresh.run == 1
    fresh.close()


def test_a_store_that_cannot_be_written_is_an_output_error(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="cannot use the snapshot file"):
        StateDB(tmp_path / "missing" / "s.sqlite", resume=False).open()
