"""Is the input there at all? The one check that tells "nothing arrived" from "a bad file".

A nightly job reads a file another system exported. When that export did not arrive, the
right answer is a distinct exit code (4, ``InputMissing``) and one line saying so, not the
usage error a missing argument gives or the "cannot read" of a broken file (exit 2).

"Empty" means the file holds no bytes, or only byte-order marks and whitespace (an export that
wrote nothing). A file with a header row and no data rows is not empty: it is a valid file
with nothing to do (0 rows, exit 0).
"""

from __future__ import annotations

import os
from pathlib import Path

from rescheduler.errors import InputFileError, InputMissing
from rescheduler.i18n import _

_SMALL = 4096  # files up to this size are read to see whether they hold only blanks
_BLANK = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b" ", b"\t", b"\r", b"\n", b"\x00")


def require_input(path: Path) -> int:
    """The input's size in bytes; ``InputMissing`` if it is absent or empty.

    A folder (or a named pipe, a device) where the file should be is a usage problem
    (``InputFileError``, exit 2).
    """
    try:
        info = path.stat()
    except FileNotFoundError:
        raise InputMissing(str(path)) from None
    except OSError as exc:
        raise InputFileError(str(path), _("cannot read it: {error}").format(
            error=exc.strerror or exc
        )) from None
    if os.path.isdir(path):
        raise InputFileError(str(path), _("is a folder, not a file"))
    if not os.path.isfile(path):
        raise InputFileError(
            str(path), _("is not a regular file (a named pipe or a device): give the file itself")
        )
    if info.st_size == 0 or (info.st_size <= _SMALL and _only_blanks(path)):
        raise InputMissing(str(path), empty=True)
    return info.st_size


def _only_blanks(path: Path) -> bool:
    try:
        data = path.read_bytes()
    except OSError:
        return False  # let the reader say what is wrong with it
    for blank in _BLANK:
        data = data.replace(blank, b"")
    return not data
