"""Pure: XML character data as Excel means it (``xlsxparts``, ``xlsxstream``, ``sheet``).

``xml_text`` does what an XML parser does to character data (CR LF and a lone CR read as LF,
the five predefined entities and character references, CDATA sections), then decodes
Excel's ``_xHHHH_`` escape. Half of a UTF-16 pair (``_xD800_``, ``&#xD800;``) is no character:
it is kept as written, as python-calamine keeps it, so no lone surrogate reaches a request.
``rich_text`` is the text of an ``<si>`` or ``<is>`` body: every ``<t>`` run joined, the
phonetic guides (``<rPh>``) left out.
"""

from __future__ import annotations

import re

__all__ = ["rich_text", "xml_text"]

_ENTITY = re.compile(r"&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);")
_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
_XESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
_SURROGATE_MIN, _SURROGATE_MAX = 0xD800, 0xDFFF
_CDATA = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.DOTALL)
_PHONETIC = re.compile(r"<(?:\w+:)?rPh\b.*?</(?:\w+:)?rPh>", re.DOTALL)
_T = re.compile(r"<(?:\w+:)?t\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?t>)", re.DOTALL)
_SIMPLE_T = re.compile(r"<t(?: xml:space=\"preserve\")?>([^<]*)</t>")


def _entity(m: re.Match[str]) -> str:
    name = m.group(1)
    if name[0] != "#":
        return _NAMED[name]
    try:
        code = int(name[2:], 16) if name[1] in "xX" else int(name[1:])
        return m.group(0) if _SURROGATE_MIN <= code <= _SURROGATE_MAX else chr(code)
    except (ValueError, OverflowError):
        return m.group(0)


def xml_text(raw: str) -> str:
    """XML character data as a parser gives it (line ends, entities), then Excel's ``_xHHHH_``."""
    if "<![CDATA[" in raw:
        parts = _CDATA.split(raw)  # text, CDATA content, text, ...
        raw = "".join(
            _XESCAPE.sub(_xescape, part) if i % 2 else xml_text(part)
            for i, part in enumerate(parts)
        )
        return raw
    if "\r" in raw:
        raw = raw.replace("\r\n", "\n").replace("\r", "\n")
    if "&" in raw:
        raw = _ENTITY.sub(_entity, raw)
    if "_x" in raw:
        raw = _XESCAPE.sub(_xescape, raw)
    return raw


def _xescape(m: re.Match[str]) -> str:
    """``_xHHHH_`` -> its character; half of a UTF-16 pair is no character and stays as
    written (as python-calamine keeps it): a lone surrogate cannot be sent."""
    code = int(m.group(1), 16)
    return m.group(0) if _SURROGATE_MIN <= code <= _SURROGATE_MAX else chr(code)


def rich_text(body: str) -> str:
    """The text of an ``<si>`` or ``<is>`` body: every ``<t>``, phonetic guides left out."""
    simple = _SIMPLE_T.fullmatch(body)
    if simple is not None:
        return xml_text(simple.group(1))
    if "rPh" in body:
        body = _PHONETIC.sub("", body)
    return "".join(xml_text(t) for t in _T.findall(body))
