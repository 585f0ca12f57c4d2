"""Classifying server answers (pure part of the transport)."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime

from rescheduler.models import OutcomeKind
from rescheduler.send.answers import classify, parse_retry_after
from rescheduler.send.retry import is_transient

OK = b'{"returnCode":"0200000","resultCode":"0200000","resultDesc":"update success","returnDesc":"update success"}'  # noqa: E501


def test_success() -> None:
    outcome = classify(200, "OK", OK, None)
    assert outcome.kind == OutcomeKind.SUCCEEDED
    assert outcome.result_code == "0200000"
    assert outcome.message == ""


def test_business_failure_keeps_code_and_description() -> None:
    body = b'{"returnCode":"04000004","resultCode":"04000004","resultDesc":"the reservation does not exist","returnDesc":"fail"}'  # noqa: E501
    outcome = classify(200, "OK", body, None)
    assert outcome.kind == OutcomeKind.REJECTED
    assert outcome.result_code == "04000004"
    assert outcome.return_desc == "fail"
    assert outcome.message == "04000004: the reservation does not exist"


def test_401_and_other_statuses() -> None:
    assert classify(401, "Unauthorized", b"", None).kind == OutcomeKind.UNAUTHORIZED
    outcome = classify(503, "Service Unavailable", b"busy", 2.0)
    assert outcome.kind == OutcomeKind.HTTP_ERROR
    assert outcome.http_status == 503
    assert outcome.retry_after_s == 2.0
    assert outcome.message == "HTTP 503 Service Unavailable: busy"


def test_non_json_200_is_a_bad_response_with_a_snippet() -> None:
    outcome = classify(200, "OK", b"<html>proxy login</html>", None)
    assert outcome.kind == OutcomeKind.BAD_RESPONSE
    assert "proxy login" in outcome.message


def test_retry_after_seconds_and_http_date() -> None:
    assert parse_retry_after("7", 0) == 7.0
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    later = format_datetime(datetime(2026, 1, 1, 12, 0, 30, tzinfo=UTC), usegmt=True)
    assert parse_retry_after(later, now.timestamp()) == 30.0
    assert parse_retry_after("soon", 0) is None
    assert parse_retry_after(None, 0) is None


# Issue 9, item 12: a redirect is a final failure that names where it points (never followed).
def test_a_redirect_is_a_final_failure_naming_the_location() -> None:
    outcome = classify(301, "Moved Permanently", b"", None, "https://other.example/x")
    assert outcome.kind == OutcomeKind.HTTP_ERROR
    assert outcome.http_status == 301
    assert outcome.message == (
        "HTTP 301 Moved Permanently: the server redirects this update to "
        "https://other.example/x; redirects are not followed: check server.base_url"
    )
    bare = classify(302, "", b"", None)
    assert bare.message == (
        "HTTP 302: the server answered with a redirect; redirects are not followed: "
        "check server.base_url"
    )
    assert not is_transient(outcome)
