"""Sign-in throttling, in memory (a restart forgets it, which only helps the real user).

An attempt is *reserved* before its password is hashed, and an attempt in flight counts
against the limits as a failure would: 200 guesses sent at once get no more checks than 200
sent one after another (they used to be all checked, the lock being read before the ~0.2 s
hash and the failure counted after it).

* Failures are counted per (name, address), per address and per account across addresses
  (``account_free``, default 20: a guesser spread over many addresses gets rising delays
  too). The caller passes addresses as ``guard.address_key`` gives them: an IPv6 address
  counts as its /64. After ``free`` failures a key is locked for ``base_s`` seconds,
  doubling with each further failure up to ``cap_s``. While a key is locked, sign-ins are
  refused without checking the password. A key that has used up its free failures allows one
  attempt at a time once its lock has run out. A success clears the (name, address) key; so
  does a quiet spell of twice ``cap_s``.
* **A known device** (a browser that signed in to this account before: ``device`` is the id
  of its signed cookie, ``devices.py``) is counted on its own key (name, device) only: the
  locks and the busy slot that a guesser's attempts put on the account and on the address do
  not apply to it, so the real user can still sign in during an attack on their account. It
  has its own slot (one check at a time) and a little room above the server-wide cap.
* Password checks in flight at once are capped per account (whatever the address: one, so a
  burst against one account holds at most one of the server's two hashing threads), per
  address and server-wide; past a cap the attempt is refused as "busy" (retry in a second),
  so a burst cannot queue up hashing work or slow other people's sign-ins.
* Old idle entries are dropped so memory stays bounded (``max_entries``).

``reserve`` answers ``None`` (go ahead: hash, then call ``failed`` or ``succeeded`` exactly
once, with the same arguments) or a ``Refusal``. Pure: a clock is passed in; no I/O, no event
loop.
"""

from __future__ import annotations

import ipaddress
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

BUSY_RETRY_S = 1.0
KNOWN_DEVICE_ROOM = 2  # checks a known device may add above the server-wide cap
Key = tuple[str, ...]


@dataclass
class _Entry:
    failures: int = 0
    in_flight: int = 0
    locked_until: float = 0.0
    last: float = 0.0


@dataclass(frozen=True)
class Refusal:
    wait_s: float
    busy: bool  # True: too many checks at once (not a lock); False: locked after failures


