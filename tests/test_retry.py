"""The retry policy is pure: tested without sleeping and without luck."""

from __future__ import annotations

import pytest

from rescheduler.models import Outcome, OutcomeKind
from rescheduler.send.retry import RetryPolicy, is_transient


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
