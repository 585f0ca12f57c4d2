"""The files a run writes, registered by whoever writes them, for the run record.

One :class:`Outputs` travels with a run (``Job.outputs``). Each stage that writes a file adds
it with a kind (``results``, ``errors``, ``journal``; later ``before``, ``undo``, ...), and the
caller adds its own (``run_record``, ``metrics``, ``log``). The run record lists the ones that
exist when the run ends, so a stage registers a file when it decides its path and need not
know whether it got as far as writing it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rescheduler.write.targets import FLAGS, Target

OWN = frozenset({"results", "errors", "journal"})  # the engine's own files, checked by RunFiles


@dataclass
class Outputs:
    files: list[tuple[str, Path]] = field(default_factory=list)

    def add(self, kind: str, path: Path | None) -> None:
        """Register ``path`` as a file of this ``kind`` (None and repeats are ignored)."""
        if path is not None and (kind, path) not in self.files:
            self.files.append((kind, path))

    def existing(self) -> list[tuple[str, Path]]:
        """The registered files that exist now, in the order they were registered."""
        return [(kind, path) for kind, path in self.files if path.exists()]

    def side_targets(self) -> list[Target]:
        """The registered files other than the results, errors and journal, as ``Target``s
        (checked with them: none may be the input or another output)."""
        return [
            Target(kind, path, FLAGS.get(kind, "--out"))
            for kind, path in self.files
            if kind not in OWN
        ]
