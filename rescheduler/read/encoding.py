"""Which text encoding a CSV file is in, decided before any row is read, and never guessed.

``detect_encoding(path, forced)`` decodes the whole file strictly (streaming, 1 MiB at a time;
the same pass counts lines for progress) and returns a ``Decoding`` or raises
``InputFileError``:

- A file that is not text at all (a zip such as .xlsx/.ods, an old .xls) is named as such.
- A byte-order mark decides: UTF-8, UTF-16 LE/BE, UTF-32 LE/BE. ``forced`` (``--encoding``)
  must agree with a mark (``utf-16`` on a UTF-16 LE file is fine, ``gb18030`` on it is not).
- Without a mark: strict UTF-8 (a short GBK text can be valid UTF-8 by chance: when the
  UTF-8 reading has only 2-byte characters and one of them stands loose — a letter alone,
  ``Ů`` for 女 — and the GB18030 reading is Chinese, the file is refused as unclear). When
  UTF-8 fails, the two 8-bit encodings the tool reads by itself, GB18030 (Chinese Windows;
  GBK is a subset) and Windows-1252 (Western European Windows), are tried. Nearly every file
  decodes in both, so decoding proves nothing: each reading is judged over the whole file
  (``textjudge``) and one is chosen only when it alone reads as ordinary text of its language
  and the file does not read as Korean (cp949), Japanese (EUC-JP), Cyrillic
  (Windows-1251, KOI8-U) or Greek (Windows-1253) text either (``scriptjudge``). Otherwise
  the file is refused, showing one line as each encoding reads it, and the user names the
  encoding with ``--encoding``.
- ``forced`` must name a text encoding (not ``rot13``, ``hex``, ``base64``, ``idna`` ...);
  ``utf-16``/``utf-32`` without a byte-order mark are refused (say ``-le`` or ``-be``).
- NUL characters are refused while detecting (usually UTF-16 without a byte-order mark).

The judges are measured on real translated text from a Debian system's gettext catalogs
(``benchmarks/encoding_judges.py``). charset-normalizer and chardet, measured on the same
files (``--detector``; ``benchmarks/encoding-judges-last-run.txt``), read hundreds of GBK and
Windows-1252 files wrongly as they answer, or refused most of them when made careful, so
neither is used.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path

from rescheduler.i18n import N_, _
from rescheduler.read.scriptjudge import CyrillicJudge, GreekJudge, JapaneseJudge, KoreanJudge
from rescheduler.read.textjudge import ChineseJudge, Judge, WesternJudge
from rescheduler.read.textscan import error, opened, scan
from rescheduler.read.utf8judge import Utf8Judge

__all__ = ["ChineseJudge", "Decoding", "Utf8Judge", "WesternJudge", "detect_encoding"]

_HEAD = 4096
# Byte-order marks, longest first (the UTF-32 LE mark starts with the UTF-16 LE one).
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# What a forced name may be when the file has a mark: the mark's own codec or its family.
_BOM_FAMILY = {
    "utf-8-sig": ("utf-8", "utf-8-sig"),
    "utf-16-le": ("utf-16", "utf-16-le"),
    "utf-16-be": ("utf-16", "utf-16-be"),
    "utf-32-le": ("utf-32", "utf-32-le"),
    "utf-32-be": ("utf-32", "utf-32-be"),
}
# Text codecs Python has that do not describe a file's characters.
_NOT_FILE_ENCODINGS = frozenset(
    {"idna", "punycode", "undefined", "unicode-escape", "raw-unicode-escape", "charmap"}
)
_GUESSES = (("gb18030", "GB18030"), ("cp1252", "Windows-1252"))
# Encodings never chosen by themselves, read only to refuse a file that could be in them.
_OTHERS = (  # their labels are translated where shown
    ("cp949", N_("Korean")),
    ("euc_jp", N_("Japanese")),
    ("cp1251", N_("Cyrillic, Windows-1251")),
    ("koi8_u", N_("Cyrillic, KOI8-U")),
    ("cp1253", N_("Greek")),
)
_JUDGES: dict[str, type[Judge]] = {
    "gb18030": ChineseJudge,
    "cp1252": WesternJudge,
    "cp949": KoreanJudge,
    "euc_jp": JapaneseJudge,
    "cp1251": CyrillicJudge,
    "koi8_u": CyrillicJudge,
    "cp1253": GreekJudge,
}


@dataclass(frozen=True, slots=True)
class Decoding:
    """How to read the file: ``name`` as reported, the ``codec``, BOM bytes to skip, lines.

    ``ends_with_newline``: the file's last line is terminated (a file cut short in the middle
    of a line is not; ``csvtable`` refuses or marks such a line).
    """

    name: str
    codec: str
    skip: int
    newlines: int
    ends_with_newline: bool = True


def _not_text(path: Path, head: bytes) -> str | None:
    """Why a file that is a workbook or an archive is no CSV, or None."""
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return _(
            "this is an old-style Excel workbook (.xls) or another Office file, not text: "
            "give it its real extension (.xls) or save it as .xlsx or CSV UTF-8"
        )
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        if b"mimetypeapplication/vnd.oasis.opendocument.spreadsheet" in head:
            return _("this is an OpenDocument spreadsheet, not text: rename it to .ods")
        if b"[Content_Types].xml" in head or b"xl/" in head:
            return _("this is an Excel workbook, not text: rename it to .xlsx")
        return _(
            "this is a zip file (an Excel workbook or an archive), not text: if it is a "
            "workbook, rename it to .xlsx; otherwise unpack it"
        )
    return None


def check_encoding_name(name: str) -> str:
    """The codec's canonical name; ``ValueError`` (the message says why) when unusable."""
    try:
        info = codecs.lookup(name)
    except LookupError:
        raise ValueError(
            _(
                "{name!r} is not an encoding Python knows; use one like utf-8, gb18030 or cp1252"
            ).format(name=name)
        ) from None
    if not getattr(info, "_is_text_encoding", True) or info.name in _NOT_FILE_ENCODINGS:
        raise ValueError(
            _("{name!r} is not a text encoding; use one like utf-8, gb18030 or cp1252").format(
                name=name
            )
        )
    return info.name


