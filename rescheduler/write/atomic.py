"""Write a file under a temporary name and give it its final name only when it is complete.

    with replacing(Path("tonight.csv")) as tmp:
        write_everything_to(tmp)
    # tonight.csv now exists, complete; or, after any exception (Ctrl-C too), it is untouched

The temporary file sits beside the target (``.tonight.1a2b3c4d.tmp.csv``: same directory, so
the final ``os.replace`` is an atomic rename on the same file system, and the suffix is kept for
writers that look at it). Whatever happens before the rename, the temporary file is removed and
an earlier file under the final name is left as it was; if the rename itself fails, the complete
file is kept under its temporary name and the error says where. Any output can adopt this.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from rescheduler.errors import OutputError
from rescheduler.i18n import _


def temporary_name(path: Path) -> Path:
    """A fresh hidden name beside ``path``, with the same suffix."""
    return path.with_name(f".{path.stem}.{os.urandom(4).hex()}.tmp{path.suffix}")


@contextlib.contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """Yield a temporary path; on success move it to ``path``, on any exception remove it."""
    path = Path(path)
    tmp = temporary_name(path)
    try:
        yield tmp
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    try:
        os.replace(tmp, path)
    except OSError as exc:
        raise OutputError(
            _(
                "cannot replace {path} ({error}; is it open in another program?); the complete "
                "file was saved as {tmp}"
            ).format(path=path, error=exc.strerror or exc, tmp=tmp)
        ) from exc
