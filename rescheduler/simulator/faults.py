"""Deterministic fault injection and the simulator's flow control (no aiohttp here).

A request's fate is a pure function of ``(seed, appointId, attempt)``, where ``attempt`` is how
many times the simulator has seen that appointId (1 for the first request). Nothing is drawn
from a shared random stream, so the decisions do not depend on how concurrent requests
interleave, and a client that retries an ID gets a fresh, still reproducible, draw each time.

A fault never applies the update. (A "reset after the update was applied" fault, which would
test a client's idempotency, would be a separate knob; it does not exist yet.)

The 429 rate limit is the one time-dependent behaviour: a token bucket refilled at
``rate_limit_per_s`` with a burst of one second's worth, shared by all requests of the process.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, fields
from enum import StrEnum


class FaultKind(StrEnum):
    """What the simulator does instead of handling the request."""

    NONE = "none"
    HTTP_503 = "http_503"
    HTTP_500 = "http_500"
    HTTP_502 = "http_502"
    HTTP_504 = "http_504"
    RESET = "reset"  # the connection is closed abruptly (TCP RST), no answer
    HANG = "hang"  # no answer for ``hang_s`` seconds, then the connection is reset
    DB_ERROR = "db_error"  # HTTP 200, code 0200006
    TOO_FAST = "too_fast"  # HTTP 200, code 0200022


# Probability field -> fault, in the order the cumulative draw walks them.
_PROBABILITIES: tuple[tuple[str, FaultKind], ...] = (
    ("p_503", FaultKind.HTTP_503),
    ("p_500", FaultKind.HTTP_500),
    ("p_502", FaultKind.HTTP_502),
    ("p_504", FaultKind.HTTP_504),
    ("p_reset", FaultKind.RESET),
    ("p_hang", FaultKind.HANG),
    ("p_db_error", FaultKind.DB_ERROR),
    ("p_too_fast", FaultKind.TOO_FAST),
)
_SCALE = float(1 << 64)


@dataclass(frozen=True, slots=True)
class FaultPlan:
    """Fault probabilities (each 0..1, summing to at most 1), latency and flow control."""

    seed: int = 0
    p_503: float = 0.0
    p_500: float = 0.0
    p_502: float = 0.0
    p_504: float = 0.0
    p_reset: float = 0.0
    p_hang: float = 0.0
    p_db_error: float = 0.0
    p_too_fast: float = 0.0
    latency_ms: float = 0.0
    latency_jitter_ms: float = 0.0
    rate_limit_per_s: float | None = None
    retry_after_s: int = 1
    hang_s: float = 3600.0

    def __post_init__(self) -> None:
        total = 0.0
        for name, _ in _PROBABILITIES:
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {value}")
            total += value
        if total > 1.0 + 1e-9:
            raise ValueError(f"fault probabilities add up to {total:g}, more than 1")
        for name in ("latency_ms", "latency_jitter_ms", "hang_s"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        if self.rate_limit_per_s is not None and self.rate_limit_per_s <= 0:
            raise ValueError("rate_limit_per_s must be positive (or None for no limit)")
        if self.retry_after_s < 0:
            raise ValueError("retry_after_s must not be negative")

    @property
    def injects_faults(self) -> bool:
        """True if any fault probability is non-zero."""
        return any(getattr(self, name) > 0.0 for name, _ in _PROBABILITIES)

    @property
    def has_latency(self) -> bool:
        return self.latency_ms > 0.0 or self.latency_jitter_ms > 0.0

    def summary(self) -> dict[str, float | int | None]:
        """Every knob by name (for ``/_sim/stats``)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True, slots=True)
class Decision:
    """The fate of one request: a fault (or none) and the latency to add before answering."""

    fault: FaultKind
    delay_s: float


def _draws(seed: int, appoint_id: str, attempt: int) -> tuple[float, float]:
    """Two independent uniform numbers in [0, 1) from a hash of the inputs."""
    digest = hashlib.blake2b(
        f"{seed}\x1f{appoint_id}\x1f{attempt}".encode(), digest_size=16
    ).digest()
    return (
        int.from_bytes(digest[:8], "big") / _SCALE,
        int.from_bytes(digest[8:], "big") / _SCALE,
    )


def decide(plan: FaultPlan, appoint_id: str, attempt: int) -> Decision:
    """The deterministic decision for the ``attempt``-th request seen for ``appoint_id``."""
    fault_draw, jitter_draw = _draws(plan.seed, appoint_id, attempt)
    fault = FaultKind.NONE
    edge = 0.0
    for name, kind in _PROBABILITIES:
        edge += getattr(plan, name)
        if fault_draw < edge:
            fault = kind
            break
    delay_ms = plan.latency_ms + plan.latency_jitter_ms * jitter_draw
    return Decision(fault, delay_ms / 1000.0)


class RateLimiter:
    """Token bucket: ``rate`` requests per second on average, bursts of up to ``rate``."""

    __slots__ = ("_capacity", "_last", "_rate", "_tokens")

    def __init__(self, rate_per_s: float, now: float | None = None) -> None:
        self._rate = rate_per_s
        self._capacity = max(rate_per_s, 1.0)
        self._tokens = self._capacity
        self._last = time.monotonic() if now is None else now

    def allow(self, now: float | None = None) -> bool:
        """Take a token if one is available; False means "answer 429"."""
        if now is None:
            now = time.monotonic()
        elapsed = now - self._last
        self._last = now
        tokens = min(self._capacity, self._tokens + elapsed * self._rate)
        if tokens >= 1.0:
            self._tokens = tokens - 1.0
            return True
        self._tokens = tokens
        return False
