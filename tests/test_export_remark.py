"""An export with rules sends only what the rules change: its remark column is left empty, the
listed remark beside it in ``listed_remark`` (hostile2 H2-9: the column carried each
reservation's current remark, so ``run`` sent it again; the server refused its own stored
remark for 367 of 2,000 rows, and a remark changed between export and run was overwritten)."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils.escape import unescape

from rescheduler.simulator.store import MANUAL, Reservation, Store
from tests.e2e import invoke, read_results, serving, write_config, write_csv
from tests.team import at, config_for, state, team

LONG = "r" * 250  # the simulator refuses remarks over 200 characters (02000003)
BELL = "ring\x07twice"  # a control character: refused (02000002)


def table(path: Path) -> list[dict[str, str]]:
    """A results file's rows, CSV or XLSX."""
    if path.suffix == ".csv":
        return read_results(path)
    book = openpyxl.load_workbook(path, read_only=True)
    header, *rows = book.worksheets[0].iter_rows(values_only=True)
    found = [  # openpyxl's read-only cells keep Excel's _x0007_ escapes
        {str(h): "" if v is None else unescape(str(v)) for h, v in zip(header, r, strict=True)}
        for r in rows
    ]
    book.close()
    return found


def refused_remarks() -> Store:
    """Remarks the server holds but would refuse if they were sent back."""
    return Store(
        [
            Reservation("901", MANUAL, "li.na", "", at("2031-01-01 09:00"), LONG),
            Reservation("902", MANUAL, "li.na", "", at("2031-01-01 10:00"), BELL),
            Reservation("903", MANUAL, "li.na", "", at("2031-01-01 11:00"), "fine"),
        ]
    )


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_a_stored_remark_the_server_refuses_does_not_fail_the_reassignment(
    tmp_path: Path, suffix: str
) -> None:
    store = refused_remarks()
    out = tmp_path / f"tonight.{suffix}"
    with serving(store) as sim:
        config = str(write_config(tmp_path / "site.toml", sim.base_url))
        exported = invoke("export", "-c", config, "--set", "userAccount=zhao.lei",
                          "--shift", "+1d", "--out", str(out))  # fmt: skip
        ran = invoke("run", str(out), "-c", config)
    assert exported.exit_code == 0, exported.output
    results = table(out.with_name(f"tonight.results.{suffix}"))
    # 0.1: 901 and 902 failed (02000003, 02000002), their remarks sent back and refused
    assert [(r["appointId"], r["status"]) for r in results] == [
        ("901", "succeeded"), ("902", "succeeded"), ("903", "succeeded"),
    ]  # fmt: skip
    assert ran.exit_code == 0, ran.output
    assert "remark column left empty: run leaves each remark as it is" in exported.output
    assert [(r["remark"], r["listed_remark"]) for r in results] == [
        ("", LONG), ("", BELL), ("", "fine"),
    ]  # fmt: skip
    after = {r.appoint_id: (r.user_account, r.appoint_time_ms, r.remark) for r in store}
    assert after == {
        "901": ("zhao.lei", at("2031-01-02 09:00"), LONG),
        "902": ("zhao.lei", at("2031-01-02 10:00"), BELL),
        "903": ("zhao.lei", at("2031-01-02 11:00"), "fine"),
    }


def test_a_remark_changed_between_export_and_run_survives_the_run(tmp_path: Path) -> None:
    store = team()
    out = tmp_path / "tonight.csv"
    edit = write_csv(tmp_path / "edit.csv", [["901", "li.na", "", "", "moved to Friday"]])
    with serving(store) as sim:
        config = config_for(tmp_path, sim)
        exported = invoke(
            "export", "-c", config, "--agent", "li.na", "--from", "2031-01-01 00:00",
            "--to", "2031-01-01 23:59:59", "--set", "userAccount=zhao.lei", "--out", str(out),
            "-q",
        )  # fmt: skip
        # Someone changes 901's remark on the server after the export, before the run.
        edited = invoke("run", str(edit), "-c", config, "-q")
        # A reviewer types a new remark into 902's empty cell: that one is sent.
        rows = list(csv.reader(out.read_text(encoding="utf-8-sig").splitlines()))
        header = rows[0]
        remarks = [r[header.index("remark")] for r in rows[1:]]
        rows[2][header.index("remark")] = "typed by hand"
        with out.open("w", encoding="utf-8-sig", newline="") as f:
            csv.writer(f).writerows(rows)
        ran = invoke("run", str(out), "-c", config)
        changed = state(store)
        undone = invoke("run", str(tmp_path / "tonight.undo.csv"), "-c", config, "-q")
    assert exported.exit_code == 0, exported.output
    assert edited.exit_code == 0, edited.output
    assert ran.exit_code == 0, ran.output
    # 0.1 sent the exported remark "call back" again, over the one changed on the server
    assert changed["901"] == ("zhao.lei", "2031-01-01 09:00:00", "moved to Friday")
    assert changed["902"] == ("zhao.lei", "2031-01-01 14:30:00", "typed by hand")
    assert remarks == ["", "", ""]  # as exported: 901's "call back" is in listed_remark
    listed = [r["listed_remark"] for r in read_results(out.with_name("tonight.results.csv"))]
    assert listed == ["call back", "", ""]
    # The undo file puts back what the run changed: 901's agent only (its remark was not sent),
    # 902's agent and remark (it was empty: left as typed, and the note says so).
    undo = read_results(tmp_path / "tonight.undo.csv")
    assert [(r["appointId"], r["userAccount"], r["remark"]) for r in undo] == [
        ("901", "li.na", ""), ("902", "li.na", ""),
    ]  # fmt: skip
    assert "remark not put back: it was empty" in undo[1]["note"]
    assert undone.exit_code == 0, undone.output
    after = state(store)
    assert after["901"] == ("li.na", "2031-01-01 09:00:00", "moved to Friday")
    assert after["902"] == ("li.na", "2031-01-01 14:30:00", "typed by hand")


def test_set_remark_still_sends_the_new_text_and_shows_the_old(tmp_path: Path) -> None:
    store = team()
    out = tmp_path / "tonight.csv"
    with serving(store) as sim:
        config = config_for(tmp_path, sim)
        exported = invoke("export", "-c", config, "--agent", "li.na", "--set", "remark=see CRM",
                          "--out", str(out))  # fmt: skip
        ran = invoke("run", str(out), "-c", config, "-q")
    assert exported.exit_code == 0, exported.output
    assert "remark column left empty" not in exported.output
    assert ran.exit_code == 0, ran.output
    rows = {r["appointId"]: r for r in read_results(out.with_name("tonight.results.csv"))}
    assert (rows["901"]["remark"], rows["901"]["listed_remark"]) == ("see CRM", "call back")
    assert (rows["903"]["remark"], rows["903"]["can_reschedule"]) == ("", "no")  # automatic
    after = state(store)
    assert [after[i][2] for i in ("901", "902", "903", "904")] == [
        "see CRM", "see CRM", "", "see CRM",
    ]  # fmt: skip