class LoginThrottle:
    def __init__(
        self,
        *,
        free: int = 5,
        base_s: float = 30.0,
        cap_s: float = 900.0,
        per_address_free: int = 50,
        account_free: int = 20,
        per_account_checks: int = 1,
        per_address_checks: int = 4,
        server_checks: int = 8,
        clock: Callable[[], float] = time.monotonic,
        max_entries: int = 10_000,
    ) -> None:
        self._free = free
        self._address_free = per_address_free
        self._account_free = account_free
        self._base = base_s
        self._cap = cap_s
        self._caps = {"account": per_account_checks, "address": per_address_checks, "known": 1}
        self._server_cap = server_checks
        self._clock = clock
        self._max = max_entries
        self._entries: dict[Key, _Entry] = {}
        self._checks: Counter[tuple[str, str]] = Counter()  # (gate, who)
        self._server = 0

    def _keys(self, name: str, address: str, device: str | None) -> list[tuple[Key, int]]:
        who = name.casefold()
        if device:
            return [(("device", who, device), self._free)]
        return [
            (("pair", who, address), self._free),
            (("address", address), self._address_free),
            (("account", who), self._account_free),
        ]

    def _gates(self, name: str, address: str, device: str | None) -> list[tuple[str, str]]:
        if device:
            return [("known", name.casefold())]
        return [("account", name.casefold()), ("address", address)]

    def wait_s(self, name: str, address: str, device: str | None = None) -> float:
        """Seconds until the locks that apply to this attempt end (0 = not locked)."""
        now = self._clock()
        waits = [0.0]
        for key, _ in self._keys(name, address, device):
            entry = self._entries.get(key)
            if entry is not None:
                waits.append(entry.locked_until - now)
        return max(waits)

    def reserve(self, name: str, address: str, device: str | None = None) -> Refusal | None:
        """Reserve one password check, or say why not (and for how long)."""
        now = self._clock()
        wait = self.wait_s(name, address, device)
        if wait > 0:
            return Refusal(wait, busy=False)
        keys = self._keys(name, address, device)
        for key, free in keys:
            entry = self._entries.get(key)
            if entry is None:
                continue
            self._refresh(entry, now)
            if entry.in_flight >= max(1, free - entry.failures):
                return Refusal(BUSY_RETRY_S, busy=False)
        gates = self._gates(name, address, device)
        server_cap = self._server_cap + (KNOWN_DEVICE_ROOM if device else 0)
        if self._server >= server_cap or any(
            self._checks[gate] >= self._caps[gate[0]] for gate in gates
        ):
            return Refusal(BUSY_RETRY_S, busy=True)
        if len(self._entries) + len(keys) > self._max:
            self._forget_idle(now)
        for key, _ in keys:
            entry = self._entries.setdefault(key, _Entry())
            entry.in_flight += 1
            entry.last = now
        for gate in gates:
            self._checks[gate] += 1
        self._server += 1
        return None

    def failed(self, name: str, address: str, device: str | None = None) -> bool:
        """A reserved check failed (or was abandoned); True if that started a lock."""
        now = self._clock()
        locked = False
        keys = self._keys(name, address, device)
        if len(self._entries) + len(keys) > self._max:
            self._forget_idle(now)
        for key, free in keys:
            entry = self._entries.setdefault(key, _Entry())
            self._refresh(entry, now)
            entry.in_flight = max(0, entry.in_flight - 1)
            entry.failures += 1
            entry.last = now
            over = entry.failures - free
            if over >= 0:
                entry.locked_until = now + min(self._cap, self._base * 2**over)
                locked = True
        self._release(name, address, device)
        return locked

    def succeeded(self, name: str, address: str, device: str | None = None) -> None:
        """A reserved check succeeded: this browser's own key is cleared (not the account's:
        a guesser's budget does not renew when the real user signs in)."""
        for key, _ in self._keys(name, address, device):
            entry = self._entries.get(key)
            if entry is None:
                continue
            if key[0] in ("pair", "device"):
                del self._entries[key]
            else:
                entry.in_flight = max(0, entry.in_flight - 1)
        self._release(name, address, device)

    def in_flight(self) -> int:
        """Password checks reserved and not yet settled, server-wide."""
        return self._server

    def _release(self, name: str, address: str, device: str | None) -> None:
        for gate in self._gates(name, address, device):
            self._checks[gate] -= 1
            if self._checks[gate] <= 0:
                del self._checks[gate]
        self._server = max(0, self._server - 1)

    def _refresh(self, entry: _Entry, now: float) -> None:
        if entry.in_flight == 0 and now - entry.last > self._cap * 2:
            entry.failures = 0  # quiet for long: start counting afresh

    def _forget_idle(self, now: float) -> None:
        idle = [
            k
            for k, e in self._entries.items()
            if e.in_flight == 0 and now - e.last > self._cap * 2
        ]
        for key in idle:
            del self._entries[key]
        if len(self._entries) + 3 > self._max:  # still full: forget the oldest idle half,
            settled = [k for k, e in self._entries.items() if e.in_flight == 0]
            # those whose lock has run out first (a flood of new names cannot lift a lock)
            settled.sort(key=lambda k: (self._entries[k].locked_until > now, self._entries[k].last))
            for key in settled[: max(3, len(settled) // 2)]:
                del self._entries[key]


def address_key(address: str) -> str:
    """Whose address this is, for counting: the IPv4 address, or the /64 of an IPv6 one (one
    host usually holds a whole /64); an IPv4-mapped IPv6 address is its IPv4 address."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((int(ip) >> 64 << 64, 64)))
    return str(ip)
