"""Pure: is an unmatched header a misspelt field name? (``appointTlme``, ``remarks``)

A header that matches no field is an extra column, copied to the results and never sent. When
it was meant as a field, its cells are silently left out: the rows "succeed" without the new
time or remark. So a header that looks like a field's name or alias, for a field the file has
no column for, stops the file (``columns.resolve_columns``). It looks like one when, compared
on the matching key (``normalise_header``: case, spaces, ``_`` and ``-`` ignored):

- it is the field's key but for punctuation (``appoint.time``, ``预约时间：``) or a plural ``s``;
- it is one or two letters away (one for keys under 10 letters, none under 6): ``appointTlme``,
  ``аppointTime`` with a Cyrillic ``а``, ``appointld``;
- its words hold the field's words in order (``Appointment Time``, ``new appointTime``,
  ``Work Number``), or, for a Chinese name, it holds the name (``新预约时间``).

The tool's own columns never count (``line``, ``error``, ``status``, ``appointTime_utc``, the
export's ``listed_*`` context columns, ``before_*`` ...): results and errors files feed back in.
Only the first ``CHECKED_HEADERS`` headers are compared (a file may have 200,000 of them).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping

__all__ = ["CHECKED_HEADERS", "near_miss"]

CHECKED_HEADERS = 1000
# Columns rescheduler writes itself (results, errors, export, snapshot files): never a near miss.
TOOL_COLUMNS = frozenset(
    {
        "line", "status", "httpstatus", "resultcode", "resultdesc", "returncode", "returndesc",
        "attempts", "error", "errorcode", "appointtimeutc", "note", "calledno", "taskname",
        "begintime", "endtime", "calltype", "callid",
    }
)  # fmt: skip
TOOL_PREFIXES = ("listed", "before", "after", "undo", "old", "previous")
_PUNCTUATION = re.compile(r"[\W_]+")
_WORDS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
_CAMEL: dict[str, tuple[tuple[str, ...], ...]] = {  # each field's words, as they start words
    "appointId": (("appoint",), ("id",)),  # of a header ("Appointment Time"), alternatives
    "userAccount": (("user",), ("account",)),
    "workNo": (("work",), ("no", "num")),
    "appointTime": (("appoint",), ("time",)),
    "remark": (("remark",),),
    "vdnId": (("vdn",),),
}


def _distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance, or ``limit + 1`` as soon as it is known to exceed ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


def _is_tool_column(key: str) -> bool:
    bare = _PUNCTUATION.sub("", key)
    return (
        bare in TOOL_COLUMNS
        or bare.startswith(TOOL_PREFIXES)
        or bare.endswith("utc")
        or "rescheduler" in bare
    )


def _words(header: str) -> list[str]:
    text = unicodedata.normalize("NFKC", header)
    return [w.casefold() for w in _WORDS.findall(text)]


def _holds_words(header: str, words: tuple[tuple[str, ...], ...]) -> bool:
    """One of each of ``words`` starts a word of ``header``, in order."""
    found = _words(header)
    at = 0
    for word in words:
        while at < len(found) and not found[at].startswith(word):
            at += 1
        if at == len(found):
            return False
        at += 1
    return True


def near_miss(
    header: str, key: str, names: Mapping[str, str], missing: Iterable[str]
) -> str | None:
    """The field ``header`` (matching key ``key``) looks like, or None.

    ``names`` maps each field name or alias's key to its field; ``missing`` are the fields
    the file has no column for (a header like a field the file has is a column of its own).
    """
    wanted = set(missing)
    if not wanted or _is_tool_column(key):
        return None
    bare = _PUNCTUATION.sub("", key)
    for name_key, field in names.items():
        if field not in wanted:
            continue
        if bare in (name_key, name_key + "s", name_key + "es"):
            return field
        limit = 0 if len(name_key) < 6 else 1 if len(name_key) < 10 else 2
        if limit and _distance(bare, name_key, limit) <= limit:
            return field
        if not name_key.isascii() and len(name_key) >= 2 and name_key in bare:
            return field
    for field in wanted:
        words = _CAMEL.get(field)
        if words is not None and _holds_words(header, words):
            return field
    return None
