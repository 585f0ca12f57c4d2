"""Hostile workbooks for the upload page's tests, written straight as zip archives.

``shared_strings_bomb``: a tiny sheet whose shared-strings table holds millions of entries
(readers load that table whole). ``many_rows_workbook``: millions of rows of repeated XML that
pack to well under a megabyte. Both stream their XML into the archive, so making them costs
little memory. The parts are the minimum Excel and openpyxl accept.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path

_SML = "application/vnd.openxmlformats-officedocument.spreadsheetml."
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_SML}sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_SML}worksheet+xml"/>'
    f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_SML}sharedStrings+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{_REL}officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="changes" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{_REL}worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_REL}sharedStrings" Target="sharedStrings.xml"/>'
    "</Relationships>"
)
_SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)
APPOINT_ID = "174729926098016859445364890001"
_CHUNK = 10_000


def _write(path: Path, parts: dict[str, Iterator[str]]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, pieces in parts.items():
            with archive.open(name, "w", force_zip64=True) as member:
                for piece in pieces:
                    member.write(piece.encode("utf-8"))
    return path


def _workbook(path: Path, sheet: Iterator[str], shared_strings: Iterator[str]) -> Path:
    """A one-sheet workbook: the fixed parts, then ``sheet`` and ``shared_strings`` streamed."""
    return _write(
        path,
        {
            "[Content_Types].xml": _fixed(_CONTENT_TYPES),
            "_rels/.rels": _fixed(_RELS),
            "xl/workbook.xml": _fixed(_WORKBOOK),
            "xl/_rels/workbook.xml.rels": _fixed(_WORKBOOK_RELS),
            "xl/worksheets/sheet1.xml": sheet,
            "xl/sharedStrings.xml": shared_strings,
        },
    )


def _fixed(text: str) -> Iterator[str]:
    yield text


def _inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def shared_strings_bomb(
    path: Path, strings: int, *, distinct: bool = False, padding: int = 0
) -> Path:
    """A header and one row, plus ``strings`` shared strings: all alike (``distinct`` False:
    packs hundreds of times over) or each one different (packs a few times over only), each
    followed by ``padding`` x's (long distinct strings fill memory fast for little parsing)."""
    pad = "x" * padding

    def table() -> Iterator[str]:
        yield (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            f'count="{strings}" uniqueCount="{strings}">'
        )
        for start in range(0, strings, _CHUNK):
            count = min(_CHUNK, strings - start)
            if distinct:
                yield "".join(
                    f"<si><t>{n * 0x9E3779B97F4A7C15 % (1 << 64):016x}{pad}</t></si>"
                    for n in range(start, start + count)
                )
            else:
                yield "<si><t>x</t></si>" * count
        yield "</sst>"

    sheet = (
        f"{_SHEET_HEAD}<sheetData>"
        f'<row r="1">{_inline("A1", "appointId")}{_inline("B1", "userAccount")}</row>'
        f'<row r="2">{_inline("A2", APPOINT_ID)}<c r="B2" t="s"><v>0</v></c></row>'
        "</sheetData></worksheet>"
    )
    return _workbook(path, _fixed(sheet), table())


def many_rows_workbook(path: Path, rows: int) -> Path:
    """A sheet declaring and holding ``rows`` data rows (one appointId and agent each).

    Rows and cells carry no ``r`` reference (allowed: they then follow one another), so every
    row is the same bytes and the sheet packs about a thousand times over.
    """
    row = (
        f'<row><c t="inlineStr"><is><t>{APPOINT_ID}</t></is></c>'
        '<c t="inlineStr"><is><t>a</t></is></c></row>'
    )

    def sheet() -> Iterator[str]:
        yield f'{_SHEET_HEAD}<dimension ref="A1:B{rows + 1}"/><sheetData>'
        yield f'<row r="1">{_inline("A1", "appointId")}{_inline("B1", "userAccount")}</row>'
        for start in range(0, rows, _CHUNK):
            yield row * min(_CHUNK, rows - start)
        yield "</sheetData></worksheet>"

    empty_table = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="0" '
        'uniqueCount="0"></sst>'
    )
    return _workbook(path, sheet(), _fixed(empty_table))


def many_parts_archive(path: Path, parts: int) -> Path:
    """A zip of ``parts`` empty members (a directory too large to be worth parsing)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for n in range(parts):
            archive.writestr(f"p{n}", b"")
    return path
