"""The sheet loads in a thread while its XML is looked at: nothing of it outlives the table.

Each test ends with no loading thread alive: a refused file waits for its load before the
error reaches the caller, and what went wrong inside the thread is raised in the caller's.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from pathlib import Path

import pytest

from rescheduler.errors import InputFileError
from rescheduler.read import xlsx, xlsxload
from rescheduler.read.reader import open_table
from tests.xlsxfiles import raw_xlsx, workbook

ID = "174729926098016859445364892091"


def loading_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == xlsxload.THREAD_NAME]


def row(n: int, ident: str) -> str:
    return (
        f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>{ident}</t></is></c>'
        f'<c r="B{n}" t="inlineStr"><is><t>agent</t></is></c></row>'
    )


def test_a_loaded_sheet_reads_through_the_thread_and_leaves_none_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load, ran_in = xlsxload.SheetLoad._load, []

    def watched(self: xlsxload.SheetLoad, path: str, name: str) -> None:
        ran_in.append(threading.current_thread().name)
        load(self, path, name)

    monkeypatch.setattr(xlsxload.SheetLoad, "_load", watched)
    path = workbook(tmp_path / "a.xlsx", {"s": [["appointId", "workNo"], [ID, "7"]]})
    with open_table(path) as table:
        assert table._loaded is not None  # type: ignore[attr-defined]  # calamine's rows
        assert [r.values for r in table.rows()] == [(ID, "7")]
    assert ran_in == [xlsxload.THREAD_NAME]
    assert loading_threads() == []


def test_a_file_the_look_refuses_waits_for_its_load(tmp_path: Path) -> None:
    rows = row(1, "appointId") + row(3, ID) + row(2, ID[:-1] + "1")  # out of order
    path = raw_xlsx(tmp_path / "o.xlsx", rows)
    with pytest.raises(InputFileError, match="row 2 comes after row 3"):
        open_table(path)
    assert loading_threads() == []


def test_cells_without_references_are_streamed_and_the_load_is_closed(tmp_path: Path) -> None:
    rows = row(1, "appointId") + '<row r="2"><c t="inlineStr"><is><t>' + ID + "</t></is></c></row>"
    path = raw_xlsx(tmp_path / "n.xlsx", rows)
    with open_table(path) as table:
        assert table._loaded is None  # type: ignore[attr-defined]  # streamed
        assert [r.values for r in table.rows()] == [(ID, "")]
    assert loading_threads() == []


def test_a_sheet_whose_first_cell_has_no_reference_is_not_loaded_at_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # it would be streamed anyway: loading it cost calamine's CPU and 40 MB for nothing
    started: list[object] = []
    monkeypatch.setattr(xlsxload.SheetLoad, "__init__", lambda *a, **k: started.append(a))
    rows = '<row r="1"><c t="inlineStr"><is><t>appointId</t></is></c></row>'
    rows += '<row r="2"><c t="inlineStr"><is><t>' + ID + "</t></is></c></row>"
    path = raw_xlsx(tmp_path / "n.xlsx", rows)
    with open_table(path) as table:
        assert [r.values for r in table.rows()] == [(ID,)]
    assert started == []


CAPPED = """
import resource, sys, threading
from pathlib import Path
resource.setrlimit(resource.RLIMIT_AS, (8 << 30, resource.getrlimit(resource.RLIMIT_AS)[1]))
from rescheduler.read import xlsxload
from rescheduler.read.reader import open_table
threads = []
load = xlsxload.SheetLoad._load
def watched(self, path, name):
    threads.append(threading.current_thread().name)
    load(self, path, name)
xlsxload.SheetLoad._load = watched
with open_table(Path(sys.argv[1])) as table:
    print(table._loaded is not None, [r.values for r in table.rows()], threads)
