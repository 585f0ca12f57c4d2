"""A message fit for a page or the server log: no server paths, no keys, not too long (pure)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

MAX_MESSAGE = 2_000  # characters of a run-level message shown on a page


def scrub(
    message: str,
    input_path: Path | None,
    file_name: str,
    secrets: Iterable[str],
    limit: int | None = MAX_MESSAGE,
) -> str:
    """``message`` with the upload's path shown as its name, the run folder left out, every
    secret replaced by ``***`` and, with ``limit``, cut to that many characters."""
    if input_path is not None:
        run_dir = str(input_path.parent)
        message = message.replace(str(input_path), file_name)
        message = message.replace(run_dir + "/", "").replace(run_dir, "…")
    for secret in secrets:
        if secret:
            message = message.replace(secret, "***")
    if limit is not None and len(message) > limit:
        message = message[: limit - 1] + "…"
    return message
