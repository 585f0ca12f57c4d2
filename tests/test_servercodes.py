"""Server answers explained from one table, in both languages, with stable error codes."""

from __future__ import annotations

import orjson
import pytest

from rescheduler.i18n import use_language
from rescheduler.models import Outcome, OutcomeKind, RowResult, Status
from rescheduler.servercodes import (
    HTTP_STATUSES,
    SERVER_CODES,
    describe_code,
    describe_outcome,
    explain_server_code,
    outcome_code,
)
from rescheduler.write.summary import CODE_MEANINGS, Summary, format_summary

BODY = {"appointId": "1" * 30, "userAccount": "agent.li", "appointTime": 1, "remark": "r" * 300}


def rejected(code: str, desc: str = "") -> Outcome:
    return Outcome(OutcomeKind.REJECTED, 200, code, desc, code, desc)


def test_the_table_covers_the_documented_codes() -> None:
    documented = {"0200001", "0200006", "02000001", "02000002", "02000003", "04000004"}
    assert documented | {"0200022", "04000005"} <= set(SERVER_CODES)
    assert {401, 429, 500, 502, 503, 504} <= set(HTTP_STATUSES)
    assert all(m.advice for code, m in SERVER_CODES.items() if code != "0200000")
    assert all(m.meaning and m.advice for m in HTTP_STATUSES.values())
    assert CODE_MEANINGS["04000004"] == "the reservation does not exist"  # the same table


def test_too_long_without_the_server_saying_which_lists_the_text_fields() -> None:
    text = explain_server_code("02000003", "", BODY)
    assert text == (
        "02000003 too long; the request had appointId (30 characters), userAccount "
        "(8 characters), remark (300 characters): a value is longer than the server accepts; "
        "shorten it and send the row again"
    )
    with use_language("zh-CN"):
        assert explain_server_code("02000003", "", BODY) == (
            "02000003 内容超长；请求中包含 appointId（30 个字符），userAccount（8 个字符），"
            "remark（300 个字符）：某个值超过了服务器允许的长度；请缩短后重新发送这一行"
        )


def test_a_field_the_server_names_is_the_one_listed() -> None:
    text = explain_server_code("02000002", "userAccount has illegal chars", BODY)
    assert text.startswith("02000002 invalid characters; the request had userAccount (8 ")
    assert text.endswith("(server: userAccount has illegal chars)")


def test_unknown_codes_and_statuses() -> None:
    assert explain_server_code("0999999", "odd", {}) == (
        "0999999: the server refused the change (server: odd)"
    )
    assert describe_code("0999999") == "0999999"
    with use_language("zh-CN"):
        assert describe_code("04000005") == "04000005（已在呼叫中）"
        assert explain_server_code("0999999", "", {}) == "0999999：服务器拒绝了这次修改"


@pytest.mark.parametrize(
    ("outcome", "code", "english", "chinese"),
    [
        (
            rejected("04000004", "appoint not exist"),
            "server.04000004",
            "04000004 the reservation does not exist: check the appointId",
            "04000004 预约不存在：请核对 appointId",
        ),
        (
            Outcome(OutcomeKind.HTTP_ERROR, 503, message="HTTP 503 Service Unavailable"),
            "http.503",
            "HTTP 503, the server is temporarily unavailable: send the row again later "
            "(HTTP 503 Service Unavailable)",
            "HTTP 503，服务器暂时不可用：请稍后重新发送这一行（HTTP 503 Service Unavailable）",
        ),
        (
            Outcome(OutcomeKind.UNAUTHORIZED, 401, message="HTTP 401"),
            "credentials_rejected",
            "HTTP 401, the server rejected the credentials: ask your administrator",
            "HTTP 401，服务器拒绝了访问凭据：请联系管理员",
        ),
        (Outcome(OutcomeKind.TIMEOUT, message="no answer"), "timeout", "no answer", "no answer"),
        (Outcome(OutcomeKind.CONNECTION, message="refused"), "connection", "refused", "refused"),
        (Outcome(OutcomeKind.BAD_RESPONSE, 200, message="<html>"), "bad_response", "<html>", ""),
    ],
)
def test_describe_outcome(outcome: Outcome, code: str, english: str, chinese: str) -> None:
    body = orjson.dumps(BODY)
    assert outcome_code(outcome) == code
    got_code, text = describe_outcome(outcome, body)
    assert got_code == code
    assert text.startswith(english)
    with use_language("zh-CN"):
        assert describe_outcome(outcome, body)[1].startswith(chinese)


def test_the_summary_in_chinese_keeps_its_keys_and_aligns() -> None:
    summary = Summary()
    for result in (
        RowResult(2, Status.SUCCEEDED, attempts=1),
        RowResult(3, Status.FAILED, result_code="04000004", attempts=1),
        RowResult(4, Status.FAILED, http_status=None, error="超时了", error_code="timeout"),
        RowResult(5, Status.INVALID, error="appointTime: 不是时间"),
    ):
        summary.add(result)
    assert dict(summary.failure_codes) == {"04000004": 1, "timeout": 1}  # keys stay English
    with use_language("zh-CN"):
        text = format_summary(summary, title="t", results_path="r.csv", errors_path="e.csv")
    assert text.splitlines() == [
        "t",
        "  成功 succeeded   1",
        "  失败 failed      2   04000004 ×1（预约不存在），超时 ×1",
        "  无效 invalid     1   appointTime ×1",
        "  已跳过 skipped   0",
        "  未发送 not_sent  0",
        "结果文件：r.csv",
        "错误文件：e.csv（3 行待修正）",
    ]
