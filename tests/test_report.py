"""The CSV results and errors-only files, default paths and output errors."""

from __future__ import annotations

import csv
import random
import subprocess
import sys
import tempfile
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rescheduler.errors import OutputError
from rescheduler.models import RowResult, Status
from rescheduler.write import report
from rescheduler.write.report import (
    REPORT_COLUMNS,
    error_text,
    open_errors_file,
    open_report,
    unique_columns,
)
from rescheduler.write.safecell import (
    FORMULA_CHARS,
    csv_cells,
    neutralise,
    quote_row,
    restore,
    splits,
)
from rescheduler.write.targets import default_paths

ID = "174729926098016859445364892091"
HEADERS = ("appointId", "remark")
BOM = b"\xef\xbb\xbf"
HEADER_LINE = (
    b"appointId,remark,line,status,http_status,resultCode,resultDesc,returnCode,returnDesc,"
    b"attempts,error,error_code,appointTime_utc\r\n"
)


def ok(line: int, *values: str) -> RowResult:
    return RowResult(
        line,
        Status.SUCCEEDED,
        values or (ID, "r"),
        http_status=200,
        result_code="0200000",
        result_desc="update success",
        return_code="0200000",
        return_desc="update success",
        attempts=1,
        sent_time_utc="2027-01-15T01:30:00Z",
    )


def read_csv(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


# --- safecell ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+8613800000000", "'+8613800000000"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("'abc", "'abc"),  # the documented trade-off: written unchanged
        ("a=b", "a=b"),
        ("", ""),
        ("客户要求改约", "客户要求改约"),
    ],
)
def test_neutralise(text: str, written: str) -> None:
    assert neutralise(text) == written


def test_restore_is_the_inverse_except_for_apostrophe_then_formula_char() -> None:
    for text in ("=1+1", "-5", "'abc", "abc", "", "'"):
        assert restore(neutralise(text)) == text
    assert restore(neutralise("'=x")) == "=x"  # the one lossy case


cell_values = (
    st.none()
    | st.integers()
    | st.text(alphabet=st.sampled_from("=+-@\t\r;,'a\"") | st.characters(), max_size=6)
)


@given(st.lists(cell_values, max_size=8))
def test_csv_cells_and_splits_match_the_per_cell_definitions(cells: list[str | int | None]) -> None:
    """The report's fast row path: every text cell neutralised, numbers as the csv module
    writes them, and a row quoted by ``csv_line`` exactly when ``quote_row`` says so."""
    row = csv_cells(cells)
    assert row == [
        "" if c is None else str(c) if isinstance(c, int) else neutralise(c) for c in cells
    ]
    assert splits(row) == quote_row([c for c in cells if isinstance(c, str)])


# --- CSV results file ---------------------------------------------------------------------------


def test_csv_exact_bytes(tmp_path: Path) -> None:
    path = tmp_path / "changes.results.csv"
    with open_report(path, HEADERS) as out:
        out.write(ok(2))
        out.write(
            RowResult(
                3,
                Status.INVALID,
                ("x", ""),
                error="appointId: not 30 digits; vdnId: no",
                error_code="appointId.not_digits;vdnId.invalid",
            )
        )
        out.write(
            RowResult(
                4,
                Status.FAILED,
                (ID, "a,b"),
                503,
                attempts=3,
                error='HTTP 503 "busy"\nretry',
                error_code="http.503",
            )
        )
    assert path.read_bytes() == (
        BOM
        + HEADER_LINE
        + ID.encode()
        + b",r,2,succeeded,200,0200000,update success,0200000,update success,1,,,"
        + b"2027-01-15T01:30:00Z\r\n"
        + b'x,,3,invalid,,,,,,0,"appointId: not 30 digits; vdnId: no",'
        + b'"appointId.not_digits;vdnId.invalid",\r\n'
        + ID.encode()
        + b',"a,b",4,failed,503,,,,,3,"HTTP 503 ""busy""\nretry",http.503,\r\n'
    )
    assert out.rows == 3


