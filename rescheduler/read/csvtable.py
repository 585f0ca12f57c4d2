"""CSV input (.csv .tsv .txt): the ``Table`` contract of ``rescheduler.read.reader``.

The encoding is decided before any row by ``encoding.detect_encoding`` (never guessed); the
records come from ``csvrecords.csv_records`` (stray quotes and huge cells refuse the file).
The delimiter is the most frequent of ``,`` ``;`` tab ``|`` outside quotes in the header
line; ties and none favour tab for .tsv and UTF-16/32 files, comma otherwise.
"""

from __future__ import annotations

import io
from collections.abc import Generator
from pathlib import Path

from rescheduler.errors import InputFileError
from rescheduler.i18n import _
from rescheduler.read.csvrecords import csv_records
from rescheduler.read.encoding import detect_encoding
from rescheduler.read.reader import Table

_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


class CsvTable(Table):
    """A delimited text file; ``encoding`` is the codec name detected or given."""

    def __init__(self, path: Path, encoding: str | None) -> None:
        super().__init__(path)
        decoding = detect_encoding(path, encoding)
        self.encoding = decoding.name
        self._codec, self._skip, self._newlines = decoding.codec, decoding.skip, decoding.newlines
        self.ends_with_newline = decoding.ends_with_newline
        self.delimiter = self._sniff_delimiter()
        self._read_header()

    def _text(self) -> io.TextIOWrapper:
        try:
            raw = open(self.path, "rb")  # noqa: SIM115 - closed with the wrapper
        except OSError as exc:
            raise self._error(
                _("cannot open the file: {reason}").format(reason=exc.strerror or exc)
            ) from exc
        raw.seek(self._skip)
        return io.TextIOWrapper(raw, encoding=self._codec, errors="strict", newline="")

    def _sniff_delimiter(self) -> str:
        wide = self._codec.startswith(("utf-16", "utf-32"))  # Excel's "Unicode text"
        tab_first = self.path.suffix.lower() == ".tsv" or wide
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
                records = csv_records(
                    text, self.delimiter or ",", self.path, self.headers, self._text
                )
                for line, cells in records:
                    yield line, cells
            except (UnicodeDecodeError, OSError) as exc:
                raise self._error(
                    _("cannot read the file: {reason}").format(reason=exc), line + 1
                ) from exc

    def _too_wide(self, line: int, cells: list[str]) -> InputFileError:
        name = _DELIMITER_NAMES.get(self.delimiter or ",", repr(self.delimiter))
        return self._error(
            _(
                "the row has {cells} cells but the header has {headers}; check the delimiter "
                "({name}) and put cells that contain it in double quotes"
            ).format(cells=len(cells), headers=len(self.headers), name=name),
            line,
        )

    def estimate_rows(self) -> int | None:
        return max(self._newlines - self.header_line, 0)
