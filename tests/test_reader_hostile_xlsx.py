"""XLSX/XLS cells the hostile review found sent as something the sheet did not show.

Every test runs with both XLSX readers (calamine + xlsxscan, and the streaming reader).
"""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from rescheduler.models import UpdateRequest
from rescheduler.read.columns import resolve_columns
from rescheduler.read.reader import open_table
from rescheduler.read.validate import ValidationRules, validate_row
from tests.xlsxfiles import raw_xlsx

ID = "174729926098016859445364892091"
RULES = ValidationRules("standard", ZoneInfo("UTC"), 0, 1, 36_500)  # now = 1970


@pytest.fixture(autouse=True, params=["loaded", "streamed"])
def reader_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "streamed":
        monkeypatch.setattr("rescheduler.read.xlsx.LOAD_MAX_XML_BYTES", -1)
    return str(request.param)


def checked(path: Path) -> list[UpdateRequest | list[tuple[str, str]]]:
    """Each row as validated: the request, or its problems as (code, message)."""
    with open_table(path) as table:
        columns = resolve_columns(table.headers, {}, str(path))
        out: list[UpdateRequest | list[tuple[str, str]]] = []
        for row in table.rows():
            result = validate_row(row, columns, RULES)
            out.append(
                result
                if isinstance(result, UpdateRequest)
                else [(p.code, p.message) for p in result]
            )
        return out


def inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


HEAD = '<row r="1">' + inline("A1", "appointId") + inline("B1", "userAccount")
HEAD += inline("C1", "appointTime") + "</row>"


def test_an_iso_date_cell_without_a_time_is_a_date_not_midnight(tmp_path: Path) -> None:
    # <c t="d"><v>2027-01-15</v></c> was sent as 2027-01-15 00:00
    rows = HEAD + "".join(
        f'<row r="{n}">{inline(f"A{n}", ID[:-1] + str(n))}{inline(f"B{n}", "agent")}'
        f'<c r="C{n}" t="d"><v>{value}</v></c></row>'
        for n, value in ((2, "2027-01-15"), (3, "2027-01-15T09:30:00"))
    )
    path = raw_xlsx(tmp_path / "d.xlsx", rows)
    first, second = checked(path)
    assert isinstance(first, list)
    assert [code for code, _m in first] == ["appointTime.no_time_of_day"]
    assert isinstance(second, UpdateRequest)
    assert second.appoint_time_ms == 1_800_005_400_000  # 2027-01-15 09:30 UTC