"""


def test_under_an_address_space_cap_the_sheet_loads_in_the_callers_thread(tmp_path: Path) -> None:
    # the page's check worker caps its address space: a second thread's malloc arena and stack
    # count against the cap, and calamine aborts the process when an allocation fails
    import subprocess
    import sys

    path = workbook(tmp_path / "c.xlsx", {"s": [["appointId", "workNo"], [ID, "7"]]})
    script = tmp_path / "capped.py"
    script.write_text(CAPPED, encoding="utf-8")
    out = subprocess.run(
        [sys.executable, str(script), str(path)], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == f"True [('{ID}', '7')] ['MainThread']"


def test_an_error_inside_the_thread_is_raised_in_the_callers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import python_calamine

    def unreadable(path: str) -> object:
        raise PermissionError(13, "Permission denied", path)

    monkeypatch.setattr(python_calamine.CalamineWorkbook, "from_path", unreadable)
    path = workbook(tmp_path / "p.xlsx", {"s": [["appointId", "workNo"], [ID, "7"]]})
    with pytest.raises(InputFileError, match=r"cannot read the workbook.*Permission denied"):
        open_table(path)
    assert loading_threads() == []


def test_a_sheet_too_large_to_load_starts_no_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(xlsx, "LOAD_MAX_XML_BYTES", -1)
    started: list[object] = []
    monkeypatch.setattr(xlsxload.SheetLoad, "__init__", lambda *a: started.append(a))
    path = workbook(tmp_path / "b.xlsx", {"s": [["appointId", "workNo"], [ID, "7"]]})
    with open_table(path) as table:
        assert [r.values for r in table.rows()] == [(ID, "7")]
    assert started == []


@pytest.mark.parametrize("stop", [KeyboardInterrupt, MemoryError])
def test_an_open_stopped_by_ctrl_c_or_memory_waits_for_its_load_and_closes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stop: type[BaseException]
) -> None:
    """Ctrl-C during the look used to leave the load running (a Ctrl-C'd validate then read
    the file again for its ``not_sent`` report while the first load went on: 107 -> 157 MB
    at a 48 MB sheet) and its workbook open."""
    import python_calamine

    from_path, opened = python_calamine.CalamineWorkbook.from_path, []

    def recorded(path: str) -> object:
        opened.append(from_path(path))
        return opened[-1]

    def stopped(*args: object) -> None:
        raise stop

    monkeypatch.setattr(python_calamine.CalamineWorkbook, "from_path", recorded)
    monkeypatch.setattr(xlsx, "look_at_sheet", stopped)
    path = workbook(tmp_path / "i.xlsx", {"s": [["appointId", "workNo"], [ID, "7"]]})
    with pytest.raises(stop):
        open_table(path)
    assert len(opened) == 1  # the load was waited for...
    with pytest.raises(python_calamine.WorkbookClosed):
        opened[0].get_sheet_by_name("s")  # ...and its workbook closed
    assert loading_threads() == []


def test_a_wait_cut_short_by_ctrl_c_still_waits_for_the_load_the_next_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On Python 3.11 a ``Thread.join`` cut short by Ctrl-C marks the thread as ended while it
    runs (CPython gh-90882): a second join returns at once, and closing the table after it
    closed the workbook under calamine's feet (``RuntimeError: Already borrowed``, an internal
    error instead of "interrupted": seen with a Ctrl-C 1 s into a validate of a 48 MB sheet
    when the table first waited for its load on Ctrl-C through ``join``)."""
    import python_calamine

    main, from_path = threading.main_thread().ident, python_calamine.CalamineWorkbook.from_path
    assert main == threading.get_ident()

    def caller_waits() -> None:  # polls, bounded: nothing here depends on how long it takes
        for _ in range(10_000):
            frame = sys._current_frames().get(main)
            if frame is not None and frame.f_code.co_name in ("wait", "_wait_for_tstate_lock"):
                while frame is not None and frame.f_code is not xlsxload.SheetLoad.result.__code__:
                    frame = frame.f_back
                if frame is not None:  # blocked inside SheetLoad.result
                    return
            time.sleep(0.001)

    def interrupted_then_loaded(path: str) -> object:
        caller_waits()
        signal.pthread_kill(main, signal.SIGUSR1)  # Ctrl-C while the caller waits
        caller_waits()  # ...and waits again
        return from_path(path)

    def ctrl_c(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(python_calamine.CalamineWorkbook, "from_path", interrupted_then_loaded)
    path = workbook(tmp_path / "w.xlsx", {"s": [["appointId", "workNo"], [ID, "7"]]})
    previous = signal.signal(signal.SIGUSR1, ctrl_c)
    try:
        load = xlsxload.SheetLoad(path, "s")
        with pytest.raises(KeyboardInterrupt):
            load.result()
        book, sheet = load.result()
    finally:
        signal.signal(signal.SIGUSR1, previous)
    assert sheet is not None  # the second wait lasted until the load was done
    book.close()
    assert loading_threads() == []


@pytest.mark.parametrize("streamed", [False, True])
def test_the_shared_strings_are_read_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, streamed: bool
) -> None:
    # checked for well-formed XML in the same read that collects them (a streamed sheet's
    # table was read twice); calamine reads its own copy when the sheet is loaded
    from rescheduler.read.xlsxparts import Package

    if streamed:
        monkeypatch.setattr(xlsx, "LOAD_MAX_XML_BYTES", -1)
    opened: list[str] = []
    open_part = Package.open

    def counting(self: Package, name: str) -> object:
        opened.append(name)
        return open_part(self, name)

    monkeypatch.setattr(Package, "open", counting)
    rows = '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
    rows += f'<row r="2"><c r="A2" t="inlineStr"><is><t>{ID}</t></is></c>'
    rows += '<c r="B2" t="s"><v>2</v></c></row>'
    path = raw_xlsx(
        tmp_path / "s.xlsx", rows, shared=["<t>appointId</t>", "<t>workNo</t>", "<t>7</t>"]
    )
    with open_table(path) as table:
        assert [r.values for r in table.rows()] == [(ID, "7")]
    assert sum(name.endswith("sharedStrings.xml") for name in opened) == 1
