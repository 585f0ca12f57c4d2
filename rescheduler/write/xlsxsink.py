"""The XLSX side of the report writers: a workbook streamed row by row, every text a string cell.

Written here rather than through openpyxl: its write-only mode cost about 140 µs of CPU per
row of a report (a 100,000-row ``validate`` spent 14 of its 18 s writing), and xlsxwriter's
streaming mode writes a text that looks like ``<r>...</r>`` into the XML unescaped. A report
needs little of OOXML: one sheet of inline strings and integers, a bold header, input columns
formatted as Text (``@``, so a 30-digit ID stays text when a supervisor edits it), column
widths and a frozen header row. The sheet's XML goes straight into the zip archive (deflated)
as rows come; the package's other parts are written first. A sheet holds at most 1,048,576
rows (beyond that :class:`OutputError`: use .csv).
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO

from rescheduler.errors import OutputError
from rescheduler.i18n import _
from rescheduler.read.columns import column_letter
from rescheduler.write.safecell import XLSX_MAX_CHARS, xlsx_text

XLSX_MAX_ROWS = 1_048_576
XLSX_MAX_COLUMNS = 16_384
Cell = str | int | None

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_DOC_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_PLAIN, _BOLD, _TEXT = 0, 1, 2  # the cell styles (cellXfs) of styles.xml below
_ATTRIBUTE_ESCAPES: tuple[tuple[str, str], ...] = (
    ("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"),
    ("\n", "&#10;"), ("\r", "&#13;"), ("\t", "&#9;"),
)  # fmt: skip
_SEPARATOR = "\x00"
# What makes ``xlsx_text`` change a text (safecell's patterns, bar the separator): then the
# row's cells are written one by one.
_NEEDS_XLSX_TEXT = re.compile(r"[\x01-\x08\x0b-\x1f\ud800-\udfff\ufffe\uffff]|_x[0-9A-Fa-f]{4}_")

_PARTS = {
    "[Content_Types].xml": (
        f'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        f'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_CT}.worksheet+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{_CT}.styles+xml"/></Types>'
    ),
    "_rels/.rels": (
        f'<Relationships xmlns="{_PKG_RELS}"><Relationship Id="rId1" '
        f'Type="{_DOC_RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/_rels/workbook.xml.rels": (
        f'<Relationships xmlns="{_PKG_RELS}">'
        f'<Relationship Id="rId1" Type="{_DOC_RELS}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{_DOC_RELS}/styles" Target="styles.xml"/>'
        f"</Relationships>"
    ),
    "xl/styles.xml": (
        f'<styleSheet xmlns="{_MAIN}">'
        f'<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
        f'<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
        f'<fills count="2"><fill><patternFill patternType="none"/></fill>'
        f'<fill><patternFill patternType="gray125"/></fill></fills>'
        f'<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        f'<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
        f'</cellStyleXfs><cellXfs count="3">'
        f'<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        f'<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
        f'<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
        f'</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
        f"</cellStyles></styleSheet>"
    ),
}


def _attribute(value: str) -> str:
    """``value`` as a quoted XML attribute (what ``xml.sax.saxutils.quoteattr`` gives, without
    importing it: it pulls in urllib.request, about 40 ms of every start)."""
    for char, entity in _ATTRIBUTE_ESCAPES:
        value = value.replace(char, entity)
    return f'"{value}"'


def _width(name: str) -> float:
    wide = {"appointId": 34, "remark": 30, "error": 60, "error_code": 24}
    wide |= {"resultDesc": 28, "returnDesc": 28}
    return float(wide.get(name, min(max(len(name) + 4, 10), 40)))


def _letters(count: int) -> list[str]:
    """Column letters A, B, ... for ``count`` columns."""
    return [column_letter(i) for i in range(count)]


def _text(ref: str, value: str, style: int) -> str:
    return _text_xml(ref, xlsx_text(value).translate(_ESCAPES), style)


def _text_xml(ref: str, text: str, style: int) -> str:
    s = f' s="{style}"' if style else ""
    return f'<c r="{ref}"{s} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


def _escaped(texts: list[str]) -> list[str] | None:
    """Each text as ``_text`` writes it, for a whole row in a few C-speed passes, when none
    needs what ``xlsx_text`` does (a control character, a surrogate, an ``_xHHHH_``, more than
    a cell holds); else None (then each cell goes through ``_text``). The row's texts are
    joined at NUL characters, which no text holds (checked)."""
    if not texts:
        return []
    joined = _SEPARATOR.join(texts)
    if (
        joined.count(_SEPARATOR) != len(texts) - 1
        or _NEEDS_XLSX_TEXT.search(joined) is not None
        or max(map(len, texts), default=0) > XLSX_MAX_CHARS
    ):
        return None
    return joined.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").split(_SEPARATOR)


class XlsxSink:
    def __init__(
        self,
        path: Path,
        columns: Sequence[str],
        text_columns: int,
        sheet: str,
        width: Callable[[str], float] = _width,
    ) -> None:
        self._path, self._text_columns, self._rows = path, text_columns, 0
        if path.is_dir():
            raise IsADirectoryError(errno.EISDIR, "is a directory")
        self._check_width(len(columns))
        self._letters = _letters(len(columns))
        # Opened now, not at close, so an unwritable directory fails before anything is sent,
        # and kept open: the workbook is written into this file, whatever is at its name then.
        self._file = open(path, "wb")  # noqa: SIM115 - closed by close()
        self._zip = zipfile.ZipFile(self._file, "w", zipfile.ZIP_DEFLATED, compresslevel=1)
        for name, xml in _PARTS.items():
            self._zip.writestr(name, _XML + xml)
        self._zip.writestr(
            "xl/workbook.xml",
            f'{_XML}<workbook xmlns="{_MAIN}" xmlns:r="{_DOC_RELS}"><bookViews><workbookView/>'
            f'</bookViews><sheets><sheet name={_attribute(sheet)} sheetId="1" r:id="rId1"/>'
            f"</sheets></workbook>",
        )
        self._sheet: IO[bytes] = self._zip.open("xl/worksheets/sheet1.xml", "w")
        cols = "".join(
            f'<col min="{i}" max="{i}" width="{width(name)}" customWidth="1"'
            + (f' style="{_TEXT}"/>' if i <= text_columns else "/>")
            for i, name in enumerate(columns, 1)
        )
        self._put(
            f'{_XML}<worksheet xmlns="{_MAIN}" xmlns:r="{_DOC_RELS}"><sheetViews>'
            f'<sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
            f'activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft" '
            f'activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
            f'<sheetFormatPr defaultRowHeight="15"/><cols>{cols}</cols><sheetData>'
        )
        letters = zip(self._letters, columns, strict=True)
        self._append("".join(_text(f"{c}1", name, _BOLD) for c, name in letters))

    def _check_width(self, columns: int) -> None:
        if columns > XLSX_MAX_COLUMNS:
            raise OutputError(
                _("cannot write {path}: over {max:,} columns; use .csv").format(
                    path=self._path, max=XLSX_MAX_COLUMNS
                )
            )

    def _put(self, xml: str) -> None:
        try:
            self._sheet.write(xml.encode("utf-8"))
        except RuntimeError as exc:  # zipfile: a part over 2 GiB without ZIP64
            raise OutputError(
                _("cannot write {path}: too large for a workbook; use .csv").format(path=self._path)
            ) from exc

    def _append(self, cells: str) -> None:
        if self._rows >= XLSX_MAX_ROWS:
            raise OutputError(
                _("cannot write {path}: over {max:,} rows; use .csv").format(
                    path=self._path, max=XLSX_MAX_ROWS
                )
            )
        self._rows += 1
        self._put(f'<row r="{self._rows}">{cells}</row>')

    def write_row(self, cells: Sequence[Cell]) -> None:
        if len(cells) > len(self._letters):  # a row wider than the header (a hand-made CSV)
            self._check_width(len(cells))
            self._letters = _letters(len(cells))
        n, text_columns, out = self._rows + 1, self._text_columns, []
        escaped = _escaped([v for v in cells if isinstance(v, str) and v])
        texts = iter(escaped or ())
        for i, value in enumerate(cells):
            if value is None or value == "":
                continue
            ref = f"{self._letters[i]}{n}"
            style = _TEXT if i < text_columns else _PLAIN
            if isinstance(value, int):
                out.append(f'<c r="{ref}"><v>{value}</v></c>')
            elif escaped is not None:  # the usual row: escaped above, all at once
                out.append(_text_xml(ref, next(texts), style))
            else:
                out.append(_text(ref, value, style))
        self._append("".join(out))

    def flush(self) -> None:
        pass

    def identity(self) -> tuple[int, int]:
        """``(device, inode)`` of the file being written."""
        info = os.fstat(self._file.fileno())
        return info.st_dev, info.st_ino

    def __del__(self) -> None:
        file = getattr(self, "_file", None)  # None: __init__ failed before opening it
        if file is not None and not file.closed:  # dropped unfinished (a run stopped)
            self.abandon()

    def abandon(self) -> None:
        """Stop without finishing the workbook (the caller removes or keeps what is there)."""
        if (sheet := getattr(self, "_sheet", None)) is not None:
            with contextlib.suppress(Exception):  # a full disk fails this too: nothing to save
                sheet.close()
        if (archive := getattr(self, "_zip", None)) is not None:
            archive.fp = None  # written no more: the archive's own clean-up must not try either
        with contextlib.suppress(OSError):  # its buffer's last bytes fail again on a full disk
            self._file.close()

    def close(self) -> None:
        if self._file.closed:
            return
        try:
            self._put("</sheetData></worksheet>")
            self._sheet.close()
            self._zip.close()
            self._file.close()
        except BaseException:
            self.abandon()
            raise
