"""The retry policy is pure: tested without sleeping and without luck."""

from __future__ import annotations

import pytest

from rescheduler.models import Outcome, OutcomeKind
from rescheduler.send.retry import RetryPolicy, describe_wait, is_transient


def http(status: int, retry_after: float | None = None) -> Outcome:
    return Outcome(OutcomeKind.HTTP_ERROR, http_status=status, retry_after_s=retry_after)


def code(value: str) -> Outcome:
    return Outcome(OutcomeKind.REJECTED, http_status=200, result_code=value)


@pytest.mark.parametrize(
    ("outcome", "transient"),
    [
        (Outcome(OutcomeKind.CONNECTION), True),
        (Outcome(OutcomeKind.TIMEOUT), True),
        (http(429), True),
        (http(500), True),
        (http(502), True),
        (http(503), True),
        (http(504), True),
        (http(404), False),
        (http(400), False),
        (code("0200006"), True),
        (code("0200022"), True),
        (code("04000004"), False),
        (code("0200001"), False),
        (Outcome(OutcomeKind.SUCCEEDED, http_status=200, result_code="0200000"), False),
        (Outcome(OutcomeKind.UNAUTHORIZED, http_status=401), False),
        (Outcome(OutcomeKind.BAD_RESPONSE, http_status=200), False),
    ],
)
def test_transient_classification(outcome: Outcome, transient: bool) -> None:
    assert is_transient(outcome) is transient


def test_full_jitter_backoff_is_exponential_and_capped() -> None:
    policy = RetryPolicy(max_attempts=10, base_s=0.5, cap_s=4.0)
    top = lambda: 0.999999  # noqa: E731
    assert [round(policy.backoff(n, top), 3) for n in range(1, 6)] == [0.5, 1.0, 2.0, 4.0, 4.0]
    assert policy.backoff(3, lambda: 0.0) == 0.0
    assert policy.backoff(3, lambda: 0.5) == 1.0


def test_next_delay_stops_at_max_attempts_and_on_final_outcomes() -> None:
    policy = RetryPolicy(max_attempts=3, base_s=1.0, cap_s=10.0)
    half = lambda: 0.5  # noqa: E731
    assert policy.next_delay(1, http(503), half) == 0.5
    assert policy.next_delay(2, http(503), half) == 1.0
    assert policy.next_delay(3, http(503), half) is None
    assert policy.next_delay(1, code("04000004"), half) is None


def test_retry_after_is_a_floor() -> None:
    policy = RetryPolicy(max_attempts=3, base_s=0.1, cap_s=10.0)
    assert policy.next_delay(1, http(429, retry_after=7.0), lambda: 0.5) == 7.0


# Issue 9, item 10: a Retry-After longer than the cap is not waited for, and says why.
def test_a_retry_after_over_the_cap_is_final_with_a_reason() -> None:
    policy = RetryPolicy(max_attempts=5, base_s=0.1, cap_s=10.0, max_retry_after_s=120.0)
    half = lambda: 0.5  # noqa: E731
    assert policy.next_delay(1, http(429, retry_after=120.0), half) == 120.0  # at the cap: waits
    too_long = http(429, retry_after=99999.0)
    assert policy.next_delay(1, too_long, half) is None
    assert policy.refusal(too_long) == (
        "not retried: the server asked to wait 27 h 46 min (Retry-After), more than "
        "send.max_retry_after_s = 120 s"
    )
    assert policy.refusal(http(429, retry_after=60.0)) == ""  # not why it stopped
    assert policy.refusal(http(404, retry_after=99999.0)) == ""  # final anyway: not transient
    assert policy.refusal(http(503)) == ""


def test_retry_after_zero_cap_never_waits() -> None:
    policy = RetryPolicy(max_attempts=5, base_s=0.1, cap_s=10.0, max_retry_after_s=0.0)
    assert policy.next_delay(1, http(503, retry_after=0.0), lambda: 0.5) == 0.05
    assert policy.next_delay(1, http(503, retry_after=1.0), lambda: 0.5) is None


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (45, "45 s"),
        (300, "5 min"),
        (61, "1 min 1 s"),
        (99999, "27 h 46 min"),
        (3 * 86400, "3 days"),
    ],
)
def test_waits_are_described_for_people(seconds: float, text: str) -> None:
    assert describe_wait(seconds) == text


def test_an_absurd_wait_is_still_described() -> None:
    assert describe_wait(float("inf")).endswith(" days")
