"""The input file as a lazy table of text cells: CSV family (.csv .tsv .txt) and XLSX (.xlsx .xlsm).

``open_table(path)`` returns a ``Table`` (a context manager; ``close()`` also works) whose
``rows()`` may be called any number of times; each call streams the file again and yields
``Row(line, values)`` with every cell as text in header order. Nothing holds the whole file.

- Line numbers are the row numbers a spreadsheet shows: records, not physical lines (a quoted
  cell with line breaks is one row); blank rows are skipped but still count. Blank rows between
  data rows are counted in ``blank_rows`` (after a full pass); trailing ones are ignored.
- The header is the first non-blank row; its cells are stripped of BOM, spaces and zero-width
  characters, trailing empty header cells are dropped. An empty header between named ones, or
  two headers equal after ``normalise_header``, is an ``InputFileError``.
- Short rows are padded with ""; extra cells beyond the header are dropped when empty and an
  ``InputFileError`` (line and count) otherwise: it usually means a wrong delimiter.
- CSV encoding, decided before any row is produced by a strict streaming pre-scan (fast; it
  also counts lines for ``estimate_rows``): a BOM (UTF-8, UTF-16 LE/BE) wins; else strict UTF-8;
  else strict GB18030 (covers GBK; refused if it only decodes to private-use characters); else
  an error naming the byte offset and text line of the first byte UTF-8 could not decode.
  ``encoding=`` skips detection, not the strict pre-scan. NUL characters are refused (usually
  UTF-16 without a BOM).
- CSV delimiter: the most frequent of ``,`` ``;`` tab ``|`` outside quotes in the header line;
  ties and none favour tab for .tsv and UTF-16 files, comma otherwise. RFC 4180 quoting.
- XLSX: openpyxl ``read_only`` (imported lazily), cached formula values, the first worksheet
  or ``sheet=``. Cells become text: see ``xlsx_cell_text``. The sheet's stored dimension is
  ignored when reading (it may be wrong); it only feeds ``estimate_rows``.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Generator, Iterator
from pathlib import Path
from types import TracebackType

from rescheduler.errors import InputFileError
from rescheduler.models import Row
from rescheduler.read.columns import normalise_header, strip_edges

CSV_SUFFIXES = (".csv", ".tsv", ".txt")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
_CHUNK = 1 << 20
_PRIVATE_USE = re.compile("[\ue000-\uf8ff]")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


def column_letter(index: int) -> str:
    """0-based column index -> spreadsheet letters (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


class Table:
    """An open input table. Subclasses provide ``_records``: ``(line, cells)`` incl. blanks."""

    path: Path
    headers: tuple[str, ...] = ()
    header_line: int = 1
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None

    def __init__(self, path: Path) -> None:
        self.path = path
        self.blank_rows = 0
        self._closed = False

    def __enter__(self) -> Table:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Release the file (idempotent)."""
        self._closed = True

    def estimate_rows(self) -> int | None:
        """A cheap estimate of the data rows (for progress), or None when unknown."""
        return None

    def _records(self) -> Generator[tuple[int, list[str]], None, None]:
        raise NotImplementedError

    def _too_wide(self, line: int, cells: list[str]) -> InputFileError:
        raise NotImplementedError

    def _error(self, message: str, line: int | None = None) -> InputFileError:
        return InputFileError(str(self.path), message, line=line)

    def _read_header(self) -> None:
        records = self._records()
        try:
            found = next(((n, c) for n, c in records if any(x.strip() for x in c)), None)
        finally:
            records.close()
        if found is None:
            raise self._error("the file is empty: no header row")
        line, cells = found
        headers = [strip_edges(c) for c in cells]
        while headers and not headers[-1]:
            headers.pop()
        seen: dict[str, int] = {}
        for idx, header in enumerate(headers):
            where = f"column {idx + 1} ({column_letter(idx)})"
            if not header:
                raise self._error(f"{where} has no header; name it or delete the column", line)
            key = normalise_header(header)
            if key in seen:
                first = seen[key]
                raise InputFileError(
                    str(self.path),
                    f"{where} repeats the header of column {first + 1} ({headers[first]!r}); "
                    "rename or delete one of them",
                    line=line,
                    column=header,
                )
            seen[key] = idx
        self.headers, self.header_line = tuple(headers), line

    def rows(self) -> Iterator[Row]:
        """Stream the data rows (each call reads the file again)."""
        if self._closed:
            raise ValueError("Table is closed")
        width, blank, pending = len(self.headers), 0, 0
        for line, cells in self._records():
            if line <= self.header_line:
                continue
            if not (cells and cells[0].strip()) and not any(c.strip() for c in cells):
                pending += 1
                continue
            blank, pending = blank + pending, 0
            if len(cells) != width:
                if len(cells) < width:
                    cells = cells + [""] * (width - len(cells))
                elif any(c.strip() for c in cells[width:]):
                    raise self._too_wide(line, cells)
                else:
                    cells = cells[:width]
            yield Row(line, tuple(cells))
        self.blank_rows = blank


class CsvTable(Table):
    """A delimited text file; ``encoding`` is the codec name detected or given."""

    def __init__(self, path: Path, encoding: str | None) -> None:
        super().__init__(path)
        self._codec, self._skip, self._newlines = self._detect(encoding)
        self.delimiter = self._sniff_delimiter()
        self._read_header()

    def _detect(self, forced: str | None) -> tuple[str, int, int]:
        """Choose the encoding; returns (codec, BOM bytes to skip, newline count)."""
        with _opened(self.path) as f:
            head = f.read(4)
        if forced is not None:
            try:
                codecs.lookup(forced)
            except LookupError:
                raise self._error(f"unknown encoding {forced!r}") from None
            candidates = [(forced, forced, 0)]
        elif head.startswith(codecs.BOM_UTF8):
            candidates = [("utf-8-sig", "utf-8", 3)]
        elif head.startswith(codecs.BOM_UTF16_LE):
            candidates = [("utf-16-le", "utf-16-le", 2)]
        elif head.startswith(codecs.BOM_UTF16_BE):
            candidates = [("utf-16-be", "utf-16-be", 2)]
        else:
            candidates = [("utf-8", "utf-8", 0), ("gb18030", "gb18030", 0)]
        first_error = ""
        for name, codec, skip in candidates:
            result = self._scan(codec, skip, strict_guess=forced is None and skip == 0)
            if isinstance(result, int):
                self.encoding = name
                return codec, skip, result
            first_error = first_error or result
        if forced is None and len(candidates) > 1:
            first_error += (
                ", and the file is not GB18030 either. Save it as 'CSV UTF-8' or give --encoding"
            )
        raise self._error(first_error)

    def _scan(self, codec: str, skip: int, *, strict_guess: bool) -> int | str:
        """Decode the whole file strictly; the newline count, or why it failed."""
        decoder = codecs.getincrementaldecoder(codec)("strict")
        newlines, pos, last = 0, skip, "\n"
        with _opened(self.path) as f:
            f.seek(skip)
            while True:
                chunk = f.read(_CHUNK)
                pending = decoder.getstate()[0]
                try:
                    text = decoder.decode(chunk, final=not chunk)
                except UnicodeDecodeError as exc:
                    data = pending + chunk
                    line = newlines + codecs.decode(data[: exc.start], codec, "replace").count("\n")
                    offset = pos - len(pending) + exc.start
                    bad = data[exc.start : exc.end][:4].hex(" ").upper()
                    return (
                        f"text line {line + 1}: cannot decode byte(s) {bad} at byte offset "
                        f"{offset} as {codec}"
                    )
                if strict_guess and "\x00" in text:
                    raise self._error(
                        "the file contains NUL characters: it is probably UTF-16 without a "
                        "byte-order mark; give --encoding utf-16-le (or utf-16-be)"
                    )
                if strict_guess and codec == "gb18030" and _PRIVATE_USE.search(text):
                    return "not GB18030 text (private-use characters)"
                newlines += text.count("\n")
                last = text[-1:] or last
                if not chunk:
                    return newlines + (last != "\n")  # an unterminated last line counts
                pos += len(chunk)

    def _text(self) -> io.TextIOWrapper:
        raw = _opened(self.path)
        raw.seek(self._skip)
        return io.TextIOWrapper(raw, encoding=self._codec, errors="strict", newline="")

    def _sniff_delimiter(self) -> str:
        tab_first = self.path.suffix.lower() == ".tsv" or self._codec.startswith("utf-16")
        order = ("\t", ",", ";", "|") if tab_first else (",", ";", "\t", "|")
        with self._text() as text:
            line = next((ln for ln in text if ln.strip()), "")
        counts = dict.fromkeys(order, 0)
        inside = False
        for ch in line:
            if ch == '"':
                inside = not inside
            elif not inside and ch in counts:
                counts[ch] += 1
        return max(order, key=lambda d: (counts[d], -order.index(d)))

    def _records(self) -> Generator[tuple[int, list[str]], None, None]:
        line = 0
        with self._text() as text:
            try:
                for line, cells in enumerate(csv.reader(text, delimiter=self.delimiter or ","), 1):
                    yield line, cells
            except (csv.Error, UnicodeDecodeError, OSError) as exc:
                raise self._error(f"cannot read the file: {exc}", line + 1) from exc

    def _too_wide(self, line: int, cells: list[str]) -> InputFileError:
        name = _DELIMITER_NAMES.get(self.delimiter or ",", repr(self.delimiter))
        return self._error(
            f"the row has {len(cells)} cells but the header has {len(self.headers)}; check the "
            f"delimiter ({name}) and put cells that contain it in double quotes",
            line,
        )

    def estimate_rows(self) -> int | None:
        return max(self._newlines - self.header_line, 0)


def _opened(path: Path) -> io.BufferedReader:
    try:
        return open(path, "rb")  # closed by the caller
    except OSError as exc:
        raise InputFileError(str(path), f"cannot open the file: {exc.strerror or exc}") from exc


def open_table(path: Path, *, encoding: str | None = None, sheet: str | None = None) -> Table:
    """Open an input file (format by extension); raises ``InputFileError`` for any problem."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return CsvTable(path, encoding)
    if suffix in XLSX_SUFFIXES:
        from rescheduler.read.xlsx import XlsxTable  # openpyxl only when needed

        return XlsxTable(path, sheet)
    known = ", ".join(CSV_SUFFIXES + XLSX_SUFFIXES)
    raise InputFileError(str(path), f"unknown file type {suffix or '(none)'!r}; use one of {known}")