def detect_encoding(path: Path, forced: str | None) -> Decoding:
    """Decide the file's encoding (see the module docstring); ``InputFileError`` if unsure."""
    with opened(path) as f:
        head = f.read(_HEAD)
    if (why := _not_text(path, head)) is not None:
        raise error(path, why)
    bom = next(((mark, codec) for mark, codec in _BOMS if head.startswith(mark)), None)
    if forced is not None:
        return _forced(path, forced, bom)
    if bom is not None:
        mark, codec = bom
        return _decoded_or_raise(path, codec, codec, len(mark))
    judge = Utf8Judge()
    first = scan(path, "utf-8", 0, guessing=True, judge=judge)
    if isinstance(first, tuple):
        if judge.suspect():
            _refuse_if_chinese_too(path)
        return Decoding("utf-8", "utf-8", 0, *first)
    return _eight_bit(path, first)


def _refuse_if_chinese_too(path: Path) -> None:
    """A suspect UTF-8 reading (``Ů`` alone, which is GBK 女): refused as unclear when the
    file reads as GB18030 too (every 2-byte UTF-8 text does)."""
    if isinstance(scan(path, "gb18030", 0, guessing=True), tuple):
        raise error(path, _ambiguous(path, ["utf-8", "gb18030"]))


def _forced(path: Path, forced: str, bom: tuple[bytes, str] | None) -> Decoding:
    try:
        canonical = check_encoding_name(forced)
    except ValueError as exc:
        raise error(path, _("--encoding: {why}").format(why=exc)) from None
    if bom is not None:
        mark, codec = bom
        if canonical not in _BOM_FAMILY[codec]:
            raise error(
                path,
                _(
                    "the file starts with a {mark} byte-order mark, so it is {mark}, not "
                    "{forced}: leave out --encoding"
                ).format(mark=codec.removesuffix("-sig").upper(), forced=forced),
            )
        return _decoded_or_raise(path, codec, codec, len(mark))
    if canonical in ("utf-16", "utf-32"):
        raise error(
            path,
            _(
                "--encoding {forced} needs a byte-order mark at the start of the file and "
                "this file has none: give {canonical}-le or {canonical}-be"
            ).format(forced=forced, canonical=canonical),
        )
    return _decoded_or_raise(path, forced, canonical, 0)


