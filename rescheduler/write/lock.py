"""One process at a time: an exclusive, non-blocking ``flock`` on a small lock file.

The lock file holds the owner's process ID, so a refused process can say who holds it. The
kernel drops the lock when the owner exits, however it exits (kill -9 included), so a stale
lock file is harmless: the next run simply takes it. Lock files are left in place (removing
one while another process waits to open it would let two processes each hold "the" lock).
Without ``fcntl`` (not POSIX) there is no locking.
"""

from __future__ import annotations

import os
from pathlib import Path


class Busy(Exception):
    """Another process holds the lock; ``holder`` is its process ID when known."""

    def __init__(self, path: Path, holder: int | None) -> None:
        super().__init__(str(path))
        self.path = path
        self.holder = holder


def acquire(path: Path, *, create: bool = True) -> int:
    """Lock ``path`` (created if missing); returns the descriptor that holds the lock.

    Raises ``Busy`` if another process holds it, ``OSError`` if the file cannot be created
    (``FileNotFoundError`` when it is missing and ``create`` is False: every writer creates
    its lock file before it writes, so no lock file means nobody is writing).
    """
    fd = os.open(path, os.O_RDWR | (os.O_CREAT if create else 0), 0o600)
    try:
        import fcntl
    except ImportError:  # not POSIX: no locking
        return fd
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = _holder(fd)
        os.close(fd)
        raise Busy(path, holder) from None
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
    except OSError:
        pass  # the PID is a courtesy for messages; the lock is what counts
    return fd


def held_elsewhere(path: Path) -> bool:
    """Whether another open lock holds ``path`` now (a missing lock file: no one; nothing is
    created)."""
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        return False
    try:
        import fcntl
    except ImportError:
        os.close(fd)
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def release(fd: int) -> None:
    os.close(fd)  # closing the descriptor releases the flock


def _holder(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None
