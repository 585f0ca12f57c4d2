"""Pure: does a decoded text read as ordinary text of a language? The encoding detector's judges.

A file that is not UTF-8 decodes in nearly every 8-bit encoding, so decoding proves nothing;
``encoding.py`` reads the file in each candidate encoding and feeds the text to a judge, in
chunks (``feed``), then asks ``plausible()``. Two encodings are read automatically, each with
its judge, here: GB18030 (``ChineseJudge``) and Windows-1252 (``WesternJudge``). Three more
languages are judged only to refuse a file that could be theirs (``scriptjudge``: Korean
cp949, Japanese EUC-JP, Russian/Ukrainian cp1251 and KOI8-R): their bytes read as GB18030
give real, if odd, hanzi. ``utf8judge.Utf8Judge`` tells whether a valid UTF-8 reading could
be a misread GBK file.

The rules, each measured on the translations of a Debian system's catalogs
(``benchmarks/encoding_judges.py`` prints the numbers):

- Chinese: every non-ASCII character is one of the 8,000 hanzi in use (``langdata``: by
  frequency; GB2312 also has characters nobody writes, which is what Cyrillic turns into) or
  Chinese punctuation, full-width forms and the like (GB2312 rows 1-3); kana, Greek, Cyrillic,
  pinyin letters, box drawing and private-use characters are odd. At most 5% may be odd. And
  no character may sit in a Latin word as a UTF-8 letter (``M眉ller`` is UTF-8 ``Müller`` read
  as GB18030: a file that mixes the two encodings is refused, whatever else it holds) or as
  an 8-bit letter and an ASCII one (``Yard齧`` is Turkish ``Yardım``).
- Western European: accented letters inside words, one or two at a time, that one language
  has together (``zaèínat`` is Czech ``začínat``: è and í are no one language's).
- Korean, Japanese, Cyrillic, Greek: see ``scriptjudge``.
"""

from __future__ import annotations

import re
from functools import lru_cache

from rescheduler.read.langdata import COMMON_HANZI

__all__ = ["LETTER", "ChineseJudge", "Judge", "WesternJudge", "non_ascii"]

SHARE = 0.05  # a reading is ordinary text when at most this share of its non-ASCII is odd
LETTER = r"[^\W\d_]"


def non_ascii(text: str) -> int:
    return len(text) - len(text.encode("ascii", "ignore"))


