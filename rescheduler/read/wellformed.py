"""Is a workbook part well-formed XML? Checked by expat (C) as the part's bytes stream past.

Both ways of reading a sheet are lenient: python-calamine's parser and the streaming reader's
patterns read past broken markup, and what they make of it differs (measured: a ``<`` inside a
cell's text made calamine run that cell into the next row's first cell, ``a174...004``; a
cell left unclosed read as empty). Excel never writes such XML, and refuses to open it without
"repairing" it; so a sheet or shared-strings part that is not well-formed refuses the file,
rather than send what either reader guessed. A DTD is refused too (no spreadsheet writes one;
it is how entity bombs arrive). Cost: about 0.3 s of CPU per 27 MB of sheet XML (100,000 rows).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import IO
from xml.parsers import expat

from rescheduler.errors import InputFileError
from rescheduler.i18n import _

__all__ = ["NotWellFormed", "XmlCheck", "check_part", "well_formed"]

_CHUNK = 1 << 20


class NotWellFormed(Exception):  # internal; callers turn it into InputFileError
    """The part is not well-formed XML; ``str()`` says where and why, in expat's words."""


def _no_dtd(*_args: object) -> None:
    raise NotWellFormed(_("a DTD (<!DOCTYPE ...>), which no spreadsheet writes"))


class XmlCheck:
    """Feed a part's bytes in order, then ``close``; ``NotWellFormed`` at the first fault."""

    def __init__(self) -> None:
        self._parser = expat.ParserCreate()
        self._parser.StartDoctypeDeclHandler = _no_dtd

    def feed(self, data: bytes) -> None:
        self._parse(data, final=False)

    def close(self) -> None:
        self._parse(b"", final=True)

    def _parse(self, data: bytes, *, final: bool) -> None:
        try:
            self._parser.Parse(data, final)
        except expat.ExpatError as exc:
            where = _("line {line}, column {column}").format(line=exc.lineno, column=exc.offset + 1)
            raise NotWellFormed(f"{expat.ErrorString(exc.code)}, {where}") from None


@contextlib.contextmanager
def well_formed(what: str, error: Callable[[str], InputFileError]) -> Iterator[None]:
    """Turn ``NotWellFormed`` inside into ``error(message)``; ``what`` names the part."""
    try:
        yield
    except NotWellFormed as exc:
        raise error(
            _(
                "{part} is not well-formed XML ({reason}): the file was not saved by a "
                "spreadsheet program as it is, or is damaged. Open it in Excel and save it again"
            ).format(part=what, reason=exc)
        ) from None


def check_part(stream: IO[bytes], what: str, error: Callable[[str], InputFileError]) -> None:
    """Read a whole part (``stream``, closed here) through ``XmlCheck``."""
    xml = XmlCheck()
    with stream, well_formed(what, error):
        while chunk := stream.read(_CHUNK):
            xml.feed(chunk)
        xml.close()
