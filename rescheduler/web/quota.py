"""How much disk one upload may cost: each file a check or a run writes, and each person's total.

* Each file written for an upload (the validation files of the check, the results, errors and
  journal of a run) may take at most ``max(20 MB, 20 x the upload)``, and never more than
  ``web.max_output_mb`` (default 100): a small hostile file (200,000 empty columns, a few
  thousand rows) no longer leaves a gigabyte behind. The workers enforce it with
  ``RLIMIT_FSIZE``; a check that hits it is refused and its partial files are deleted.
* ``web.quota_mb`` (default 1,000; 0 = none): the most the uploads of one person and all their
  files may take together. An upload past it is refused with what to do (delete old uploads);
  a check or a run may write no file larger than what is left.

``Budget`` is pure; ``used_bytes`` walks the person's run folders (call it in a thread).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

MB = 1_000_000
OUTPUT_FLOOR = 20 * MB
OUTPUT_FACTOR = 20
MIN_FILE = 1 * MB  # below this a worker could not even write a header


@dataclass(frozen=True)
class Budget:
    """The room one upload's files have: the per-file cap and what the quota leaves."""

    max_output_mb: float
    quota_mb: float  # 0 = no quota
    used: int  # bytes the person's files take now (the upload included)

    @property
    def left(self) -> int | None:
        """Bytes the quota still allows (None: no quota)."""
        if self.quota_mb <= 0:
            return None
        return max(0, int(self.quota_mb * MB) - self.used)

    def output_cap(self, input_size: int) -> int:
        return int(min(self.max_output_mb * MB, max(OUTPUT_FLOOR, OUTPUT_FACTOR * input_size)))

    def file_limit(self, input_size: int) -> tuple[int, bool]:
        """The most one file may take, and whether the quota (not the cap) set it."""
        cap = self.output_cap(input_size)
        left = self.left
        if left is not None and left < cap:
            return max(MIN_FILE, left), True
        return cap, False


def used_bytes(folders: Iterable[Path]) -> int:
    """The bytes the files in ``folders`` take (missing folders count 0)."""
    total = 0
    for folder in folders:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.is_file(follow_symlinks=False):
                    total += entry.stat(follow_symlinks=False).st_size
            except OSError:
                continue
    return total
