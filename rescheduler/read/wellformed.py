"""Is a workbook part XML as a spreadsheet writes it? Checked by expat (C) as its bytes stream past.

Both ways of reading a sheet are lenient: python-calamine's parser and the streaming reader's
patterns read past broken markup, and what they make of it differs (measured: a ``<`` inside a
cell's text made calamine run that cell into the next row's first cell, ``a174...004``; a
cell left unclosed read as empty). Excel never writes such XML, and refuses to open it without
"repairing" it; so a sheet or shared-strings part that is not well-formed refuses the file,
rather than send what either reader guessed. So do well-formed things no spreadsheet writes
and the readers read differently: a DTD (how entity bombs arrive), a comment or processing
instruction (calamine skips one; the streaming reader read a row commented out), markup
inside a CDATA section (the streaming reader cut the cell inside it). XML that stops before
its root element ends is a copy cut short. Cost: about 0.3 s of CPU per 27 MB of sheet XML
(100,000 rows), the handlers besides running only when the part holds such a thing.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator
from typing import IO
from xml.parsers import expat

from rescheduler.errors import InputFileError
from rescheduler.i18n import _

__all__ = ["NotWellFormed", "XmlCheck", "check_part", "well_formed"]

_CHUNK = 1 << 20
_TAG_LIKE = re.compile(r"<[A-Za-z_/!?]")  # what reads as the start of a tag, a comment, a CDATA


class NotWellFormed(Exception):  # internal; callers turn it into InputFileError
    """The part is not XML a spreadsheet writes; ``str()`` says why. ``cut_short``: the XML
    stops before its root element ends (a copy cut short), else something inside is wrong."""

    def __init__(self, reason: str, *, cut_short: bool = False) -> None:
        super().__init__(reason)
        self.cut_short = cut_short


def _no_dtd(*_args: object) -> None:
    raise NotWellFormed(_("a DTD (<!DOCTYPE ...>), which no spreadsheet writes"))


def _no_aside(*_args: object) -> None:
    # calamine skips a comment; the streaming reader's patterns read a row inside one
    raise NotWellFormed(_("an XML comment or processing instruction, which no spreadsheet writes"))


def _no_markup_in_cdata(text: str) -> None:
    if "<" in text and _TAG_LIKE.search(text):  # the streaming reader's patterns took it for
        # a tag: ``<![CDATA[a</t>b]]>`` cut the cell inside it (and recursed without end)
        raise NotWellFormed(_("markup inside a CDATA section, which no spreadsheet writes"))


class XmlCheck:
    """Feed a part's bytes in order, then ``close``; ``NotWellFormed`` at the first fault.

    Besides well-formedness (expat, no handlers on the usual path), what the two readers
    would read differently is refused: a DTD, comments and processing instructions, markup
    inside a CDATA section (their handlers run only when the part holds such a thing)."""

    def __init__(self) -> None:
        parser = self._parser = expat.ParserCreate()
        parser.StartDoctypeDeclHandler = _no_dtd
        parser.CommentHandler = _no_aside
        parser.ProcessingInstructionHandler = _no_aside
        parser.StartCdataSectionHandler = self._cdata_starts
        parser.EndCdataSectionHandler = self._cdata_ends

    def _cdata_starts(self) -> None:
        self._cdata: list[str] = []  # expat may hand the text over in pieces (line ends, chunks)
        self._parser.CharacterDataHandler = self._cdata.append

    def _cdata_ends(self) -> None:
        self._parser.CharacterDataHandler = None
        _no_markup_in_cdata("".join(self._cdata))

    def feed(self, data: bytes) -> None:
        try:
            self._parser.Parse(data, False)
        except expat.ExpatError as exc:
            raise NotWellFormed(expat.ErrorString(exc.code)) from None

    def close(self) -> None:
        try:
            self._parser.Parse(b"", True)
        except expat.ExpatError as exc:  # the XML stops before it ends
            raise NotWellFormed(expat.ErrorString(exc.code), cut_short=True) from None


@contextlib.contextmanager
def well_formed(what: str, error: Callable[[str], InputFileError]) -> Iterator[None]:
    """Turn ``NotWellFormed`` inside into ``error(message)``; ``what`` names the part."""
    try:
        yield
    except NotWellFormed as exc:
        if exc.cut_short:
            message = _(
                "{part} stops before its end: the file is incomplete (perhaps the copy or "
                "download was cut short): copy it again, or open it in its program and save it "
                "again"
            ).format(part=what)
        else:
            message = _(
                "{part} holds XML that no spreadsheet program writes ({reason}): the file was "
                "not saved by a spreadsheet program as it is, or is damaged. Open it in its "
                "program and save it again"
            ).format(part=what, reason=exc)
        raise error(message) from None


def check_part(stream: IO[bytes], what: str, error: Callable[[str], InputFileError]) -> None:
    """Read a whole part (``stream``, closed here) through ``XmlCheck``."""
    xml = XmlCheck()
    with stream, well_formed(what, error):
        while chunk := stream.read(_CHUNK):
            xml.feed(chunk)
        xml.close()
