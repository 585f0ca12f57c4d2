"""The audit log: who did what, when and from where, one JSON object a line, append-only.

``data_dir/audit.log`` (mode 0600) records sign-ins, failed sign-ins (and the locks they start),
sign-outs, uploads, checks cancelled, starts, stops, downloads, deletions, files removed by
retention and account changes made with ``rescheduler user``. Every line is written with one
``write`` on a file opened ``O_APPEND``, so the server and the ``user`` commands can both
append without tearing lines, and nothing ever rewrites or trims the file. Values are JSON
strings, with U+0085, U+2028 and U+2029 escaped too: a name typed into the sign-in form cannot
forge a line. Names are cut at 100
characters. ``rescheduler user audit`` prints it.

Entry: ``{"time": <epoch s>, "event": ..., "user": ..., "from": <address or "cli">, ...}``
plus event details (``run``, ``file``, ``kind``, ``role``, ``by``, ``count``).
"""

from __future__ import annotations

import json
import os
import time
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

AUDIT_NAME = "audit.log"
_MAX_VALUE = 100
# Characters that end a line for Python's splitlines and for editors, though JSON may leave them
# raw: escaped, so a crafted name cannot look like two entries (in JSON they are one string).
_LINE_BREAKS = {ord(ch): f"\\u{ord(ch):04x}" for ch in "\x85\u2028\u2029"}


class AuditLog:
    def __init__(self, data_dir: Path, *, clock: Callable[[], float] = time.time) -> None:
        self.path = data_dir / AUDIT_NAME
        self._clock = clock

    def record(self, event: str, user: str, address: str, **details: object) -> None:
        """Append one entry. A failure to write is logged by the caller's logger, not raised:
        the audit log must not take the page down (the disk being full, say)."""
        entry: dict[str, Any] = {
            "time": round(self._clock(), 3),
            "event": event,
            "user": _short(user),
            "from": _short(address),
        }
        entry.update({k: _short(v) if isinstance(v, str) else v for k, v in details.items()})
        line = json.dumps(entry, ensure_ascii=False, separators=(",", ":"))
        line = line.translate(_LINE_BREAKS) + "\n"  # JSON leaves these raw; many tools split
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line.encode("utf-8"))
        finally:
            os.close(fd)

    def entries(self, last: int | None = None) -> Iterator[dict[str, Any]]:
        """The entries, oldest first (only the ``last`` ones if given); bad lines are skipped."""
        if not self.path.is_file():
            return iter(())
        with self.path.open(encoding="utf-8", errors="replace") as handle:
            lines = deque(handle, maxlen=last) if last else list(handle)
        return (entry for entry in map(_parse, lines) if entry is not None)


def _short(value: str) -> str:
    return value if len(value) <= _MAX_VALUE else value[: _MAX_VALUE - 1] + "…"


def _parse(line: str) -> dict[str, Any] | None:
    try:
        entry = json.loads(line)
    except ValueError:
        return None
    return entry if isinstance(entry, dict) else None


def format_entry(entry: dict[str, Any]) -> str:
    """One entry as a line for a terminal: time, event, who, from where, then the details.

    Every value is shown with its control characters escaped (``repr`` style), so a crafted
    name cannot move the cursor or fake another line.
    """
    from datetime import datetime

    when = datetime.fromtimestamp(float(entry.get("time", 0))).astimezone()
    fixed = ("time", "event", "user", "from")
    parts = [
        when.strftime("%Y-%m-%d %H:%M:%S %z"),
        _safe(entry.get("event", "")),
        _safe(entry.get("user", "")),
        "from " + _safe(entry.get("from", "")),
    ]
    parts += [f"{key}={_safe(value)}" for key, value in entry.items() if key not in fixed]
    return "  ".join(parts)


def _safe(value: object) -> str:
    text = str(value)
    if text.isprintable():
        return text
    return repr(text)
