"""Password hashing with the standard library's scrypt (memory-hard; no extra dependency).

A hash is stored as ``scrypt$<log2 N>$<r>$<p>$<salt b64>$<key b64>`` so the cost can be raised
later without invalidating older hashes. The default cost, N=2^15, r=8, p=3 (32 MiB, about
0.2 s here), is one of OWASP's recommended scrypt settings. Checks compare in constant time,
and ``verify_password(None, ...)`` spends the same time as a real check, so a sign-in for an
unknown name cannot be told apart by its timing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from dataclasses import dataclass

from rescheduler.i18n import _

MIN_LENGTH = 10
_KEY_BYTES = 32


@dataclass(frozen=True)
class Cost:
    log2_n: int = 15
    r: int = 8
    p: int = 3

    @property
    def maxmem(self) -> int:
        return 256 * (1 << self.log2_n) * self.r + (1 << 20)


COST = Cost()  # tests lower it (monkeypatch) to keep sign-ins fast
_dummy: dict[Cost, str] = {}  # one dummy hash per cost, made once (``dummy_hash``)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _derive(password: str, salt: bytes, cost: Cost) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt,
        n=1 << cost.log2_n,
        r=cost.r,
        p=cost.p,
        maxmem=cost.maxmem,
        dklen=_KEY_BYTES,
    )


def hash_password(password: str, cost: Cost | None = None) -> str:
    cost = cost or COST
    salt = os.urandom(16)
    key = _derive(password, salt, cost)
    return f"scrypt${cost.log2_n}${cost.r}${cost.p}${_b64(salt)}${_b64(key)}"


def dummy_hash() -> str:
    """A hash at today's cost that no password matches, made once per cost.

    An unknown name is checked against it, so it costs exactly one key derivation, as a real
    name does. (It used to be recomputed on every call: two derivations, twice the time.) The
    server makes it at start-up, so the first unknown name is not slower either.
    """
    cost = COST
    stored = _dummy.get(cost)
    if stored is None:
        stored = _dummy[cost] = hash_password(os.urandom(16).hex(), cost)
    return stored


def verify_password(stored: str | None, password: str) -> bool:
    """True if ``password`` matches ``stored``; None or a malformed hash never matches."""
    if stored is None:
        _check(dummy_hash(), password)
        return False
    return _check(stored, password)


def _check(stored: str, password: str) -> bool:
    try:
        scheme, log2_n, r, p, salt, key = stored.split("$")
        cost = Cost(int(log2_n), int(r), int(p))
        if scheme != "scrypt" or not (1 <= cost.log2_n <= 20 and 1 <= cost.r * cost.p <= 64):
            return False
        expected = base64.b64decode(key, validate=True)
        actual = _derive(password, base64.b64decode(salt, validate=True), cost)
    except (ValueError, binascii.Error):
        return False
    return hmac.compare_digest(actual, expected)


def password_problem(name: str, password: str) -> str | None:
    """Why a new password is refused, or None."""
    if len(password) < MIN_LENGTH:
        return _("the password must have at least {n} characters").format(n=MIN_LENGTH)
    if password.strip().casefold() == name.casefold():
        return _("the password must not be the user name")
    return None
