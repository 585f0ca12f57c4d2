"""Pure header matching: which input column holds which API field.

Headers match the canonical field names (``models.FIELDS``) ignoring case, spaces, underscores
and hyphens (``appoint_id``, ``Appoint ID`` and ``APPOINTID`` all mean ``appointId``), after
Unicode NFKC folding (full-width letters count as ASCII). A few Chinese headers a contact centre
uses are built in; ``[input.columns]`` in the config maps any other header to a field.
No I/O here; the reader and the validator both use these helpers.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from rescheduler.errors import ConfigError, InputFileError
from rescheduler.i18n import _
from rescheduler.models import (
    APPOINT_ID,
    APPOINT_TIME,
    COLUMNS,
    FIELDS,
    REMARK,
    USER_ACCOUNT,
    VDN_ID,
    WORK_NO,
)
from rescheduler.read.nearmiss import CHECKED_HEADERS, near_miss

# Characters stripped from the edges of headers and cells: whitespace (str.strip's set, which
# includes U+00A0 and U+3000), plus zero-width characters and the BOM that str.strip keeps.
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"

# Built-in aliases, written as a supervisor would; they are normalised like any header.
BUILTIN_ALIASES: Mapping[str, str] = {
    "预约ID": APPOINT_ID,
    "预约编号": APPOINT_ID,
    "工号": WORK_NO,
    "座席工号": WORK_NO,
    "坐席工号": WORK_NO,
    "业务账号": USER_ACCOUNT,
    "座席账号": USER_ACCOUNT,
    "坐席账号": USER_ACCOUNT,
    "预约时间": APPOINT_TIME,
    "备注": REMARK,
    "VDN": VDN_ID,
    "VCC ID": VDN_ID,
}

_DROPPED = str.maketrans("", "", " _-\t" + INVISIBLE)


def strip_edges(text: str) -> str:
    """Remove surrounding whitespace, non-breaking/ideographic spaces and zero-width characters."""
    prev = None
    while prev != text:
        prev = text
        text = text.strip().strip(INVISIBLE)
    return text


def normalise_header(text: str) -> str:
    """The matching key of a header: NFKC, case-folded, without spaces, ``_``, ``-``."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(folded.translate(_DROPPED).split())


def _alias_table(extra_aliases: Mapping[str, str]) -> dict[str, str]:
    by_key = {normalise_header(name): name for name in FIELDS}
    table = {normalise_header(name): name for name in COLUMNS}
    table.update((normalise_header(h), f) for h, f in BUILTIN_ALIASES.items())
    for header, target in extra_aliases.items():
        canonical = by_key.get(normalise_header(target))
        if canonical is None:
            raise ConfigError(
                f"input.columns.{header!r}",
                _("maps to {target}, which is not a field; use one of {fields}").format(
                    target=repr(target), fields=", ".join(FIELDS)
                ),
            )
        table[normalise_header(header)] = canonical  # the user's mapping wins
    return table


@dataclass(frozen=True, slots=True)
class ColumnMap:
    """Where each API field sits in a table: field name -> header index (absent = no column)."""

    headers: tuple[str, ...]
    index: Mapping[str, int] = field(default_factory=dict)

    def __contains__(self, name: object) -> bool:
        return name in self.index

    def get(self, name: str) -> int | None:
        """The header index of ``name``, or None when the file has no such column."""
        return self.index.get(name)

    def header(self, name: str) -> str:
        """The column's header as written in the file (the field name when there is none)."""
        idx = self.index.get(name)
        return name if idx is None else self.headers[idx]


LISTED_HEADERS = 10  # headers named in a message; a file may have 200,000 of them
_HEADER_SHOWN = 60  # characters of one header in a message


def _join(headers: Iterable[str]) -> str:
    """The headers for a message: the first ``LISTED_HEADERS``, then how many more."""
    listed = list(headers)
    shown = [
        repr(h if len(h) <= _HEADER_SHOWN else h[: _HEADER_SHOWN - 1] + "…")
        for h in listed[:LISTED_HEADERS]
    ]
    text = ", ".join(shown) or _("(none)")
    if len(listed) > LISTED_HEADERS:
        text += _(" and {count} more").format(count=f"{len(listed) - LISTED_HEADERS:,}")
    return text


def _refuse_near_misses(
    headers: tuple[str, ...],
    table: Mapping[str, str],
    found: Mapping[str, int],
    path: str,
    header_line: int,
) -> None:
    """``InputFileError`` for a header that looks like a field the file has no column for."""
    missing = [name for name in COLUMNS if name not in found]
    matched = set(found.values())
    for idx, header in enumerate(headers[:CHECKED_HEADERS]):
        if idx in matched:
            continue
        field = near_miss(header, normalise_header(header), table, missing)
        if field is None:
            continue
        raise InputFileError(
            path,
            _(
                "column {n} ({letter}) is headed {header}, which looks like {field} but is not "
                "that name, so its cells would not be sent. Rename it {field}, or map it in the "
                "config ([input.columns] {mapping}); to keep it as an extra column, give it a "
                "name clearly different from {field}"
            ).format(
                n=idx + 1,
                letter=column_letter(idx),
                header=repr(header),
                field=field,
                mapping=f"{header!r} = {field!r}".replace("'", '"'),
            ),
            line=header_line,
            column=header,
        )


def column_letter(index: int) -> str:
    """0-based column index -> spreadsheet letters (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def resolve_columns(
    headers: tuple[str, ...],
    extra_aliases: Mapping[str, str],
    path: str,
    *,
    required: Mapping[str, str] | None = None,
    header_line: int = 1,
) -> ColumnMap:
    """Map the table's headers to API fields.

    ``extra_aliases`` is the config's ``[input.columns]`` (header as written -> field name).
    ``required`` maps each field that must have a column to a reason shown when it is missing
    (empty string for none); by default only ``appointId`` is required. ``header_line`` is the
    header's row number, for error messages. Headers that match no
    field are fine: they are copied to the report, unless one looks like a field the file has
    no column for (``nearmiss``: ``appointTlme``, ``remarks``). Raises ``InputFileError`` for
    such a header, a missing required column (listing the headers found) or two headers
    naming the same field.
    """
    table = _alias_table(extra_aliases)
    found: dict[str, int] = {}
    for idx, header in enumerate(headers):
        name = table.get(normalise_header(header))
        if name is None:
            continue
        if name in found:
            first = headers[found[name]]
            raise InputFileError(
                path,
                _(
                    "columns {first} ({first_header}) and {second} ({second_header}) both mean "
                    "{field}; keep one of them or rename the other"
                ).format(
                    first=found[name] + 1,
                    first_header=repr(first),
                    second=idx + 1,
                    second_header=repr(header),
                    field=name,
                ),
                line=header_line,
                column=header,
            )
        found[name] = idx
    _refuse_near_misses(headers, table, found, path, header_line)
    needed = {APPOINT_ID: ""} if required is None else required
    for name, reason in needed.items():
        if name not in found:
            message = _(
                "no {field} column; found headers: {headers}. Headers are matched ignoring "
                "case, spaces, '_' and '-'; map other names in [input.columns]"
            )
            if reason:
                message = _(
                    "no {field} column ({reason}); found headers: {headers}. Headers are "
                    "matched ignoring case, spaces, '_' and '-'; map other names in "
                    "[input.columns]"
                )
            raise InputFileError(
                path,
                message.format(field=name, reason=reason, headers=_join(headers)),
                line=header_line,
            )
    return ColumnMap(headers=tuple(headers), index=found)
