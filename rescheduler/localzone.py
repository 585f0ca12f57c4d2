"""Which IANA time zone applies to times written without an offset."""

from __future__ import annotations

import os
from pathlib import Path
from zoneinfo import ZoneInfo

from rescheduler.i18n import _


def _system_zone_name() -> str:
    """The machine's IANA zone name: $TZ, /etc/timezone, or the /etc/localtime link; else UTC."""
    tz = os.environ.get("TZ", "").lstrip(":")
    if tz and "/" in tz and not tz.startswith("/"):
        return tz
    try:
        text = Path("/etc/timezone").read_text(encoding="utf-8").strip()
        if text:
            return text
    except OSError:
        pass
    try:
        target = os.readlink("/etc/localtime")
    except OSError:
        return "UTC"
    marker = "zoneinfo/"
    return target.split(marker, 1)[1] if marker in target else "UTC"


def resolve_timezone(name: str) -> tuple[ZoneInfo, str]:
    """The zone for times written without an offset, and a label saying where it came from."""
    from zoneinfo import ZoneInfo as Zone
    from zoneinfo import ZoneInfoNotFoundError

    if name:
        return Zone(name), name
    system = _system_zone_name()
    try:
        label = _("{zone} (this machine's zone; set input.timezone to choose)")
        return Zone(system), label.format(zone=system)
    except (ZoneInfoNotFoundError, ValueError):
        label = _("UTC (this machine's zone is unknown; set input.timezone to choose)")
        return Zone("UTC"), label
