"""The one scrubber: the secret key and request signatures out of every text rescheduler keeps.

Two kinds of text may hold one: a traceback (the crash log, ``--debug``; see ``lastresort``)
and what a server sends back (``resultDesc``, ``returnDesc``, an error page, a reason phrase,
a ``Location``), which a misbehaving server may fill with the Authorization header it got.
Both pass through :func:`scrub` before they are stored or shown. Pure, no I/O.

What is hidden: every value given in ``secrets`` (the secret key, the Authorization value and
the signature of the request that was answered; the environment's secret key always), and
anything shaped like an auth-v2 Authorization value (``auth-v2/AK/stamp/host/signature``).
Values shorter than 4 characters are not secrets (hiding them would eat ordinary text).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

from rescheduler.secret import ENV_SECRET

HIDDEN = "***"
SCHEME = "auth-v2/"
_SIGNATURE = re.compile(r"auth-v2/[^\s'\",;]+")  # an Authorization value: AK/stamp/host/signature
_MIN_SECRET = 4


def _values(secrets: Iterable[str]) -> list[str]:
    found = {s for s in (*secrets, os.environ.get(ENV_SECRET, "")) if len(s) >= _MIN_SECRET}
    return sorted(found, key=len, reverse=True)  # the longest first: a secret inside another


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` without the secret key (``secrets``, the environment's) or any signature."""
    for value in _values(secrets):
        if value in text:
            text = text.replace(value, HIDDEN)
    if SCHEME in text:
        text = _SIGNATURE.sub(f"{SCHEME}{HIDDEN}", text)
    return text


class Scrubber:
    """:func:`scrub` with the secrets fixed once, for a text per answer (the transport's).

    ``extra`` values (the Authorization value and signature of the request answered) are
    hidden too. ``dirty`` is the cheap test: most answers hold nothing to hide.
    """

    __slots__ = ("_values",)

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._values = _values(secrets)

    def dirty(self, text: str, *extra: str) -> bool:
        if SCHEME in text:
            return True
        return any(v in text for v in self._values) or any(
            len(v) >= _MIN_SECRET and v in text for v in extra
        )

    def __call__(self, text: str, *extra: str) -> str:
        return scrub(text, (*self._values, *extra)) if self.dirty(text, *extra) else text
