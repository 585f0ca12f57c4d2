"""columns.py: header normalisation, aliases, [input.columns], missing and doubled columns."""

from __future__ import annotations

import pytest

from rescheduler.errors import ConfigError, InputFileError
from rescheduler.models import APPOINT_ID, APPOINT_TIME, REMARK, USER_ACCOUNT, VDN_ID, WORK_NO
from rescheduler.read.columns import ColumnMap, normalise_header, resolve_columns, strip_edges


@pytest.mark.parametrize(
    "header",
    ["appointId", "appoint_id", "Appoint ID", "APPOINTID", "appoint-id", "ａｐｐｏｉｎｔＩＤ"],
)
def test_header_variants_match(header: str) -> None:
    assert normalise_header(header) == "appointid"
    assert resolve_columns((header,), {}, "f.csv").index == {APPOINT_ID: 0}


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("预约ID", APPOINT_ID),
        ("预约id", APPOINT_ID),
        ("预约编号", APPOINT_ID),
        ("工号", WORK_NO),
        ("座席工号", WORK_NO),
        ("坐席工号", WORK_NO),
        ("业务账号", USER_ACCOUNT),
        ("座席账号", USER_ACCOUNT),
        ("坐席账号", USER_ACCOUNT),
        ("预约时间", APPOINT_TIME),
        ("备注", REMARK),
        ("VDN", VDN_ID),
        ("VDN ID", VDN_ID),
        ("vdnid", VDN_ID),
        ("VCC ID", VDN_ID),
        ("user account", USER_ACCOUNT),
        ("WORK_NO", WORK_NO),
        ("appoint time", APPOINT_TIME),
    ],
)
def test_builtin_aliases(header: str, field: str) -> None:
    columns = resolve_columns(("appointId", header) if field != APPOINT_ID else (header,), {}, "f")
    assert columns.get(field) == (0 if field == APPOINT_ID else 1)
    assert columns.header(field) == header


def test_extra_aliases_from_config_and_extra_columns_kept() -> None:
    headers = ("Reservation", "Agent", "When", "Customer name")
    columns = resolve_columns(
        headers, {"reservation": APPOINT_ID, "AGENT": "workno", "When": APPOINT_TIME}, "f.csv"
    )
    assert columns == ColumnMap(headers, {APPOINT_ID: 0, WORK_NO: 1, APPOINT_TIME: 2})
    assert REMARK not in columns
    assert columns.get(REMARK) is None
    assert columns.header(REMARK) == REMARK


def test_config_alias_to_unknown_field() -> None:
    with pytest.raises(ConfigError, match=r"input.columns.'Agent' maps to 'agentId', which is not"):
        resolve_columns(("appointId",), {"Agent": "agentId"}, "f.csv")


def test_missing_appoint_id_lists_headers() -> None:
    with pytest.raises(InputFileError) as info:
        resolve_columns(("id", "备注", "workNo"), {}, "in.csv")
    assert str(info.value) == (
        "in.csv, line 1: no appointId column; found headers: 'id', '备注', 'workNo'. Headers are "
        "matched ignoring case, spaces, '_' and '-'; map other names in [input.columns]"
    )


def test_missing_required_agent_column_gives_reason() -> None:
    with pytest.raises(InputFileError, match=r"line 3: no workNo column \(needed\); found head"):
        resolve_columns(("appointId",), {}, "in.csv", required={WORK_NO: "needed"}, header_line=3)


def test_two_headers_for_one_field() -> None:
    with pytest.raises(InputFileError) as info:
        resolve_columns(("预约ID", "remark", "appointId"), {}, "in.csv")
    assert str(info.value) == (
        "in.csv, line 1, column 'appointId': columns 1 ('预约ID') and 3 ('appointId') both mean "
        "appointId; keep one of them or rename the other"
    )


def test_strip_edges() -> None:
    assert strip_edges("\ufeff\u200b \u00a0x y\u3000\u2060\t") == "x y"
    assert strip_edges("a\u200bb") == "a\u200bb"


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("appointTlme", "appointTime"),  # l for i
        ("\u0430ppointTime", "appointTime"),  # a Cyrillic а
        ("Appointment Time", "appointTime"),
        ("new appointTime", "appointTime"),
        ("预约时间：", "appointTime"),  # a full-width colon
        ("appoint.time", "appointTime"),
        ("remarks", "remark"),
        ("Work Number", "workNo"),
        ("新预约时间", "appointTime"),
    ],
)
def test_a_header_like_a_missing_field_stops_the_file(header: str, field: str) -> None:
    # each row 'succeeded' without the new time or remark (the hostile review, p06)
    headers = ("appointId", "userAccount", header)
    with pytest.raises(InputFileError) as info:
        resolve_columns(headers, {}, "in.csv")
    assert str(info.value) == (
        f"in.csv, line 1, column {header!r}: column 3 (C) is headed {header!r}, which looks "
        f"like {field} but is not that name, so its cells would not be sent. Rename it "
        f'{field}, or map it in the config ([input.columns] "{header}" = "{field}"); to keep '
        f"it as an extra column, give it a name clearly different from {field}"
    )
    mapped = resolve_columns(headers, {header: field}, "in.csv")  # the way to keep it
    assert mapped.get(field) == 2


def test_appointld_is_named_for_what_it_looks_like() -> None:
    with pytest.raises(InputFileError, match="headed 'appointld', which looks like appointId"):
        resolve_columns(("appointld", "userAccount"), {}, "in.csv")


@pytest.mark.parametrize(
    "headers",
    [
        # a results file fed back in (the input had no appointTime column)
        ("appointId", "userAccount", "line", "status", "http_status", "resultCode",
         "resultDesc", "returnCode", "returnDesc", "attempts", "error", "error_code",
         "appointTime_utc"),
        # an errors file, and a results file whose input had its own status column
        ("appointId", "userAccount", "line", "error", "error_code", "status (rescheduler)"),
        # an export: the rules' columns and the context columns
        ("appointId", "userAccount", "appointTime", "can_reschedule", "note",
         "listed_appointTime", "listed_userAccount", "calledNo", "taskName", "beginTime",
         "endTime", "callType", "listed_remark"),
        # columns like a field the file has are columns of their own
        ("appointId", "userAccount", "appointTime", "remark", "remarks", "old appointTime",
         "before_remark", "Appointment Time"),
        ("appointId", "workNo", "customer", "phone", "network notes", "username", "VIP"),
    ],
)
def test_the_tools_own_columns_and_real_extra_columns_are_fine(headers: tuple[str, ...]) -> None:
    assert resolve_columns(headers, {}, "in.csv").index[APPOINT_ID] == 0
