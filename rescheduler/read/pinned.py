"""The input as it was when the run began: every pass reads the same bytes.

A run reads its input several times: pass one counts rows and finds duplicates, the snapshot
lists what the rows will change, pass two validates and sends, and a crash reads it again to
finish the report. Read by name each time, a file rewritten in place meanwhile (``cp
new.csv changes.csv`` truncates and rewrites the same file) gave pass two other bytes than
pass one checked: rows missing from the results, fragments of lines sent as values.

``pin(path, folder)`` copies the file once, hashing it, into a private copy (a file without a
name in ``folder``, gone when the run ends or dies), and refuses a file that changed while it
was copied. The readers get ``pinned.path``, an ``InputPath``: a path that names the user's
file (in every message, its suffix choosing the reader) and opens the copy. So whatever
happens to the file, every pass reads one version of it, and no row is ever read from bytes
that changed.

``changed()`` says whether the file under its name is no longer what was copied (rewritten,
replaced, removed; a file touched or copied over with the same bytes is not a change): the
engine stops sending then, since the person or job rewriting it meant something else.

When there is no room for the copy (a full disk, ``ulimit -f``), the file is read in place
through the descriptor opened first, which keeps the file the run started with even when
another is renamed over it; a rewrite in place is then caught by ``guard`` before each row
is handed on (size and times of the open file: the run stops there, the report is left
incomplete rather than hold rows read from changed bytes, and ``--resume`` finishes).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, TypeVar

from rescheduler.errors import InputChanged, InputFileError, OutputError
from rescheduler.i18n import _

log = logging.getLogger("rescheduler")
T = TypeVar("T")
_CHUNK = 1 << 20
_TRIES = 3
_PROC_FD = Path("/proc/self/fd")


class InputPath(type(Path())):  # type: ignore[misc]  # PosixPath or WindowsPath
    """A path that names the user's file but opens the pinned copy (``os.fspath``).

    ``str()``, ``name``, ``suffix`` and every message are the user's file; ``open()``,
    ``stat()``, zipfile, calamine (given ``os.fspath``) read the copy. Paths derived from it
    (``with_name``, ``parent``) are ordinary: they name and open the same place.
    """

    _source: str | None = None

    def __fspath__(self) -> str:
        return self._source or str(self)


def input_path(name: Path, source: str) -> InputPath:
    path = InputPath(name)
    path._source = source
    return path


@dataclass(frozen=True)
class Fingerprint:
    device: int
    inode: int
    size: int
    mtime_ns: int
    ctime_ns: int

    @classmethod
    def of(cls, info: os.stat_result) -> Fingerprint:
        return cls(info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


class PinnedInput:
    """The input pinned for one run; a context manager (``close`` removes the copy).

    ``copy`` None: no room for a copy, the file is read in place (see ``guard``)."""

    def __init__(
        self, name: Path, copy: IO[bytes] | None, original: int, seen: Fingerprint, sha: str
    ) -> None:
        self.name = name
        self.sha256 = sha  # of the bytes every pass reads ("" when read in place)
        self.size = seen.size
        self._copy = copy
        self._original = original  # the file as opened: its inode, whatever its name says
        self._seen = seen
        fd = copy.fileno() if copy is not None else original
        source = _PROC_FD / str(fd)
        if source.exists():
            self.path = input_path(name, str(source))
        elif copy is not None:
            self.path = input_path(name, str(copy.name))
        else:  # no /proc: read by name (a file renamed over it is caught by ``changed``)
            self.path = input_path(name, str(name))

    @property
    def copied(self) -> bool:
        return self._copy is not None

    def guard(self, rows: Iterator[T], stopped: Callable[[str], None]) -> Iterator[T]:
        """``rows`` as they are, from a copy; read in place, they end at the first row after
        the open file changed (``stopped(how)`` is called): no row read from changed bytes
        is handed on."""
        if self._copy is not None:
            yield from rows
            return
        original, seen = self._original, self._seen
        for row in rows:
            if Fingerprint.of(os.fstat(original)) != seen:
                stopped(_("it was rewritten"))
                return
            yield row

    def changed(self) -> str | None:
        """How the file under its name differs from the copy now (None: it does not)."""
        try:
            now = Fingerprint.of(os.fstat(self._original))
        except OSError:
            now = None
        try:
            named = Fingerprint.of(os.stat(self.name))
        except FileNotFoundError:
            return _("it was removed")
        except OSError as exc:
            return str(exc.strerror or exc)
        if (named.device, named.inode) != (self._seen.device, self._seen.inode):
            what = _("it was replaced by another file")
        elif now != self._seen:
            what = _("it was rewritten")
        else:
            return None
        if self.sha256 and _digest(self.name)[0] == self.sha256:  # the same bytes (touch, cp)
            self._seen = named
            with contextlib.suppress(OSError):
                os.close(self._original)
                self._original = os.open(self.name, os.O_RDONLY)
            return None
        return what

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self._original)
        if self._copy is not None:
            self._copy.close()

    def __enter__(self) -> PinnedInput:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def pin(name: Path, folder: Path) -> PinnedInput:
    """Copy ``name`` into a private file in ``folder``; ``InputFileError`` if the file keeps
    changing while it is copied, ``OutputError`` if the copy cannot be written."""
    try:
        original = os.open(name, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise InputFileError(
            str(name), _("cannot open the file: {reason}").format(reason=exc.strerror or exc)
        ) from None
    try:
        for _try in range(_TRIES):
            try:
                pinned = _copy(name, original, folder)
            except OutputError as exc:  # no room for a copy: read the file in place
                log.warning("%s; reading the input in place", exc)
                seen = Fingerprint.of(os.fstat(original))
                return PinnedInput(name, None, original, seen, "")
            if pinned is not None:
                return pinned
    except BaseException:
        os.close(original)
        raise
    os.close(original)
    raise InputFileError(
        str(name),
        _(
            "the file changed while it was being read (is it still being written?); nothing "
            "was sent: run again once it is complete"
        ),
    )


def _copy(name: Path, original: int, folder: Path) -> PinnedInput | None:
    """One copy of ``original``; None if the file changed while it was copied."""
    before = Fingerprint.of(os.fstat(original))
    try:
        copy = tempfile.TemporaryFile(dir=folder, prefix=".rescheduler-input-")  # noqa: SIM115
    except OSError as exc:
        raise _no_copy(folder, exc) from None
    digest = hashlib.sha256()
    size = 0
    with contextlib.ExitStack() as undo:
        undo.callback(copy.close)  # unless the copy is complete and kept
        while True:
            try:
                chunk = os.pread(original, _CHUNK, size)
            except OSError as exc:
                raise InputFileError(
                    str(name),
                    _("cannot read the file: {reason}").format(reason=exc.strerror or exc),
                ) from None
            if not chunk:
                break
            digest.update(chunk)
            try:
                copy.write(chunk)
            except OSError as exc:
                raise _no_copy(folder, exc) from None
            size += len(chunk)
        try:
            copy.flush()
        except OSError as exc:
            raise _no_copy(folder, exc) from None
        after = Fingerprint.of(os.fstat(original))
        if after != before or size != after.size:
            return None
        undo.pop_all()
    return PinnedInput(name, copy, original, after, digest.hexdigest())


def _no_copy(folder: Path, exc: OSError) -> OutputError:
    return OutputError(
        _("cannot copy the input into {folder} ({reason})").format(
            folder=folder, reason=exc.strerror or exc
        ),
        path=folder,
        errno=exc.errno,
    )


def _digest(path: Path) -> tuple[str, int]:
    """SHA-256 and size of ``path`` now ("" if it cannot be read)."""
    digest = hashlib.sha256()
    size = 0
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
                size += len(chunk)
    except OSError:
        return "", 0
    return digest.hexdigest(), size


def changed_before_sending(name: Path, how: str) -> InputFileError:
    """The input changed before anything was sent: the run stops there (exit 2)."""
    return InputFileError(
        str(name),
        _(
            "the file changed while it was being read ({how}); nothing was sent: run again "
            "once it is complete"
        ).format(how=how),
    )


def changed_while_sending(name: Path, how: str) -> InputChanged:
    """The input changed while the run was sending: no new request starts (exit 3)."""
    return InputChanged(
        _(
            "the input file {path} changed during the run ({how}); every row sent was read "
            "before the change; the rows not sent yet are not_sent: check the file, then run "
            "it again (--resume skips the rows already done)"
        ).format(path=name, how=how)
    )
