"""A browser that signed in before: the signed "known device" cookie (``rs_device``).

After a successful sign-in the browser gets ``rs_device`` =
``<id>.<issued>.<name, base64>.<mac>``: a random id, the time it was issued, the account name
and an HMAC-SHA256 of the three with the server's device key (``data_dir/device.key``, 32
random bytes made on first use, mode 0600). The cookie is HttpOnly, SameSite=Strict, Secure
over HTTPS, and kept ``KEEP_DAYS``. It grants no access, only a sign-in slot of its own
(``throttle.py``): while someone guesses at an account from many addresses, its owner can
still sign in from a browser they used before. The password is checked as always.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
import time
from collections.abc import Callable
from pathlib import Path

DEVICE_COOKIE = "rs_device"
KEY_NAME = "device.key"
KEEP_DAYS = 180
DAY_S = 86_400


class Devices:
    def __init__(self, data_dir: Path, *, clock: Callable[[], float] = time.time) -> None:
        self._path = data_dir / KEY_NAME
        self._clock = clock
        self._key: bytes | None = None

    def _secret(self) -> bytes:
        if self._key is None:
            try:
                self._key = self._path.read_bytes()
            except FileNotFoundError:
                key = secrets.token_bytes(32)
                fd = os.open(self._path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as handle:
                    handle.write(key)
                self._key = key
        return self._key

    def _mac(self, body: str) -> str:
        return hmac.new(self._secret(), body.encode(), hashlib.sha256).hexdigest()

    def issue(self, name: str) -> str:
        """A new cookie value for a browser that has just signed in as ``name``."""
        encoded = base64.urlsafe_b64encode(name.casefold().encode()).decode().rstrip("=")
        body = f"{secrets.token_urlsafe(12)}.{int(self._clock())}.{encoded}"
        return f"{body}.{self._mac(body)}"

    def known(self, cookie: str | None, name: str) -> str | None:
        """The device's id if ``cookie`` is a valid, unexpired one for ``name``; else None."""
        if not cookie or len(cookie) > 400 or cookie.count(".") != 3:
            return None
        device, issued, encoded, mac = cookie.split(".")
        body = f"{device}.{issued}.{encoded}"
        if not hmac.compare_digest(mac.encode(), self._mac(body).encode()):
            return None
        try:
            owner = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
            age = self._clock() - int(issued)
        except (ValueError, binascii.Error, UnicodeDecodeError):
            return None
        if owner != name.casefold() or not 0 <= age <= KEEP_DAYS * DAY_S:
            return None
        return device
