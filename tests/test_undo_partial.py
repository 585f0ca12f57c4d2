"""An undo file whose rows put back only some fields says so in the summary and the record
(hostile2 H2-2: "80 rows put back; 0 cannot be" while 14 rows left a remark as the run set it)."""

from __future__ import annotations

import json
from pathlib import Path

from rescheduler.simulator.store import MANUAL, Reservation, Store
from rescheduler.state.undo import undo_row
from tests.e2e import invoke, read_results, serving, write_config, write_csv
from tests.recordcheck import valid_record
from tests.team import at
from tests.test_undo_rows import BEFORE, LAYOUT, UNDO


def test_a_row_that_leaves_a_field_is_partial() -> None:
    body = {"appointId": "901", "userAccount": "zhao.lei", "remark": "new"}
    partly = undo_row(3, "901", 1, body, {**BEFORE, "remark": ""}, LAYOUT, UNDO)
    whole = undo_row(3, "901", 1, body, BEFORE, LAYOUT, UNDO)
    assert partly is not None
    assert whole is not None
    assert (partly.held, partly.partial) == (False, True)
    assert (whole.held, whole.partial) == (False, False)


def test_the_summary_counts_rows_put_back_only_in_part(tmp_path: Path) -> None:
    store = Store(
        [
            Reservation("901", MANUAL, "li.na", "", at("2031-01-01 09:00"), "call back"),
            Reservation("902", MANUAL, "li.na", "", at("2031-01-01 10:00"), ""),  # empty remark
            Reservation("903", MANUAL, "li.na", "", at("2031-01-01 11:00"), " padded "),
        ]
    )
    rows = [[n, "zhao.lei", "", "", "moved"] for n in ("901", "902", "903")]
    write_csv(tmp_path / "in.csv", rows)
    with serving(store) as sim:
        config = write_config(tmp_path / "c.toml", sim.base_url)
        ran = invoke("run", str(tmp_path / "in.csv"), "-c", str(config))
    assert ran.exit_code == 0, ran.output
    assert "(3 rows put back, 2 of them only in part; 0 cannot be; see its note column)" in (
        ran.output
    )
    undo = read_results(tmp_path / "in.undo.csv")
    assert [u["can_reschedule"] for u in undo] == ["yes", "yes", "yes"]
    assert [bool(u["note"]) for u in undo] == [False, True, True]
    record = json.loads((tmp_path / "in.run.json").read_text(encoding="utf-8"))
    valid_record(record)
    assert (record["snapshot"]["undo_rows"], record["snapshot"]["undo_partial"]) == (3, 2)
