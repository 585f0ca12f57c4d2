"""validate.py: clean_cell, every rule and its message, headers named as written."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from rescheduler.models import Problem, Row, UpdateRequest
from rescheduler.read.columns import ColumnMap, resolve_columns
from rescheduler.read.validate import (
    ValidationRules,
    clean_cell,
    quote,
    required_columns,
    validate_row,
)

ID = "174729926098016859445364892091"
NOW = int(datetime(2026, 6, 1, tzinfo=UTC).timestamp() * 1000)
STD = ValidationRules("standard", ZoneInfo("Asia/Shanghai"), NOW, 1)
OPI = ValidationRules("op-independent", ZoneInfo("Asia/Shanghai"), NOW, 1)
HEADERS = ("appointId", "userAccount", "workNo", "appointTime", "remark", "vdnId", "note")
COLUMNS = resolve_columns(HEADERS, {}, "in.csv")


def row(**cells: str) -> Row:
    return Row(7, tuple(cells.get(h, "") for h in HEADERS))


def problems(result: UpdateRequest | list[Problem]) -> list[str]:
    assert isinstance(result, list), result
    return [str(p) for p in result]


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("  x  ", "x"),
        ("\u00a0x\u3000", "x"),
        ("\u200bx\u200c\u200d\ufeff\u2060", "x"),
        ("'00123", "00123"),
        ("  ' 00123 ", "00123"),
        ("''quoted", "'quoted"),
        ("a\u200bb", "a\u200bb"),  # inside a cell nothing changes
        ("line 1\nline 2\n", "line 1\nline 2"),
        ("'", ""),
        ("", ""),
    ],
)
def test_clean_cell(raw: str, clean: str) -> None:
    assert clean_cell(raw) == clean


def test_valid_standard_row_full() -> None:
    result = validate_row(
        row(
            appointId=f" '{ID} ",
            userAccount="agent01",
            workNo="125",
            appointTime="2026-12-01 10:00",
            remark=" 客户要求改到下午 ",
            vdnId="12",
            note="x",
        ),
        COLUMNS,
        STD,
    )
    assert result == UpdateRequest(
        line=7,
        appoint_id=ID,
        vdn_id=12,
        user_account="agent01",
        work_no="125",
        appoint_time_ms=int(datetime(2026, 12, 1, 2, tzinfo=UTC).timestamp() * 1000),
        remark="客户要求改到下午",
    )


def test_blank_optional_cells_are_left_out() -> None:
    result = validate_row(row(appointId=ID, workNo="125"), COLUMNS, OPI)
    assert result == UpdateRequest(line=7, appoint_id=ID, vdn_id=1, work_no="125")
    assert isinstance(result, UpdateRequest)
    assert result.body() == {"appointId": ID, "workNo": "125"}


def test_missing_agent_column_says_so() -> None:
    columns = resolve_columns(("appointId",), {}, "in.csv")
    assert problems(validate_row(Row(2, (ID,)), columns, STD)) == [
        "userAccount: is required: the 'standard' deployment needs userAccount on every row; "
        "the file has no column"
    ]


def test_missing_optional_columns_are_fine() -> None:
    columns = resolve_columns(("appointId", "workNo"), {}, "in.csv")
    assert validate_row(Row(2, (ID, "125")), columns, OPI) == UpdateRequest(2, ID, 1, None, "125")


def test_every_problem_of_a_row_is_reported() -> None:
    result = validate_row(row(appointId="", appointTime="soon", vdnId="0"), COLUMNS, STD)
    assert problems(result) == [
        "appointId: is required (the ID of the reservation to change); the cell is empty",
        "userAccount: is required: the 'standard' deployment needs userAccount on every row; "
        "the cell is empty",
        "appointTime: 'soon' is not a time; use YYYY-MM-DD HH:MM[:SS] (or with / or T), ISO 8601"
        " with an offset (2026-12-01T10:00:00+08:00), epoch milliseconds (13 digits) or an Excel"
        " date cell",
        "vdnId: '0' is not a VDN ID: use a whole number from 1 to 9999",
    ]


def test_op_independent_requires_work_no() -> None:
    assert problems(validate_row(row(appointId=ID, userAccount="agent01"), COLUMNS, OPI)) == [
        "workNo: is required: the 'op-independent' deployment needs workNo on every row; "
        "the cell is empty"
    ]


@pytest.mark.parametrize(
    "value",
    [
        "1.74729E+29",
        "1.74729926098017E+29",
        "1,74729E+29",
        "174729926098016.0",
        "1.7e29",
        "174729926098016000000000000000",
    ],
)
def test_excel_mangled_ids(value: str) -> None:
    assert problems(validate_row(row(appointId=value, userAccount="a"), COLUMNS, STD)) == [
        f"appointId: looks like a number Excel converted ({value}): format the appointId column "
        "as Text and re-enter the IDs"
    ]


def test_excel_message_names_the_column_as_written() -> None:
    columns = resolve_columns(("预约ID", "坐席账号"), {}, "in.csv")
    assert problems(validate_row(Row(3, ("1.74729E+29", "a")), columns, STD)) == [
        "预约ID: looks like a number Excel converted (1.74729E+29): format the 预约ID column as "
        "Text and re-enter the IDs"
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "1747-2992",
            "'1747-2992' is not a reservation ID: use digits only (found '-' (U+002D "
            "HYPHEN-MINUS))",
        ),
        (
            "12\u200b34",
            "'12\\u200b34' is not a reservation ID: use digits only (found '\\u200b' "
            "(U+200B ZERO WIDTH SPACE))",
        ),
        (
            "１２３",
            "'１２３' is not a reservation ID: use digits only (found '１' (U+FF11 "
            "FULLWIDTH DIGIT ONE))",
        ),
        ("9" * 65, f"'{'9' * 40}…' has 65 digits; a reservation ID has at most 64"),
    ],
)
def test_bad_ids(value: str, message: str) -> None:
    assert problems(validate_row(row(appointId=value, userAccount="a"), COLUMNS, STD)) == [
        f"appointId: {message}"
    ]


def test_ids_that_are_fine() -> None:
    for value in ("1", "0042", "9" * 64, "100000000000000", "1000000000000001"):
        assert isinstance(
            validate_row(row(appointId=value, userAccount="a"), COLUMNS, STD), UpdateRequest
        ), value


def test_past_time_gives_utc() -> None:
    assert problems(
        validate_row(
            row(appointId=ID, userAccount="a", appointTime="2026-05-31 09:00"), COLUMNS, STD
        )
    ) == [
        "appointTime: '2026-05-31 09:00' is in the past (2026-05-31T01:00:00Z); give a future time"
    ]


def test_now_itself_is_not_past() -> None:
    result = validate_row(row(appointId=ID, userAccount="a", appointTime=str(NOW)), COLUMNS, STD)
    assert isinstance(result, UpdateRequest)
    assert result.appoint_time_ms == NOW


def test_dst_problem_names_the_column() -> None:
    rules = ValidationRules("standard", ZoneInfo("America/New_York"), NOW, 1)
    assert problems(
        validate_row(
            row(appointId=ID, userAccount="a", appointTime="2026-11-01 01:30"), COLUMNS, rules
        )
    )[0].startswith("appointTime: 2026-11-01 01:30:00 is ambiguous in America/New_York")


@pytest.mark.parametrize("value", ["10000", "-1", "1.5", "abc", "٣"])
def test_bad_vdn(value: str) -> None:
    assert problems(
        validate_row(row(appointId=ID, userAccount="a", vdnId=value), COLUMNS, STD)
    ) == [f"vdnId: {quote(value)} is not a VDN ID: use a whole number from 1 to 9999"]


def test_remark_is_permissive() -> None:
    text = "改约\t原因：客户\n出差 ☎ \x07"
    result = validate_row(row(appointId=ID, userAccount="a", remark=text), COLUMNS, STD)
    assert isinstance(result, UpdateRequest)
    assert result.remark == text.strip()


def test_short_row_values_do_not_crash() -> None:
    columns = ColumnMap(
        ("appointId", "userAccount", "remark"), {"appointId": 0, "userAccount": 1, "remark": 2}
    )
    assert isinstance(validate_row(Row(2, (ID, "a")), columns, STD), UpdateRequest)


def test_rules_checked() -> None:
    with pytest.raises(ValueError, match="deployment must be one of standard, op-independent"):
        ValidationRules("cloud", ZoneInfo("UTC"), 0, 1)
    with pytest.raises(ValueError, match=r"default_vdn_id must be 1\.\.9999"):
        ValidationRules("standard", ZoneInfo("UTC"), 0, 0)
    assert STD.agent_field == "userAccount"
    assert OPI.agent_field == "workNo"


def test_required_columns() -> None:
    assert required_columns("standard") == {
        "appointId": "",
        "userAccount": "the 'standard' deployment requires userAccount on every row",
    }
    assert list(required_columns("op-independent")) == ["appointId", "workNo"]


def test_quote() -> None:
    assert quote("x" * 41) == repr("x" * 40 + "…")
    assert quote("a\u00a0b") == "'a\\xa0b'"


def test_unreadable_cell_in_a_sent_column_makes_the_row_invalid() -> None:
    columns = ColumnMap(("appointId", "userAccount", "appointTime", "note"),
                        {"appointId": 0, "userAccount": 1, "appointTime": 2})
    row = Row(2, ("123", "li.na", "", ""), unreadable=((2, "the cell shows #N/A"),))
    result = validate_row(row, columns, STD)
    assert result == [Problem("appointTime", "the cell shows #N/A", "appointTime.unreadable")]


def test_unreadable_cell_in_an_extra_column_does_not_matter() -> None:
    columns = ColumnMap(("appointId", "userAccount", "note"), {"appointId": 0, "userAccount": 1})
    row = Row(2, ("123", "li.na", ""), unreadable=((2, "the cell shows #REF!"),))
    result = validate_row(row, columns, STD)
    assert isinstance(result, UpdateRequest)
    assert result.user_account == "li.na"


def test_unreadable_cell_reported_beside_other_problems() -> None:
    columns = ColumnMap(("appointId", "userAccount", "remark"),
                        {"appointId": 0, "userAccount": 1, "remark": 2})
    row = Row(2, ("12x", "", ""), unreadable=((1, "formula without a saved value"),))
    result = validate_row(row, columns, STD)
    assert isinstance(result, list)
    assert [p.column for p in result] == ["userAccount", "appointId"]
    assert result[0].message == "formula without a saved value"
