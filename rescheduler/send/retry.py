"""Pure retry policy: which outcomes are worth another attempt, and after how long.

Transient: connection errors, timeouts, HTTP 429/500/502/503/504, and the body codes
``0200006`` (database error) and ``0200022`` (called too fast). Everything else is final on the
first answer. Backoff is exponential with full jitter and a cap (the "Full Jitter" scheme);
``random`` is injected so tests need no sleeping and no luck.

A server's ``Retry-After`` is honoured up to ``max_retry_after_s`` (``send.max_retry_after_s``);
a longer one (``99999``, a date years ahead) makes the answer final at once, with a note
saying why (``refusal``), instead of a run that waits silently for a day.

Retrying an update is safe: it sets fields to values, so a second application of a request
whose first answer was lost (a timeout after the server applied it) changes nothing more.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rescheduler.i18n import _
from rescheduler.models import Outcome, OutcomeKind

TRANSIENT_HTTP = frozenset({429, 500, 502, 503, 504})
TRANSIENT_CODES = frozenset({"0200006", "0200022"})


def is_transient(outcome: Outcome) -> bool:
    kind = outcome.kind
    if kind in (OutcomeKind.CONNECTION, OutcomeKind.TIMEOUT):
        return True
    if kind == OutcomeKind.HTTP_ERROR:
        return outcome.http_status in TRANSIENT_HTTP
    if kind == OutcomeKind.REJECTED:
        return outcome.result_code in TRANSIENT_CODES or outcome.return_code in TRANSIENT_CODES
    return False


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 5
    base_s: float = 0.5
    cap_s: float = 30.0
    max_retry_after_s: float = 120.0

    def backoff(self, attempt: int, random: Callable[[], float]) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2 ** (attempt - 1)))."""
        ceiling = min(self.cap_s, self.base_s * (2.0 ** (attempt - 1)))
        return ceiling * random()

    def next_delay(
        self, attempt: int, outcome: Outcome, random: Callable[[], float]
    ) -> float | None:
        """Seconds to wait before attempt ``attempt + 1``, or ``None`` if ``outcome`` is final.

        ``attempt`` counts from 1 (the attempt that produced ``outcome``). A ``Retry-After``
        is honoured by the rate limiter for every worker; the delay here is never shorter.
        """
        if not is_transient(outcome) or attempt >= self.max_attempts:
            return None
        if self.waits_too_long(outcome):
            return None
        delay = self.backoff(attempt, random)
        if outcome.retry_after_s is not None:
            delay = max(delay, outcome.retry_after_s)
        return delay

    def waits_too_long(self, outcome: Outcome) -> bool:
        """The server asked for a longer pause than ``max_retry_after_s``."""
        wait = outcome.retry_after_s
        return wait is not None and wait > self.max_retry_after_s

    def refusal(self, outcome: Outcome) -> str:
        """Why ``outcome`` was not retried although transient, or "" if that is not why."""
        if not is_transient(outcome) or not self.waits_too_long(outcome):
            return ""
        assert outcome.retry_after_s is not None
        return _(
            "not retried: the server asked to wait {wait} (Retry-After), more than "
            "send.max_retry_after_s = {cap:g} s"
        ).format(wait=describe_wait(outcome.retry_after_s), cap=self.max_retry_after_s)


def describe_wait(seconds: float) -> str:
    """``99999`` -> ``"27 h 46 min"``; ``300`` -> ``"5 min"``; ``45`` -> ``"45 s"``."""
    whole = int(min(seconds, 1e12))  # a Retry-After of 10**400 is "inf" as a float
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days >= 2:
        return _("{days} days").format(days=days)
    hours += 24 * days
    if hours:
        return _("{hours} h {minutes} min").format(hours=hours, minutes=minutes)
    if minutes:
        return (
            _("{minutes} min").format(minutes=minutes)
            if not secs
            else _("{minutes} min {seconds} s").format(minutes=minutes, seconds=secs)
        )
    return _("{seconds} s").format(seconds=secs)