def _gb_rows(first: int, last: int) -> str:
    chars = []
    for lead in range(first, last + 1):
        for trail in range(0xA1, 0xFF):
            try:
                chars.append(bytes((lead, trail)).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return "".join(chars)


@lru_cache(maxsize=1)
def _not_chinese() -> re.Pattern[str]:
    """A non-ASCII character that is neither a hanzi in use nor Chinese punctuation/forms."""
    allowed = COMMON_HANZI + _gb_rows(0xA1, 0xA3) + "\u3000\u00a0"
    return re.compile("[^\\x00-\\x7f" + re.escape(allowed) + "]")


@lru_cache(maxsize=1)
def _utf8_letter_in_word() -> re.Pattern[str]:
    """A GB18030 character whose two bytes are a UTF-8 Latin letter (U+00C0-024F), next to a
    Latin letter and not between hanzi: ``眉`` in ``M眉ller`` (``ü``), ``茅`` in ``caf茅,``."""
    chars = []
    for lead in range(0xC2, 0xE0):
        for trail in range(0x80, 0xC0):
            pair = bytes((lead, trail))
            try:
                if "\u00c0" <= pair.decode("utf-8") <= "\u024f":  # a Latin letter
                    chars.append(pair.decode("gb18030"))
            except UnicodeDecodeError:
                continue
    cls = "[" + re.escape("".join(chars)) + "]"
    near = r"[A-Za-z\s\d.,;:!?'\"()/-]"
    return re.compile(
        f"(?<=[A-Za-z]){cls}(?={near}|$)|(?<={near}){cls}(?=[A-Za-z])|^{cls}(?=[A-Za-z])"
    )


@lru_cache(maxsize=1)
def _letter_trail_in_word() -> re.Pattern[str]:
    """A GBK character whose second byte is an ASCII letter, next to a Latin letter:
    ``Yard齧`` is Turkish ``Yardım`` (FD 6D: ı then m) read as GB18030."""
    chars = []
    for lead in range(0x81, 0xFF):
        for trail in b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz":
            try:
                chars.append(bytes((lead, trail)).decode("gb18030"))
            except UnicodeDecodeError:
                continue
    cls = "[" + re.escape("".join(chars)) + "]"
    return re.compile(f"(?<=[A-Za-z]){cls}|{cls}(?=[A-Za-z])")


class Judge:
    """Counts a reading's non-ASCII characters and the odd ones among them."""

    def __init__(self) -> None:
        self.non_ascii = 0
        self.odd = 0

    def feed(self, text: str) -> None:
        raise NotImplementedError

    def plausible(self) -> bool:
        return self.odd <= SHARE * self.non_ascii


class ChineseJudge(Judge):
    """A GB18030 reading: hanzi in use and Chinese punctuation, no UTF-8 letters in words."""

    def __init__(self) -> None:
        super().__init__()
        self.utf8_letters = 0

    def feed(self, text: str) -> None:
        if text.isascii():
            return
        self.non_ascii += non_ascii(text)
        self.odd += len(_not_chinese().findall(text))
        self.utf8_letters += len(_utf8_letter_in_word().findall(text))
        self.utf8_letters += len(_letter_trail_in_word().findall(text))

    def plausible(self) -> bool:
        return self.utf8_letters == 0 and super().plausible()


class WesternJudge(Judge):
    """Counts what in a Windows-1252 reading is not how Western European words look.

    Accented letters sit inside words, one or two at a time (``Müller``, ``ação``); a
    misread Chinese file gives runs of three or more (``¿Í»§``), pairs standing alone (one
    hanzi, ``ÄÐ``), or symbols inside words. ``ð þ ý`` (Icelandic) are what Turkish letters
    become, so they count as odd too.
    """

    def __init__(self) -> None:
        super().__init__()
        self.settled = False  # clearly not Western text: stop looking (it is slow on such text)

    def feed(self, text: str) -> None:
        if self.settled:
            return
        self.non_ascii += non_ascii(text)
        self.odd += sum(len(m) for m in _LONG_RUN.findall(text))
        if self.non_ascii >= 4096 and self.odd > self.non_ascii // 2:
            self.settled = True
            return
        self.odd += len(_SUSPECT.findall(text)) + len(_SYMBOL_IN_WORD.findall(text))
        self.odd += 2 * len(_LONE_PAIR.findall(text)) + 2 * len(_PAIR_WITH_SYMBOL.findall(text))
        self.odd += 2 * sum(1 for w in _ACCENTED_WORD.findall(text) if not _one_language(w))

    def plausible(self) -> bool:
        return not self.settled and super().plausible()


_LONG_RUN = re.compile(r"[^\x00-\x7f]{3,}")
_SUSPECT = re.compile("[ðÐþÞýÝ]")
_CP1252_HIGH = bytes(range(0x80, 0x100)).decode("cp1252", "ignore")
_CP1252_LETTERS = re.escape("".join(ch for ch in _CP1252_HIGH if ch.isalpha()))
_CP1252_SYMBOLS = re.escape(
    "".join(ch for ch in _CP1252_HIGH if not ch.isalpha() and ch not in "\u2019\u2018\u00b7")
)
_SYMBOL_IN_WORD = re.compile(f"(?<={LETTER})[{_CP1252_SYMBOLS}](?={LETTER})")
_LONE_PAIR = re.compile(f"(?<!{LETTER})[{_CP1252_LETTERS}]{{2}}(?!{LETTER})")
_NON_ASCII_SYMBOL = r"(?:[^\w\s\x00-\x7f‘’“”„‚·]|[¹²³¼½¾])"  # quotes sit beside letters
# Two non-ASCII characters side by side, one not a letter (``à®``: one hanzi, two bytes).
_PAIR_WITH_SYMBOL = re.compile(
    f"{_NON_ASCII_SYMBOL}[^\\x00-\\x7f\\s]|[^\\x00-\\x7f\\s]{_NON_ASCII_SYMBOL}"
)
_ACCENTED = r"[^\W\d_\x00-\x7f]"
_ACCENTED_WORD = re.compile(f"{LETTER}*{_ACCENTED}{LETTER}*{_ACCENTED}{LETTER}*")
# The accented letters of each Western European language. A word whose accented letters no
# one language has together (``zaèínat``, ``pøijetí``) is Central European (Windows-1250)
# read as Windows-1252: č ř ě ů read as è ø ì ù. (Catalan, whose è and í together are what
# Czech č and í become, is left out: such a Catalan word makes the file unclear, not wrong.)
_LANGUAGES = tuple(
    frozenset(letters)
    for letters in (
        "àâæçéèêëîïôœùûüÿ",  # French
        "äöüß",  # German
        "áéíñóúü",  # Spanish
        "áâãàçéêíóôõú",  # Portuguese
        "àèìòù",  # Italian (a word with two accents has graves only)
        "áéëíïóöúü",  # Dutch
        "åäöéü",  # Swedish, Finnish
        "æøåéó",  # Danish, Norwegian
        "áðéíóúýþæö",  # Icelandic, Faroese (ð þ also count as suspect)
    )
)


def _one_language(word: str) -> bool:
    accented = {ch for ch in word.lower() if not ch.isascii()}
    return any(accented <= letters for letters in _LANGUAGES)