def test_csv_header_only_when_no_rows(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    open_report(path, HEADERS).close()
    assert path.read_bytes() == BOM + HEADER_LINE


def test_every_row_written_once_in_arrival_order(tmp_path: Path) -> None:
    lines = list(range(2, 502))
    random.Random(7).shuffle(lines)  # workers finish out of order
    path = tmp_path / "r.csv"
    with open_report(path, HEADERS) as out:
        for line in lines:
            out.write(ok(line, f"id{line}", ""))
    rows = read_csv(path)[1:]
    assert [int(r[2]) for r in rows] == lines
    assert sorted(r[0] for r in rows) == sorted(f"id{n}" for n in lines)


def test_csv_formula_cells_neutralised_everywhere(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    with open_report(path, ("=HEADER", "remark")) as out:
        out.write(RowResult(2, Status.FAILED, ("=1+1", "@x"), result_desc="-1", error="+bad"))
    header, row = read_csv(path)
    assert header[:2] == ["'=HEADER", "remark"]
    assert row[:2] == ["'=1+1", "'@x"]
    assert row[6] == "'-1"
    assert row[10] == "'+bad"


def test_short_rows_padded_and_extra_cells_dropped(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    with open_report(path, HEADERS) as out:
        out.write(ok(2, ID))
        out.write(ok(3, ID, "r", "extra"))
    rows = read_csv(path)
    assert [len(r) for r in rows] == [13, 13, 13]
    assert rows[1][:3] == [ID, "", "2"]
    assert rows[2][:3] == [ID, "r", "3"]


def test_csv_flushes_to_the_os_in_batches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(report, "FLUSH_ROWS", 2)
    monkeypatch.setattr(report, "FLUSH_INTERVAL_S", 3600.0)
    path = tmp_path / "r.csv"
    with open_report(path, HEADERS) as out:
        growing = tmp_path / "r.csv.partial"  # streamed beside the target while it is written
        out.write(ok(2))  # header + 1 row = 2 rows: flushed
        assert len(read_csv(growing)) == 2
        out.write(ok(3))  # buffered
        assert len(read_csv(growing)) == 2
        out.flush()
        assert len(read_csv(growing)) == 3
        assert not path.exists()
    assert len(read_csv(path)) == 3
    assert not growing.exists()


def test_close_twice_is_fine_and_write_after_close_is_refused(tmp_path: Path) -> None:
    out = open_report(tmp_path / "r.csv", HEADERS)
    out.close()
    out.close()
    out.flush()
    with pytest.raises(ValueError, match="write after close"):
        out.write(ok(2))


# --- column collisions --------------------------------------------------------------------------


def test_colliding_input_headers_suffix_the_report_columns(tmp_path: Path) -> None:
    headers = ("appointId", "Status", "line", "status (rescheduler)", "remark")
    columns = unique_columns(headers, REPORT_COLUMNS)
    assert columns == (
        "appointId",
        "Status",
        "line",
        "status (rescheduler)",
        "remark",
        "line (rescheduler)",
        "status (rescheduler 2)",
        *REPORT_COLUMNS[2:],
    )
    path = tmp_path / "r.csv"
    with open_report(path, headers) as out:
        out.write(ok(2, ID, "mine", "L7", "x", "r"))
    header, row = read_csv(path)
    assert tuple(header) == columns
    assert row[:7] == [ID, "mine", "L7", "x", "r", "2", "succeeded"]


def test_header_matching_ignores_case_spaces_and_underscores() -> None:
    columns = unique_columns(("HTTP Status", "result_code"), ("http_status", "resultCode"))
    assert columns[2:] == ("http_status (rescheduler)", "resultCode (rescheduler)")


# --- errors-only file ---------------------------------------------------------------------------


ALL_STATUSES = [
    ok(2, "a", "r2"),
    RowResult(
        3,
        Status.FAILED,
        ("b", "r3"),
        200,
        "04000004",
        "no such appoint",
        error="04000004",
        error_code="server.04000004",
    ),
    RowResult(
        4, Status.INVALID, ("c", "=r4"), error="appointTime: not a time", error_code="a.b;c.d"
    ),
    RowResult(5, Status.SKIPPED, ("d", "r5")),
    RowResult(6, Status.NOT_SENT, ("e", "r6"), error_code="interrupted"),
]


def test_errors_file_has_only_rows_to_fix(tmp_path: Path) -> None:
    path = tmp_path / "changes.errors.csv"
    with open_errors_file(path, HEADERS) as out:
        for result in ALL_STATUSES:
            out.write(result)
    assert out.rows == 3
    assert path.read_bytes() == BOM + (
        b"appointId,remark,line,error,error_code\r\n"
        b"b,r3,3,04000004,server.04000004\r\n"
        b"c,'=r4,4,appointTime: not a time,\"a.b;c.d\"\r\n"
        b"e,r6,6,not sent: the run stopped before this row was attempted,interrupted\r\n"
    )


def test_errors_file_fed_back_in_keeps_its_shape(tmp_path: Path) -> None:
    headers = ("appointId", "remark", "line", "error", "error_code")
    path = tmp_path / "changes.errors.errors.csv"
    with open_errors_file(path, headers) as out:
        out.write(
            RowResult(
                2,
                Status.INVALID,
                ("c", "r4", "4", "old", "x.y"),
                error="remark: too long",
                error_code="remark.z",
            )
        )
    assert read_csv(path) == [list(headers), ["c", "r4", "2", "remark: too long", "remark.z"]]


def test_errors_file_of_version_0_1_fed_back_in_gains_error_code(tmp_path: Path) -> None:
    headers = ("appointId", "line", "remark", "error")  # 0.1's errors file: no error_code
    path = tmp_path / "changes.errors.errors.csv"
    with open_errors_file(path, headers) as out:
        out.write(RowResult(2, Status.INVALID, ("c", "4", "r4", "old"), error="e", error_code="k"))
    assert read_csv(path) == [[*headers, "error_code"], ["c", "2", "r4", "e", "k"]]


def test_errors_file_suffixes_a_lone_colliding_column(tmp_path: Path) -> None:
    with open_errors_file(tmp_path / "e.csv", ("appointId", "Error")) as out:
        pass
    assert out.columns == ("appointId", "Error", "line", "error (rescheduler)", "error_code")


def test_error_text_fallbacks() -> None:
    assert error_text(RowResult(2, Status.FAILED, result_code="0200001", result_desc="bad")) == (
        "0200001 bad"
    )
    assert error_text(RowResult(2, Status.FAILED, http_status=503)) == "HTTP 503"
    assert error_text(RowResult(2, Status.INVALID)) == "invalid"
    assert error_text(RowResult(2, Status.FAILED, error="boom")) == "boom"


# --- default paths --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("input_name", "out", "results", "errors"),
    [
        ("changes.csv", None, "changes.results.csv", "changes.errors.csv"),
        ("changes.xlsx", None, "changes.results.xlsx", "changes.errors.xlsx"),
        ("changes.XLS", None, "changes.results.xlsx", "changes.errors.xlsx"),
        ("changes.ods", None, "changes.results.xlsx", "changes.errors.xlsx"),
        ("changes.xlsx", "out.csv", "out.csv", "out.errors.csv"),
        ("changes.tsv", None, "changes.results.csv", "changes.errors.csv"),
        ("changes.errors.csv", None, "changes.errors.results.csv", "changes.errors.errors.csv"),
        ("changes.csv", "out.xlsx", "out.xlsx", "out.errors.xlsx"),
        ("changes.csv", "out.results.xlsx", "out.results.xlsx", "out.errors.xlsx"),
        ("changes.csv", "report", "report", "report.errors"),
    ],
)
def test_default_paths(
    tmp_path: Path, input_name: str, out: str | None, results: str, errors: str
) -> None:
    got = default_paths(tmp_path / input_name, tmp_path / out if out else None)
    assert got == (tmp_path / results, tmp_path / errors)


def test_default_paths_keep_the_out_directory(tmp_path: Path) -> None:
    got = default_paths(tmp_path / "in" / "c.csv", tmp_path / "out" / "r.csv")
    assert got == (tmp_path / "out" / "r.csv", tmp_path / "out" / "r.errors.csv")


@pytest.mark.parametrize(
    ("input_name", "out"),
    [
        ("changes.csv", "changes.csv"),  # the results file itself
        ("changes.errors.csv", "changes.results.csv"),  # its errors file
        ("changes.errors.csv", "changes.csv"),
    ],
)
def test_default_paths_refuse_to_overwrite_the_input(
    tmp_path: Path, input_name: str, out: str
) -> None:
    with pytest.raises(OutputError, match="would overwrite the input file"):
        default_paths(tmp_path / input_name, tmp_path / out)


# --- output errors --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["r.csv", "r.xlsx"])
def test_unwritable_path_is_an_output_error(tmp_path: Path, name: str) -> None:
    path = tmp_path / "missing-dir" / name
    with pytest.raises(OutputError, match=f"cannot write {path}"):
        open_report(path, HEADERS)
    with pytest.raises(OutputError, match=f"cannot write {path}"):
        open_errors_file(path, HEADERS)


@pytest.mark.parametrize("name", ["r.csv", "r.xlsx"])
def test_directory_path_is_an_output_error(tmp_path: Path, name: str) -> None:
    (tmp_path / name).mkdir()
    with pytest.raises(OutputError, match=r"(?i)is a directory"):
        open_report(tmp_path / name, HEADERS)


@pytest.mark.parametrize("name", ["r.xls", "r.XLSM", "r.xlsb", "r.ods"])
def test_unwritable_spreadsheet_suffixes_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(OutputError, match=r"use \.xlsx or \.csv"):
        open_report(tmp_path / name, HEADERS)
    assert not (tmp_path / name).exists()


# --- property: any text survives the CSV round trip -------------------------------------------


formula_led = st.tuples(st.sampled_from([*sorted(FORMULA_CHARS), "'"]), st.text()).map("".join)
any_text = st.one_of(st.text(), formula_led, st.text(alphabet="=+-@\t\r\n'\",; 客户要求改约x"))


@settings(
    max_examples=300,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.lists(st.tuples(any_text, any_text), min_size=1, max_size=5))
def test_any_text_survives_the_csv_round_trip(rows: list[tuple[str, str]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "r.csv"
        with open_report(path, HEADERS) as out:
            for line, (a, b) in enumerate(rows, 2):
                out.write(RowResult(line, Status.FAILED, (a, b), error=a))
        got = read_csv(path)[1:]
    assert len(got) == len(rows)
    for (a, b), cells in zip(rows, got, strict=True):
        for original, read in ((a, cells[0]), (b, cells[1]), (a, cells[10])):
            if original[:1] in FORMULA_CHARS:
                assert read[0] == "'"
                read = read[1:]
            assert read == original


# --- start-up cost and memory -------------------------------------------------------------------


def test_openpyxl_is_imported_only_for_xlsx() -> None:
    code = (
        "import sys, rescheduler.write.report, rescheduler.write.summary, rescheduler.template\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'openpyxl'))"
    )
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"


def test_csv_memory_is_flat_in_rows(tmp_path: Path) -> None:
    def peak(rows: int) -> int:
        tracemalloc.start()
        with open_report(tmp_path / "r.csv", HEADERS) as out:
            for line in range(2, rows + 2):
                out.write(ok(line))
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return peak

    small, large = peak(500), peak(5000)
    assert large < small + 64 * 1024  # ten times the rows, no more memory
