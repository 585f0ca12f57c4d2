"""Bounds on an uploaded workbook, checked before any spreadsheet reader opens it.

An .xlsx file is a zip archive. A hostile one can be small and unpack to gigabytes (a huge
shared-strings table, millions of rows of repeated XML), and a reader would then spend that
memory and time. This module reads only the archive's directory, what each member *declares*,
without unpacking anything, and refuses:

* more than ``max_entries`` members (the end-of-directory record is read first, so a directory
  of millions of entries is refused before it is parsed);
* a member that declares more than ``max_entry_bytes`` unpacked, or members that together
  declare more than ``max_total_bytes``;
* a member over ``ratio_floor_bytes`` unpacked that would grow more than ``max_ratio`` times
  (real spreadsheet XML packs 3-20 times; bombs pack hundreds or thousands of times).

A member that lies about its size is not trusted either: Python's ``zipfile`` stops at the
declared size and then fails the CRC check; and any reader runs in the bounded worker process
(``checkjob.py``: memory, CPU time and file-size limits), whatever library it uses. Pure but for
reading the file; no third-party imports.
"""

from __future__ import annotations

import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path

from rescheduler.errors import InputFileError
from rescheduler.i18n import _

_EOCD = b"PK\x05\x06"
_EOCD64_LOCATOR = b"PK\x06\x07"
_EOCD_SIZE = 22
_MAX_COMMENT = 0xFFFF
MB = 1_000_000


@dataclass(frozen=True)
class ZipLimits:
    max_entries: int = 1_000
    max_entry_bytes: int = 256 * MB
    max_total_bytes: int = 512 * MB
    max_ratio: float = 100.0
    ratio_floor_bytes: int = 1 * MB


def declared_entries(path: Path) -> int | None:
    """The member count the end-of-directory record declares (None if there is none)."""
    with path.open("rb") as handle:
        handle.seek(0, 2)
        size = handle.tell()
        start = max(0, size - _EOCD_SIZE - _MAX_COMMENT)
        handle.seek(start)
        tail = handle.read()
    at = tail.rfind(_EOCD)
    if at < 0 or len(tail) - at < _EOCD_SIZE:
        return None
    entries = int(struct.unpack("<H", tail[at + 10 : at + 12])[0])
    if entries == 0xFFFF and at >= 20 and tail[at - 20 : at - 16] == _EOCD64_LOCATOR:
        return 0xFFFF + 1  # zip64: more than 65,535 members declared; too many in any case
    return entries


def check_workbook(path: Path, limits: ZipLimits = ZipLimits()) -> None:
    """Raise ``InputFileError`` (naming ``path``) if the archive is over any bound.

    A file that is not a zip archive at all passes: the reader then says what is wrong with it.
    """
    entries = declared_entries(path)
    if entries is not None and entries > limits.max_entries:
        raise _refused(path, _too_many(entries, limits))
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return
    if len(members) > limits.max_entries:
        raise _refused(path, _too_many(len(members), limits))
    for member in members:
        size, packed = member.file_size, max(member.compress_size, 1)
        part = repr(member.filename[:80])
        if size > limits.ratio_floor_bytes and size / packed > limits.max_ratio:
            raise _refused(
                path,
                _(
                    "part {part} of the workbook would unpack to {ratio} times its packed size, "
                    "which no spreadsheet program writes (at most {limit} times is read): save "
                    "the sheet again from Excel, or as CSV UTF-8"
                ).format(
                    part=part, ratio=f"{size / packed:,.0f}", limit=f"{limits.max_ratio:,.0f}"
                ),
            )
        if size > limits.max_entry_bytes:
            raise _refused(
                path,
                _(
                    "part {part} of the workbook would unpack to {size} MB, more than the upload "
                    "page reads in one part ({limit} MB): split the sheet into smaller files"
                ).format(part=part, size=_mb(size), limit=_mb(limits.max_entry_bytes)),
            )
    total = sum(member.file_size for member in members)
    if total > limits.max_total_bytes:
        raise _refused(
            path,
            _(
                "the workbook would unpack to {size} MB, more than the upload page reads "
                "({limit} MB): split it into smaller files, or save it as CSV UTF-8"
            ).format(size=_mb(total), limit=_mb(limits.max_total_bytes)),
        )


def _mb(size: int) -> str:
    return f"{size / MB:,.0f}"


def _too_many(count: int, limits: ZipLimits) -> str:
    return _(
        "the workbook holds {count} parts; a sheet of changes has far fewer (at most {limit} "
        "are read): save the sheet again from Excel, or as CSV UTF-8"
    ).format(count=f"{count:,}", limit=f"{limits.max_entries:,}")


def _refused(path: Path, message: str) -> InputFileError:
    return InputFileError(str(path), message)
