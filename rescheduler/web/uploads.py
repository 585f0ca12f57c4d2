"""Receiving an upload: a streamed multipart body, a size limit, a safe file name.

The form sends two parts in this order: ``csrf`` (checked before a byte of the file is
stored), then ``file``. The file is written in chunks to the run folder under a name of our
own (``input.csv``, ``input.xlsx``...); the name the browser sent is only sanitised for display
and for the names of downloads. The limit is enforced while reading, whatever Content-Length
says, so an oversized or endless body never fills the disk.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path, PurePosixPath, PureWindowsPath
from urllib.parse import unquote

from aiohttp import BodyPartReader, MultipartReader
from aiohttp.http_exceptions import HttpProcessingError

from rescheduler.i18n import N_, _
from rescheduler.read.reader import CSV_SUFFIXES, SHEET_SUFFIXES

SUFFIXES = (*CSV_SUFFIXES, *SHEET_SUFFIXES)
FORM_INCOMPLETE = N_("The form arrived incomplete: reload the page and upload the file again.")
FORM_MALFORMED = N_(
    "The form could not be read: its parts are malformed (a header too long, or too many). "
    "Reload the page and upload the file again."
)
_CHUNK = 1 << 16
_MAX_NAME = 120
_UNSAFE = re.compile(r"[^\w .()\[\]+-]")


class UploadRefused(Exception):
    """The upload cannot be accepted; ``status`` is the HTTP status, the text says why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def safe_file_name(raw: str) -> str:
    """The last path component, NFC, without control or shell-special characters, not too long.

    Percent escapes are decoded first (browsers send ``"`` as ``%22``; some clients escape
    everything). Letters of any script stay (``换约名单.xlsx`` is a fine name); anything else
    unusual becomes ``_``. Never empty, never a dot file.
    """
    name = PureWindowsPath(PurePosixPath(unquote(raw)).name).name
    name = unicodedata.normalize("NFC", name)
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = _UNSAFE.sub("_", name).strip(" .")
    if len(name) > _MAX_NAME:
        stem, dot, suffix = name.rpartition(".")
        keep = _MAX_NAME - len(suffix) - 1
        name = f"{stem[:keep]}.{suffix}" if dot and 0 < len(suffix) <= 8 else name[:_MAX_NAME]
    return name or "upload"


def suffix_of(name: str) -> str:
    """The file's type by its suffix; UploadRefused for anything but the readable types."""
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise UploadRefused(
            415,
            _(
                "{name} is not a file this page can read. Open it in Excel (or WPS) and save it "
                "with File > Save As as an Excel Workbook (.xlsx) or as CSV UTF-8 (.csv), then "
                "upload that file."
            ).format(name=name),
        )
    return suffix


def too_big(limit: int, size: int | None = None) -> UploadRefused:
    text = _(
        "The file is too large: the limit is {limit} MB. Split it into smaller files and "
        "upload them one by one."
    )
    if size:
        text = _(
            "The file is too large ({size} MB): the limit is {limit} MB. Split it into smaller "
            "files and upload them one by one."
        )
    shown = f"{size / 1e6:.1f}" if size else ""
    return UploadRefused(413, text.format(size=shown, limit=f"{limit / 1e6:g}"))


async def _next(reader: MultipartReader) -> object:
    """The next part; a part whose headers aiohttp refuses (one over 8,190 bytes, more than
    128 of them, a malformed one) is a 400 with a clear message, not a 500."""
    try:
        return await reader.next()
    except (HttpProcessingError, ValueError) as exc:
        raise UploadRefused(400, _(FORM_MALFORMED)) from exc


async def read_field(reader: MultipartReader, name: str, max_bytes: int = 1024) -> str:
    """The next part, which must be the small text field ``name``."""
    part = await _next(reader)
    if not isinstance(part, BodyPartReader) or part.name != name:
        raise UploadRefused(400, _(FORM_INCOMPLETE))
    data = bytearray()
    try:
        while chunk := await part.read_chunk(256):
            data += chunk
            if len(data) > max_bytes:
                raise UploadRefused(400, _(FORM_INCOMPLETE))
    except (HttpProcessingError, ValueError) as exc:
        raise UploadRefused(400, _(FORM_MALFORMED)) from exc
    return data.decode("utf-8", "replace")


async def next_file_part(reader: MultipartReader) -> tuple[BodyPartReader, str, str]:
    """The ``file`` part, its sanitised name and its suffix; UploadRefused if it is wrong."""
    part = await _next(reader)
    if not isinstance(part, BodyPartReader) or part.name != "file" or not part.filename:
        raise UploadRefused(400, _("Choose a file to upload."))
    file_name = safe_file_name(part.filename)
    return part, file_name, suffix_of(file_name)


def over_quota(used: int, quota_mb: float) -> UploadRefused:
    return UploadRefused(
        413,
        _(
            "Your uploads and their files take {used} MB of the {quota} MB the page keeps for "
            "each person. Delete uploads you no longer need (History), then upload again."
        ).format(used=f"{used / 1e6:.0f}", quota=f"{quota_mb:g}"),
    )


async def save_part(
    part: BodyPartReader, target: Path, limit: int, refusal: UploadRefused | None = None
) -> int:
    """Stream ``part`` into ``target`` (a new file); its size, or UploadRefused (``refusal``
    when the file is over ``limit``, if given)."""
    size = 0
    try:
        with target.open("xb") as handle:
            while chunk := await part.read_chunk(_CHUNK):
                size += len(chunk)
                if size > limit:
                    raise refusal or too_big(limit)
                handle.write(chunk)
    except (HttpProcessingError, ValueError) as exc:
        _discard(target)
        raise UploadRefused(400, _(FORM_MALFORMED)) from exc
    except BaseException:
        _discard(target)
        raise
    if size == 0:
        _discard(target)
        raise UploadRefused(
            400, _("The file is empty (0 bytes): choose the file again, or save it again.")
        )
    return size


def _discard(path: Path) -> None:
    # Blocking, but one unlink on the server's own disk: cheaper than a thread hop.
    path.unlink(missing_ok=True)
