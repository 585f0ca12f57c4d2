"""Counting outcomes, the summary text and the exit code."""

from __future__ import annotations

from pathlib import Path

import pytest

from rescheduler.models import Problem, RowResult, Status
from rescheduler.write.summary import (
    CODE_MEANINGS,
    Summary,
    describe_code,
    failure_key,
    format_summary,
    join_problems,
    problem_columns,
)


def failed(code: str = "", http: int | None = 200, error: str = "") -> RowResult:
    return RowResult(2, Status.FAILED, http_status=http, result_code=code, attempts=1, error=error)


def invalid(*problems: Problem) -> RowResult:
    return RowResult(2, Status.INVALID, error=join_problems(problems))


def summary_of(results: list[RowResult]) -> Summary:
    summary = Summary()
    for result in results:
        summary.add(result)
    return summary


def example() -> Summary:
    ok = RowResult(2, Status.SUCCEEDED, attempts=1)
    results = [ok] * 100 + [failed("04000004")] * 5 + [failed("0200001")] * 3
    results += [invalid(Problem("appointTime", "not a time"))] * 6
    results += [invalid(Problem("userAccount", "empty"))] * 4
    results += [RowResult(2, Status.SKIPPED)] * 2
    return summary_of(results)


def test_counts() -> None:
    summary = example()
    assert list(summary.counts.items()) == [
        (Status.SUCCEEDED, 100),
        (Status.FAILED, 8),
        (Status.INVALID, 10),
        (Status.SKIPPED, 2),
        (Status.NOT_SENT, 0),
    ]
    assert summary.rows == 120
    assert summary.to_fix == 18
    assert summary.total_attempts == 108
    assert summary.failure_codes == {"04000004": 5, "0200001": 3}
    assert summary.invalid_columns == {"appointTime": 6, "userAccount": 4}
    assert not summary.has_unsent


def test_format_summary_exact_text() -> None:
    title = "rescheduler: 120 rows from changes.csv (utf-8, comma) in 3.2 s, 37.5 rows/s"
    text = format_summary(
        example(),
        title=title,
        results_path=Path("/path/changes.results.csv"),
        errors_path=Path("/path/changes.errors.csv"),
    )
    assert text == (
        "rescheduler: 120 rows from changes.csv (utf-8, comma) in 3.2 s, 37.5 rows/s\n"
        "  succeeded  100\n"
        "  failed       8   04000004 x5 (the reservation does not exist), "
        "0200001 x3 (parameter error)\n"
        "  invalid     10   appointTime x6, userAccount x4\n"
        "  skipped      2\n"
        "  not_sent     0\n"
        "results: /path/changes.results.csv\n"
        "errors:  /path/changes.errors.csv (18 rows to fix)"
    )


def test_format_summary_folds_the_tail_and_adds_extra_lines() -> None:
    results = [failed("04000004")] * 4 + [failed("0200022")] * 2 + [failed("", http=503)] * 2
    results += [failed("", http=None, error="no answer within 10 s (server.timeout_s)")]
    results += [failed("", http=None, error="cannot connect to h: refused")]
    results += [invalid(Problem("appointTime", "bad"), Problem("remark", "too long"))]
    results += [invalid(Problem("appointId", "empty"), Problem("appointTime", "x; y"))]
    results += [invalid(Problem("vdnId", "not a number")), RowResult(9, Status.INVALID)]
    results += [RowResult(3, Status.NOT_SENT)]
    text = format_summary(
        summary_of(results),
        title="rescheduler: dry run",
        errors_path="e.csv",
        extra_lines=["aborted: HTTP 401 (credentials rejected)"],
    )
    assert text == (
        "rescheduler: dry run\n"
        "  succeeded   0\n"
        "  failed     10   04000004 x4 (the reservation does not exist), "
        "0200022 x2 (called too fast), HTTP 503 x2, 2 more codes x2\n"
        "  invalid     4   appointTime x2, appointId x1, other x1, 2 more columns x2\n"
        "  skipped     0\n"
        "  not_sent    1\n"
        "aborted: HTTP 401 (credentials rejected)\n"
        "errors:  e.csv (15 rows to fix)"
    )


def test_format_summary_with_nothing_to_fix() -> None:
    summary = summary_of([RowResult(2, Status.SUCCEEDED, attempts=1)])
    text = format_summary(summary, title="t", results_path="r.csv", errors_path="e.csv")
    assert text == (
        "t\n  succeeded  1\n  failed     0\n  invalid    0\n  skipped    0\n  not_sent   0\n"
        "results: r.csv\nerrors:  e.csv (no rows to fix)"
    )
    one = summary_of([failed("0200001")])
    assert format_summary(one, title="t", errors_path="e").endswith("(1 row to fix)")


@pytest.mark.parametrize(
    ("result", "key"),
    [
        (failed("04000004", http=200), "04000004"),
        (failed("", http=503, error="HTTP 503 Service Unavailable"), "HTTP 503"),
        (failed("", http=429), "HTTP 429"),
        (failed("", http=None, error="no answer within 10 s (server.timeout_s)"), "timeout"),
        (failed("", http=None, error="read timed out"), "timeout"),
        (failed("", http=None, error="cannot connect to h:1: Connection refused"), "connection"),
        (failed("", http=200, error="HTTP 200 but the answer is not JSON"), "bad response"),
    ],
)
def test_failure_key(result: RowResult, key: str) -> None:
    assert failure_key(result) == key


def test_problem_columns() -> None:
    assert problem_columns("appointTime: not a time; userAccount: empty") == [
        "appointTime",
        "userAccount",
    ]
    assert problem_columns("remark: bad; use plain text; remark: again") == ["remark"]
    assert problem_columns("duplicate of line 5") == ["other"]
    assert problem_columns("") == ["other"]


@pytest.mark.parametrize(
    ("counts", "dry_run", "code"),
    [
        ({}, False, 0),
        ({Status.SUCCEEDED: 3, Status.SKIPPED: 2}, False, 0),
        ({Status.SUCCEEDED: 3, Status.FAILED: 1}, False, 1),
        ({Status.SUCCEEDED: 3, Status.INVALID: 1}, False, 1),
        ({Status.SUCCEEDED: 3, Status.NOT_SENT: 1}, False, 1),
        ({Status.SKIPPED: 3, Status.NOT_SENT: 2}, True, 0),  # dry run: only validity counts
        ({Status.SKIPPED: 3, Status.INVALID: 1}, True, 1),
    ],
)
def test_exit_code(counts: dict[Status, int], dry_run: bool, code: int) -> None:
    summary = summary_of([RowResult(2, s) for s, n in counts.items() for _ in range(n)])
    assert summary.exit_code(dry_run=dry_run) == code
    assert summary.has_unsent == (Status.NOT_SENT in counts)


def test_code_meanings() -> None:
    assert CODE_MEANINGS["04000004"] == "the reservation does not exist"
    assert set(CODE_MEANINGS) >= {
        "0200001", "0200006", "02000001", "02000002", "02000003", "04000004", "0200022", "04000005"
    }  # fmt: skip
    assert describe_code("0200006") == "0200006 (database operation error)"
    assert describe_code("9999") == "9999"
