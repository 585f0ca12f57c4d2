"""Formula neutralisation for CSV cells (pure; no I/O).

Excel runs a CSV cell as a formula when it starts with ``=``, ``+``, ``-`` or ``@`` (and some
versions also when it starts with a tab or a carriage return). A results file repeats whatever
the input and the server sent, so every CSV cell we write goes through :func:`neutralise`,
which prefixes such a cell with ONE apostrophe: Excel then shows it as text (apostrophe
included, since a CSV has no "text prefix" concept), and nothing runs.

Reading strips one leading apostrophe (``validate.clean_cell``, Excel's text marker), so an
errors-only file fed back in as input yields the original values:
``=SUM(A1)`` -> ``'=SUM(A1)`` -> ``=SUM(A1)``.

Known trade-off: a value that itself begins with an apostrophe is written unchanged (it cannot
run as a formula), so fed back in it loses that apostrophe (``'abc`` -> ``abc``). Doubling
such apostrophes would make the round trip exact for the validated fields, but would show two
apostrophes in Excel and pile up in the columns that are copied untouched; such values are
rare, readable cells are not. :func:`restore` is the precise inverse for tools that want it:
it strips the apostrophe only when a formula character follows, so only a value beginning
with an apostrophe and then a formula character (``'=x``, written unchanged) reads back
changed (as ``=x``).

Where the list separator is ``;`` (much of Europe) or a tab, Excel may split a CSV cell at it
and run what follows (``x;=1+1;y`` -> ``x``, ``=1+1``, ``y``). So a cell holding either is
quoted, as a cell holding a comma is: a quoted cell is never split. The csv module cannot be
told to, so a row with such a cell (:func:`quote_row`, rare) is written by :func:`csv_line`.

XLSX output needs none of this: cells are written as string cells, which Excel never evaluates.
:func:`xlsx_text` only makes text storable: XML 1.0 cannot hold most control characters, so they
are written in OOXML's ``_xHHHH_`` escape (Excel decodes it back; so must a reader that meets
Excel-saved files), and a literal ``_xHHHH_`` in the text gets its ``_`` escaped likewise. A
carriage return too: XML would read it back as a line feed (``a\r\nb`` came back ``a\nb``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

FORMULA_CHARS = frozenset("=+-@\t\r")
"""First characters that make Excel (or another spreadsheet) treat a CSV cell as a formula."""

PREFIX = "'"


def needs_prefix(text: str) -> bool:
    """Whether Excel would run ``text`` as a formula if it were a CSV cell."""
    return bool(text) and text[0] in FORMULA_CHARS


def neutralise(text: str) -> str:
    """``text`` made safe for a CSV cell: prefixed with ``'`` if it would run as a formula."""
    if text and text[0] in FORMULA_CHARS:
        return PREFIX + text
    return text


SPLITTERS = (";", "\t")
"""Characters some spreadsheets split a CSV cell at (list separators other than ``,``)."""


_QUOTED = re.compile(r'[",\r\n;\t]')


def quote_row(cells: Sequence[object]) -> bool:
    """Whether some cell of a CSV row holds a ``;`` or a tab (write it with ``csv_line``)."""
    return any(isinstance(c, str) and (";" in c or "\t" in c) for c in cells)


def csv_cells(cells: Sequence[object]) -> list[str]:
    """A row's cells as a CSV writes them: text through :func:`neutralise` (inline: this runs
    for every cell of every row), ``None`` as ``""``, other values (numbers) as ``str``."""
    return [
        (c if not c or c[0] not in FORMULA_CHARS else PREFIX + c)
        if isinstance(c, str)
        else ("" if c is None else str(c))
        for c in cells
    ]


def splits(cells: Sequence[str]) -> bool:
    """:func:`quote_row` for cells that are all text (``csv_cells``), at C speed."""
    joined = "".join(cells)
    return ";" in joined or "\t" in joined


def csv_line(cells: Sequence[object]) -> str:
    """One CSV line (``\r\n``), as the csv module writes it, but quoting a cell that holds
    ``;`` or a tab too."""
    out = []
    for cell in cells:
        text = "" if cell is None else str(cell)
        out.append(f'"{text.replace(chr(34), chr(34) * 2)}"' if _QUOTED.search(text) else text)
    return ",".join(out) + "\r\n"


def restore(text: str) -> str:
    """Undo :func:`neutralise`: drop one ``'`` when a formula character follows it."""
    if len(text) > 1 and text[0] == PREFIX and text[1] in FORMULA_CHARS:
        return text[1:]
    return text


XLSX_MAX_CHARS = 32_767
"""Excel's limit on the characters in one cell; longer text is cut (as Excel itself would)."""

# A carriage return is XML-safe but not kept: every XML parser reads CR LF and a lone CR as
# LF (line-end normalisation), so it is escaped as well, as Excel writes it (_x000D_).
_XML_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\ufffe\uffff]|_(?=x[0-9A-Fa-f]{4}_)")
_SURROGATES = re.compile(r"[\ud800-\udfff]")


def xlsx_text(text: str) -> str:
    """``text`` as an XLSX string cell can hold it: OOXML escapes, at most 32,767 characters.

    Lone surrogates (undecodable input bytes) become U+FFFD.
    """
    text = _SURROGATES.sub("\ufffd", text[:XLSX_MAX_CHARS])
    return _XML_UNSAFE.sub(lambda m: f"_x{ord(m.group()):04X}_", text)
