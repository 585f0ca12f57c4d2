"""Write a file under a temporary name and give it its final name only when it is complete.

    with replacing(Path("tonight.csv")) as tmp:
        write_everything_to(tmp)
    # tonight.csv now exists, complete; or, after any exception (Ctrl-C too), it is untouched

The temporary file sits beside the target (``.tonight.1a2b3c4d.tmp.csv``: same directory, so
the final ``os.replace`` is an atomic rename on the same file system, and the suffix is kept for
writers that look at it). Whatever happens before the rename, the temporary file is removed and
an earlier file under the final name is left as it was; if the rename itself fails, the complete
file is kept under its temporary name and the error says where. Any output can adopt this.

:func:`write_atomic` does the same for a small text (the run record, the metrics file), flushed
to disk before the rename, under a temporary name that ends in ``.tmp`` only: node_exporter's
textfile collector reads every ``*.prom`` in its folder, so a half-written ``.x.tmp.prom`` would
be read.
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


def write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` (UTF-8) atomically; ``OutputError`` if that cannot be done.

    Only a regular file that is not read-only is replaced: never a device, a FIFO or a
    folder (``--metrics-file /dev/full`` once turned the device into a file).
    """
    from rescheduler.write.targets import check_target

    check_target(path)
    tmp = path.with_name(f".{path.name}.{os.urandom(4).hex()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # umask applies
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError):
            raise OutputError(
                _("{path}: cannot write it: {error}").format(path=path, error=exc.strerror or exc)
            ) from None
        raise
