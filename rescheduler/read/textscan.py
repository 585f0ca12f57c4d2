"""Decode a whole text file strictly in one codec (``encoding`` calls this for each reading).

``scan`` streams the file 1 MiB at a time and returns ``(lines, ends with a line break)`` or
why it does not decode (the text line, the bytes, their offset); a judge, when given, is fed
every chunk of text (``textjudge``, ``scriptjudge``, ``utf8judge``). While guessing, a NUL
character refuses the file at once: it is UTF-16 without a byte-order mark.
"""

from __future__ import annotations

import codecs
import io
from pathlib import Path

from rescheduler.errors import InputFileError
from rescheduler.i18n import _
from rescheduler.read.textjudge import Judge
from rescheduler.read.utf8judge import Utf8Judge

__all__ = ["error", "opened", "scan"]

_CHUNK = 1 << 20


def error(path: Path, message: str) -> InputFileError:
    return InputFileError(str(path), message)


def opened(path: Path) -> io.BufferedReader:
    try:
        return open(path, "rb")  # closed by the caller
    except OSError as exc:
        raise InputFileError(
            str(path), _("cannot open the file: {reason}").format(reason=exc.strerror or exc)
        ) from exc


def scan(
    path: Path,
    codec: str,
    skip: int,
    *,
    guessing: bool,
    judge: Judge | Utf8Judge | None = None,
) -> tuple[int, bool] | str:
    """Decode the whole file strictly: ``(lines, ends with a line break)``, or why it failed."""
    decoder = codecs.getincrementaldecoder(codec)("strict")
    newlines, pos, last = 0, skip, "\n"
    with opened(path) as f:
        f.seek(skip)
        while True:
            chunk = f.read(_CHUNK)
            pending = decoder.getstate()[0]
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                data = pending + chunk
                line = newlines + codecs.decode(data[: exc.start], codec, "replace").count("\n")
                return _(
                    "text line {line}: cannot decode byte(s) {bad} at byte offset {offset} "
                    "as {codec}"
                ).format(
                    line=line + 1,
                    bad=data[exc.start : exc.end][:4].hex(" ").upper(),
                    offset=pos - len(pending) + exc.start,
                    codec=codec,
                )
            except UnicodeError as exc:  # a codec's own complaint (not per byte)
                return _("cannot decode the file as {codec}: {reason}").format(
                    codec=codec, reason=exc
                )
            if guessing and "\x00" in text:
                raise error(
                    path,
                    _(
                        "the file contains NUL characters: it is probably UTF-16 without a "
                        "byte-order mark; give --encoding utf-16-le (or utf-16-be)"
                    ),
                )
            if judge is not None:
                judge.feed(text)
            newlines += text.count("\n")
            last = text[-1:] or last
            if not chunk:
                ended = last in "\r\n"
                return newlines + (last != "\n"), ended  # an unterminated last line counts
            pos += len(chunk)
