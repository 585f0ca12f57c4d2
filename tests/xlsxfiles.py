"""Test helpers: XLSX workbooks written by openpyxl, or by hand when the exact XML matters."""

from __future__ import annotations

import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import openpyxl

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"


def workbook(path: Path, sheets: Mapping[str, Sequence[Sequence[object]]]) -> Path:
    """A workbook as openpyxl writes it (inline strings; asks to be recalculated on load)."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)  # type: ignore[arg-type]
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


def raw_xlsx(
    path: Path,
    rows_xml: str,
    *,
    shared: list[str] | None = None,
    formats: dict[int, str] | None = None,
    xfs: list[int] | None = None,
    workbook_extra: str = "",
    sheet_extra: str = "",
    prefix: str = "",
) -> Path:
    """A workbook whose sheet XML is exactly ``rows_xml`` (the inside of ``<sheetData>``).

    ``shared`` becomes the shared-strings table (each item is the inside of an ``<si>``),
    ``formats`` custom number formats by id and ``xfs`` the numFmtId of each cell style.
    """
    p = f"{prefix}:" if prefix else ""
    xmlns = f'xmlns:{prefix}="{_MAIN}"' if prefix else f'xmlns="{_MAIN}"'
    sheet_list = '<sheet name="Sheet1" sheetId="1" r:id="rId1"/>'
    rels = (
        f'<Relationships xmlns="{_PKG}">'
        f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{_REL}/styles" Target="styles.xml"/>'
        f'<Relationship Id="rId3" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>'
        "</Relationships>"
    )
    numfmts = "".join(
        f'<numFmt numFmtId="{i}" formatCode="{code}"/>' for i, code in (formats or {}).items()
    )
    cellxfs = "".join(f'<xf numFmtId="{n}"/>' for n in (xfs or [0]))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="{_PKG}"><Relationship Id="rId1" '
            f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        z.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}">{workbook_extra}'
            f"<sheets>{sheet_list}</sheets></workbook>",
        )
        z.writestr("xl/_rels/workbook.xml.rels", rels)
        z.writestr(
            "xl/styles.xml",
            f'<styleSheet xmlns="{_MAIN}"><numFmts>{numfmts}</numFmts>'
            f"<cellXfs>{cellxfs}</cellXfs></styleSheet>",
        )
        z.writestr(
            "xl/sharedStrings.xml",
            f'<sst xmlns="{_MAIN}">' + "".join(f"<si>{s}</si>" for s in shared or []) + "</sst>",
        )
        z.writestr(
            "xl/worksheets/sheet1.xml",
            f"<{p}worksheet {xmlns}><{p}sheetData>{rows_xml}</{p}sheetData>{sheet_extra}"
            f"</{p}worksheet>",
        )
    return path
