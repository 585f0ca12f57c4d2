"""Issue 9, reading half, end to end: what the sheet did not mean is never sent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.e2e import appoint_id, by_line, invoke, read_results, serving, store_of, write_config

HEADER = "appointId,userAccount,appointTime,remark\r\n"


def soon() -> str:
    """A time a week ahead, in Shanghai wall time (the e2e config's zone)."""
    moment = datetime.now(UTC) + timedelta(days=7, hours=8)
    return moment.strftime("%Y-%m-%d 10:00")


def test_times_that_are_misreadings_are_invalid_and_never_sent(tmp_path: Path) -> None:
    values = ["093000", "300115", "100000", "1894675.2", "47498", "2154-08-14 10:00", soon()]
    rows = "".join(f"{appoint_id(n)},agent,{v},r{n}\r\n" for n, v in enumerate(values, 1))
    (tmp_path / "in.csv").write_text(HEADER + rows, encoding="utf-8", newline="")
    with serving(store_of(len(values))) as sim:
        config = write_config(tmp_path / "c.toml", sim.base_url)
        result = invoke("run", str(tmp_path / "in.csv"), "-c", str(config))
        sent = sim.sim.stats.total_requests - sim.sim.stats.list_requests  # updates only
        stored = [sim.store.get(appoint_id(n)) for n in range(1, len(values) + 1)]
    assert result.exit_code == 1, result.output
    assert sent == 1
    report = by_line(read_results(tmp_path / "in.results.csv"))
    assert [report[n]["status"] for n in range(2, 9)] == ["invalid"] * 6 + ["succeeded"]
    assert "looks like a time typed as digits (09:30)" in report[2]["error"]
    assert "would be 2721-09-07" in report[3]["error"]
    assert "with no time of day" in report[6]["error"]
    assert "input.max_days_ahead" in report[7]["error"]
    assert [s.updates if s else None for s in stored] == [0] * 6 + [1]


def test_a_western_file_reaches_the_server_exactly(tmp_path: Path) -> None:
    names = ["Anaïs", "Müller", "Hélène après"]
    rows = "".join(f"{appoint_id(n)},agent,,{r}\r\n" for n, r in enumerate(names, 1))
    (tmp_path / "in.csv").write_bytes((HEADER + rows).encode("cp1252"))
    with serving(store_of(3)) as sim:
        config = write_config(tmp_path / "c.toml", sim.base_url)
        result = invoke("run", str(tmp_path / "in.csv"), "-c", str(config))
        remarks = [sim.store.get(appoint_id(n)).remark for n in (1, 2, 3)]  # type: ignore[union-attr]
    assert result.exit_code == 0, result.output
    assert remarks == names


def test_files_that_cannot_be_read_faithfully_send_nothing(tmp_path: Path) -> None:
    later = soon()
    swallowing = HEADER + (
        f'{appoint_id(1)},agent,{later},"Customer said\r\n'
        f"{appoint_id(2)},agent,{later},ok\r\n"
        f'{appoint_id(3)},agent,{later},call back" later\r\n'
    )
    files = {
        "quote.csv": (swallowing.encode(), "looks like a row of its own"),
        "unclosed.csv": (
            (HEADER + f'{appoint_id(1)},agent,{later},"oops\r\n').encode(),
            "is never closed",
        ),
        "ambiguous.csv": (
            (HEADER + f"{appoint_id(1)},agent,{later},Põõsas\r\n").encode("cp1252"),
            "--encoding cp1252   (Windows-1252): ",
        ),
        "huge.csv": (
            (HEADER + f"{appoint_id(1)},agent,{later},{'x' * 40_000}\r\n").encode(),
            "a cell holds at most 32,767",
        ),
    }
    with serving(store_of(3)) as sim:
        config = write_config(tmp_path / "c.toml", sim.base_url)
        for name, (data, expected) in files.items():
            (tmp_path / name).write_bytes(data)
            result = invoke("run", str(tmp_path / name), "-c", str(config))
            assert result.exit_code == 2, (name, result.output)
            assert expected in result.output, (name, result.output)
            assert "Traceback" not in result.output
        assert sim.sim.stats.total_requests == 0
