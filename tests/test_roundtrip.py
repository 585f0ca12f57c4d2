"""Round trips a supervisor relies on: the errors file fed back; any valid row lands exactly."""

from __future__ import annotations

import csv
import shutil
import string
import time
from pathlib import Path
from typing import Any

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rescheduler.config import AuthConfig, Config, InputConfig, Secret, SendConfig, ServerConfig
from rescheduler.engine import run
from rescheduler.job import Job
from rescheduler.simulator.server import running_simulator
from rescheduler.simulator.store import Store
from tests.e2e import AK, SK, by_line, invoke, read_results, serving, sim, write_config

ROOT = Path(__file__).resolve().parent.parent


def test_errors_file_fixed_and_fed_back_in(tmp_path: Path) -> None:
    shutil.copy(ROOT / "samples" / "changes.csv", tmp_path / "changes.csv")
    store = Store.from_file(ROOT / "samples" / "reservations.json")
    with serving(store) as simulator:
        config = write_config(tmp_path / "c.toml", simulator.base_url)
        first = invoke("run", str(tmp_path / "changes.csv"), "-c", str(config))
        assert first.exit_code == 1
        errors_path = tmp_path / "changes.errors.csv"
        with errors_path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
        fixed = {"17": ("appointTime", "2031-05-06 07:08"), "18": ("userAccount", "agent.li")}
        for row in rows:
            if row["line"] in fixed:
                column, value = fixed[row["line"]]
                row[column] = value
        with errors_path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        second = invoke(
            "run", str(errors_path), "-c", str(config), "--out", str(tmp_path / "second.csv")
        )
    assert second.exit_code == 1
    report = read_results(tmp_path / "second.csv")
    by_original = {r["line"]: r for r in report}  # the input's own 'line' column, kept as is
    assert by_original["17"]["status"] == "succeeded"
    assert by_original["18"]["status"] == "succeeded"
    assert by_original["14"]["resultCode"] == "04000004"
    assert by_original["19"]["status"] == "invalid"  # the mangled ID still needs retyping
    assert "line (rescheduler)" in report[0]