def _decoded_or_raise(path: Path, name: str, codec: str, skip: int) -> Decoding:
    result = scan(path, codec, skip, guessing=False)
    if isinstance(result, str):
        raise error(path, result)
    return Decoding(name, codec, skip, *result)


def _eight_bit(path: Path, utf8_error: str) -> Decoding:
    """Not UTF-8: choose GB18030 or Windows-1252 only when exactly one reads as real text,
    and the file does not read as Korean, Japanese or Cyrillic text either."""
    plausible: list[Decoding] = []
    decodes: list[str] = []  # those that decode, plausible or not
    for codec, _label in _GUESSES:
        if (found := _judged(path, codec)) is not None:
            decodes.append(codec)
            if found[1]:
                plausible.append(Decoding(codec, codec, 0, *found[0]))
    if len(plausible) == 1:
        others = [c for c, _label in _OTHERS if (found := _judged(path, c)) and found[1]]
        if not others:
            return plausible[0]
        raise error(path, _ambiguous(path, [plausible[0].codec, *others]))
    if not plausible:  # often a UTF-8 file with a few stray bytes: say where they are
        raise error(
            path,
            _(
                "{error}, and the file does not read as Chinese (GB18030) or Western European "
                "(Windows-1252) text either. Save it as 'CSV UTF-8' or give --encoding"
            ).format(error=utf8_error),
        )
    raise error(path, _ambiguous(path, decodes))


def _judged(path: Path, codec: str) -> tuple[tuple[int, bool], bool] | None:
    """``((lines, ends with a newline), reads as its language)``, or None: does not decode."""
    judge = _JUDGES[codec]()
    result = scan(path, codec, 0, guessing=True, judge=judge)
    return None if isinstance(result, str) else (result, judge.plausible())


def _ambiguous(path: Path, decodes: list[str]) -> str:
    """The refusal: one line of the file as each encoding that decodes it reads it."""
    number, raw = _first_non_ascii_line(path)
    labels = dict((*_GUESSES, *_OTHERS, ("utf-8", "UTF-8")))
    shown = "".join(
        f"\n  --encoding {codec:<8} ({_(labels[codec])}): "
        f"{_excerpt(raw.decode(codec, 'replace'))}"
        for codec in decodes
    )
    return _(
        "the file's encoding is not clear (it has too little text, or text that reads "
        "oddly either way). Text line {line} reads:{shown}\nRun again with "
        "the --encoding that reads right, or save the file as 'CSV UTF-8'"
    ).format(line=number, shown=shown)


def _first_non_ascii_line(path: Path) -> tuple[int, bytes]:
    with opened(path) as f:
        for number, raw in enumerate(f, 1):
            if not raw.isascii():
                return number, raw.rstrip(b"\r\n")
    return 1, b""  # pragma: no cover - detection only gets here with non-ASCII bytes


def _excerpt(text: str, width: int = 70) -> str:
    """``text`` around its first non-ASCII character, at most ``width`` characters."""
    at = next((i for i, ch in enumerate(text) if not ch.isascii()), 0)
    start = max(0, min(at - width // 3, len(text) - width))
    piece = text[start : start + width]
    return ("…" if start else "") + piece + ("…" if start + width < len(text) else "")
