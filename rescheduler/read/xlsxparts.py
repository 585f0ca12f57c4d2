"""The small parts of an .xlsx/.xlsm package: which file a workbook is, its sheets, styles, strings.

Everything here reads a part that is small or read once (``[Content_Types]``, relationships,
``workbook.xml``, ``styles.xml``) with defusedxml (no DTDs, no entity expansion), each part
bounded by its declared size; the shared-strings table is read with the same streaming text
scanner as the sheet (``xlsx.py``), which expands only XML's five predefined entities and
character references. ``sniff`` tells an .xlsx from an .xls, a password-protected workbook, a
damaged (truncated) file and a text file, so each gets a message that says what to do.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from rescheduler.errors import InputFileError
from rescheduler.i18n import _
from rescheduler.read.numfmt import NumberKind, builtin_kind, format_kind
from rescheduler.read.spreadsheet import HIDDEN, VERY_HIDDEN, VISIBLE, SheetEntry
from rescheduler.read.wellformed import XmlCheck, well_formed
from rescheduler.read.xmltext import rich_text

MAX_PART_BYTES = 64 << 20  # workbook, relationships, styles: far larger than any real one
CHUNK = 1 << 20
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED = "EncryptedPackage".encode("utf-16-le")


def sniff(path: Path, expected: str) -> str | None:
    """Why ``path`` is not a readable ``expected`` (.xlsx, .xls ...) package, or None if it may be.

    Only the file's first bytes are trusted here: ``PK`` (a zip: .xlsx/.xlsm/.xlsb/.ods),
    the OLE2 signature (.xls, or any workbook saved with a password), or text.
    """
    try:
        with open(path, "rb") as f:
            head = f.read(8)
            encrypted = False
            if head == _OLE2:
                f.seek(0)
                while block := f.read(CHUNK):
                    if _ENCRYPTED in block:
                        encrypted = True
                        break
                    f.seek(f.tell() - len(_ENCRYPTED))
                    if len(block) < CHUNK:
                        break
    except OSError as exc:
        return _("cannot open the file: {reason}").format(reason=exc.strerror or exc)
    if not head:
        return _("the file is empty")
    if encrypted:
        return _(
            "the workbook is protected with a password; remove the password in Excel "
            "(File > Info > Protect Workbook) and save it again"
        )
    is_zip = head.startswith(b"PK\x03\x04")
    if head == _OLE2 and expected != ".xls":
        return _(
            "this is an Excel 97-2003 workbook (.xls) with a {suffix} name; rename it to .xls"
        ).format(suffix=expected)
    if is_zip and expected == ".xls":
        return _("this is an Excel workbook (.xlsx) with an .xls name; rename it to .xlsx")
    if not is_zip and head != _OLE2:
        if head.startswith(b"PK"):
            return damaged(expected)
        return _(
            "this is not a {suffix} workbook (it looks like a text or CSV file); if it is a "
            "CSV file, rename it to .csv"
        ).format(suffix=expected)
    return None


def shared_strings_label() -> str:
    """The shared-strings part, as a message names it (in the reader's language)."""
    return _("the workbook's shared-strings table")


def damaged(suffix: str) -> str:
    return _(
        "the file is damaged or incomplete (not a whole {suffix} workbook; perhaps the copy or "
        "download was cut short): copy it again, or open it in Excel and save it again"
    ).format(suffix=suffix)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


@dataclass(frozen=True)
class BookParts:
    """What the package says about itself; ``targets`` maps a sheet name to its part."""

    sheets: tuple[SheetEntry, ...]
    targets: dict[str, str]
    styles: str | None
    shared_strings: str | None
    date1904: bool
    full_calc_on_load: bool


class Package:
    """An open .xlsx/.xlsm zip package; ``InputFileError`` for anything it cannot read."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.zip = zipfile.ZipFile(path)

    def close(self) -> None:
        self.zip.close()

    def exists(self, name: str) -> bool:
        try:
            self.zip.getinfo(name)
        except KeyError:
            return False
        return True

    def open(self, name: str) -> IO[bytes]:
        return self.zip.open(name)

    def xml(self, name: str) -> Any:
        """A small part parsed safely (defusedxml: no DTDs, no entities)."""
        from defusedxml.ElementTree import fromstring

        info = self.zip.getinfo(name)
        if info.file_size > MAX_PART_BYTES:
            raise InputFileError(
                str(self.path),
                _("the workbook's part {part} is too large ({size:,} bytes)").format(
                    part=name, size=info.file_size
                ),
            )
        return fromstring(self.zip.read(name), forbid_dtd=True)

    def relationships(self, part: str) -> dict[str, tuple[str, str]]:
        """A part's relationships: id -> (type, target part name)."""
        folder, base = posixpath.split(part)
        rels = posixpath.join(folder, "_rels", base + ".rels")
        if not self.exists(rels):
            return {}
        out: dict[str, tuple[str, str]] = {}
        for rel in self.xml(rels):
            target = rel.get("Target", "")
            if rel.get("TargetMode") == "External":
                continue
            name = (
                target.lstrip("/")
                if target.startswith("/")
                else posixpath.normpath(posixpath.join(folder, target))
            )
            out[rel.get("Id", "")] = (rel.get("Type", ""), name)
        return out

    def book(self) -> BookParts:
        root_rels = self.relationships("")
        workbook = next(
            (t for kind, t in root_rels.values() if kind.endswith("/officeDocument")),
            "xl/workbook.xml",
        )
        suffix = self.path.suffix.lower()
        for part, real in (("content.xml", ".ods"), ("xl/workbook.bin", ".xlsb")):
            if self.exists(part) and not (workbook.endswith(".xml") and self.exists(workbook)):
                raise InputFileError(
                    str(self.path),
                    _("this is a {real} workbook with a {suffix} name; rename it to {real}")
                    .format(real=real, suffix=suffix),
                )  # fmt: skip
        rels = self.relationships(workbook)
        sheets: list[SheetEntry] = []
        targets: dict[str, str] = {}
        date1904 = full_calc = False
        for element in self.xml(workbook).iter():
            tag = _local(element.tag)
            if tag == "workbookPr":
                date1904 = element.get("date1904", "") in ("1", "true")
            elif tag == "calcPr":
                full_calc = element.get("fullCalcOnLoad", "") in ("1", "true")
            elif tag == "sheet":
                rid = next((v for k, v in element.attrib.items() if _local(k) == "id"), "")
                kind, target = rels.get(rid, ("", ""))
                state = {"hidden": HIDDEN, "veryHidden": VERY_HIDDEN}.get(
                    element.get("state", ""), VISIBLE
                )
                name = element.get("name", "")
                sheets.append(SheetEntry(name, state, kind.endswith("/worksheet")))
                targets[name] = target
        found = {kind.rsplit("/", 1)[-1]: t for kind, t in rels.values()}
        return BookParts(
            sheets=tuple(sheets),
            targets=targets,
            styles=found.get("styles"),
            shared_strings=found.get("sharedStrings"),
            date1904=date1904,
            full_calc_on_load=full_calc,
        )

    def style_kinds(self, part: str | None) -> list[NumberKind]:
        """For each cell style (``s`` attribute), what its number format shows."""
        if part is None or not self.exists(part):
            return []
        root = self.xml(part)
        custom: dict[int, str] = {}
        kinds: list[NumberKind] = []
        for element in root:
            if _local(element.tag) == "numFmts":
                for fmt in element:
                    try:
                        custom[int(fmt.get("numFmtId", ""))] = fmt.get("formatCode", "")
                    except ValueError:
                        continue
            elif _local(element.tag) == "cellXfs":
                for xf in element:
                    try:
                        fmt_id = int(xf.get("numFmtId", "0"))
                    except ValueError:
                        fmt_id = 0
                    code = custom.get(fmt_id)
                    kinds.append(builtin_kind(fmt_id) if code is None else format_kind(code))
        return kinds

    def shared_strings(self, part: str | None, error: Callable[[str], InputFileError]) -> list[str]:
        """The shared-strings table, streamed: rich-text runs joined, phonetic runs left out;
        checked by ``wellformed`` in the same read (``error`` makes its refusal)."""
        if part is None or not self.exists(part):
            return []
        xml = XmlCheck()
        with well_formed(shared_strings_label(), error):
            strings = list(_iter_shared_strings(self.open(part), xml.feed))
            xml.close()
        return strings


_SI = re.compile(r"<(?:\w+:)?si\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?si>)", re.DOTALL)
_SI_END = re.compile(r"</(?:\w+:)?si>")


def last_end_tag(data: bytes, local: bytes) -> int:
    """The index just after the last ``</local>`` (any prefix) in ``data``, or -1."""
    pos = len(data)
    while (pos := data.rfind(b"</", 0, pos)) >= 0:
        end = data.find(b">", pos)
        if end < 0:
            continue
        name = data[pos + 2 : end].strip()
        if name == local or name.endswith(b":" + local):
            return end + 1
    return -1


def _iter_shared_strings(stream: IO[bytes], seen: Callable[[bytes], None]) -> Iterator[str]:
    with stream:
        tail = b""
        while True:
            chunk = stream.read(CHUNK)
            seen(chunk)
            data = tail + chunk
            cut = last_end_tag(data, b"si") if chunk else len(data)
            if cut < 0:
                tail = data
                continue
            part, tail = data[:cut], data[cut:]
            for m in _SI.finditer(part.decode("utf-8")):
                yield rich_text(m.group(1) or "")
            if not chunk:
                return