def test_an_xlsx_input_gets_xlsx_results_and_its_errors_file_feeds_back_in(
    tmp_path: Path,
) -> None:
    """Issue 11, item 5: an .xlsx input got CSV results and errors by default; Excel shows the
    errors CSV's IDs as 1.74729E+29 and saving destroys them. Now outputs follow the input:
    .xlsx results and errors, the IDs text cells, and the errors workbook is an input."""
    from openpyxl import Workbook, load_workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    with (ROOT / "samples" / "changes.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.reader(handle):
            sheet.append(row)  # every cell a text cell, as a supervisor's Text column
    book.save(tmp_path / "changes.xlsx")
    store = Store.from_file(ROOT / "samples" / "reservations.json")
    with serving(store) as simulator:
        config = write_config(tmp_path / "c.toml", simulator.base_url)
        first = invoke("run", str(tmp_path / "changes.xlsx"), "-c", str(config))
        assert first.exit_code == 1
        assert not (tmp_path / "changes.results.csv").exists()
        results = load_workbook(tmp_path / "changes.results.xlsx", read_only=True)
        cells = list(results.worksheets[0].iter_rows(values_only=True))
        assert cells[1][0] == "174729926098016859445364890001"
        errors_path = tmp_path / "changes.errors.xlsx"
        errors = load_workbook(errors_path)
        rows = errors.worksheets[0]
        header = [c.value for c in rows[1]]
        line, time_column = header.index("line"), header.index("appointTime")
        for fixing in rows.iter_rows(min_row=2):
            cell: Any = fixing
            assert cell[0].data_type == "s"  # the ID is a text cell...
            assert cell[0].number_format == "@"  # ...in a Text column
            if cell[line].value == 17:
                cell[time_column].value = "2031-05-06 07:08"  # the supervisor fixes a time
        errors.save(errors_path)
        second = invoke("run", str(errors_path), "-c", str(config))
    assert second.exit_code == 1
    again = load_workbook(tmp_path / "changes.errors.results.xlsx", read_only=True)
    cells = list(again.worksheets[0].iter_rows(values_only=True))
    head = cells[0]
    by_original = {str(r[head.index("line")]): r for r in cells[1:]}  # the input's own column
    fixed = by_original["17"]
    assert fixed[head.index("status")] == "succeeded"
    assert fixed[head.index("appointId")] == "174729926098016859445364890015"  # all 30 digits
    assert by_original["14"][head.index("resultCode")] == "04000004"


_TEXT = (
    st.text(
        alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp", "Co", "Cn", "Cf")),
        min_size=1,
        max_size=40,
    )
    .map(str.strip)
    .filter(lambda s: s != "" and not s.startswith("'") and " " not in s[:1])
)
_ACCOUNT = st.text(alphabet=string.ascii_letters + string.digits + "._", min_size=1, max_size=20)
_NOW_MS = int(time.time() * 1000)
_FUTURE_MS = st.integers(min_value=_NOW_MS + 3_600_000, max_value=_NOW_MS + 365 * 86_400_000)


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(st.tuples(_ACCOUNT, _FUTURE_MS, _TEXT), min_size=1, max_size=6))
def test_any_valid_row_reaches_the_store_exactly(
    tmp_path_factory: object, rows: list[tuple[str, int, str]]
) -> None:
    folder = Path(str(tmp_path_factory.mktemp("prop")))  # type: ignore[attr-defined]
    ids = [f"5{n:029d}" for n in range(1, len(rows) + 1)]
    path = folder / "in.csv"
    # CSV UTF-8 as Excel saves it (with a BOM): a lone '¡' without one is refused as unclear
    # (it is GBK 隆 too); detecting encodings is test_encoding.py's subject, not this one's
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["appointId", "userAccount", "appointTime", "remark"])
        for ident, (account, when, remark) in zip(ids, rows, strict=True):
            writer.writerow([ident, account, str(when), remark])
    store = Store.generate(0, 0)
    from rescheduler.simulator.store import Reservation

    for ident in ids:
        store.add(Reservation(appoint_id=ident, call_type=1))

    async def main() -> None:
        async with running_simulator(sim(max_remark_len=1000), store) as server:
            config = Config(
                server=ServerConfig(base_url=server.base_url),
                auth=AuthConfig(access_key=AK, secret_key=Secret(SK)),
                send=SendConfig(concurrency=3),
                input=InputConfig(timezone="UTC"),
            )
            result = await run(Job(input_path=path, config=config))
            assert result.summary.exit_code() == 0

    anyio.run(main)
    for ident, (account, when, remark) in zip(ids, rows, strict=True):
        stored = store.get(ident)
        assert stored is not None
        assert (stored.user_account, stored.appoint_time_ms, stored.remark) == (
            account,
            when,
            remark,
        )
    report = by_line(read_results(folder / "in.results.csv"))
    assert [r["status"] for r in report.values()] == ["succeeded"] * len(rows)


_ANY_CELL = st.text(
    # NUL is refused on purpose by the reader (it means UTF-16 read as UTF-8).
    alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"),
    max_size=30,
)


@settings(max_examples=40, deadline=None)
@given(cells=st.lists(st.tuples(_ANY_CELL, _ANY_CELL), min_size=1, max_size=8))
def test_any_cell_text_survives_read_to_report(
    tmp_path_factory: pytest.TempPathFactory, cells: list[tuple[str, str]]
) -> None:
    """Extra columns and free text go from the input file to the results file unchanged."""
    from rescheduler.write.safecell import restore

    folder = tmp_path_factory.mktemp("cells")
    path = folder / "in.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as handle:  # a BOM, as above
        writer = csv.writer(handle)
        writer.writerow(["appointId", "userAccount", "note", "customer"])
        for n, (note, customer) in enumerate(cells, 1):
            writer.writerow([f"{n:030d}", "agent", note, customer])
    config = Config(input=InputConfig(timezone="UTC"))
    anyio.run(lambda: run(Job(input_path=path, config=config, dry_run=True)))
    report = read_results(folder / "in.validation.csv")
    assert len(report) == len(cells)
    got = [(restore(r["note"]), restore(r["customer"])) for r in report]
    assert got == cells
