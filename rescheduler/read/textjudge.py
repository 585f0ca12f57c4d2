"""Pure: does a decoded text read as ordinary text of a language? The encoding detector's judges.

A file that is not UTF-8 decodes in nearly every 8-bit encoding, so decoding proves nothing;
``encoding.py`` reads the file in each candidate encoding and feeds the text to a judge, in
chunks (``feed``), then asks ``plausible()``. Two encodings are read automatically, each with
its judge: GB18030 (``ChineseJudge``) and Windows-1252 (``WesternJudge``). Three more languages
are judged only to refuse a file that could be theirs (Korean cp949, Japanese EUC-JP,
Russian/Ukrainian cp1251 and KOI8-R): their bytes read as GB18030 give real, if odd, hanzi.
``Utf8Judge`` tells whether a valid UTF-8 reading could be a misread GBK file.

The rules, each measured on the translations of a Debian system's catalogs
(``benchmarks/encoding_judges.py`` prints the numbers):

- Chinese: every non-ASCII character is one of the 8,000 hanzi in use (``langdata``: by
  frequency; GB2312 also has characters nobody writes, which is what Cyrillic turns into) or
  Chinese punctuation, full-width forms and the like (GB2312 rows 1-3); kana, Greek, Cyrillic,
  pinyin letters, box drawing and private-use characters are odd. At most 5% may be odd. And
  no character may sit in a Latin word as a UTF-8 letter (``M眉ller`` is UTF-8 ``Müller`` read
  as GB18030: a file that mixes the two encodings is refused, whatever else it holds) or as
  an 8-bit letter and an ASCII one (``Yard齧`` is Turkish ``Yardım``).
- Korean: the cp949 reading is Hangul syllables, most of them ones Korean text uses.
- Japanese: the EUC-JP reading is kana and kanji, with kana (Chinese has none) or with kanji
  Japanese text and names use.
- Cyrillic, Greek: the reading is words of the alphabet, each in lower, Title or UPPER case,
  with vowels.
- Western European: accented letters inside words, one or two at a time, that one language
  has together (``zaèínat`` is Czech ``začínat``: è and í are no one language's).
"""

from __future__ import annotations

import re
from functools import lru_cache

from rescheduler.read.langdata import COMMON_HANZI, JAPANESE_KANJI, KOREAN_SYLLABLES

__all__ = [
    "ChineseJudge",
    "CyrillicJudge",
    "GreekJudge",
    "JapaneseJudge",
    "Judge",
    "KoreanJudge",
    "Utf8Judge",
    "WesternJudge",
]

SHARE = 0.05  # a reading is ordinary text when at most this share of its non-ASCII is odd
_LETTER = r"[^\W\d_]"


def _non_ascii(text: str) -> int:
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
        self.non_ascii += _non_ascii(text)
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
        self.non_ascii += _non_ascii(text)
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
_SYMBOL_IN_WORD = re.compile(f"(?<={_LETTER})[{_CP1252_SYMBOLS}](?={_LETTER})")
_LONE_PAIR = re.compile(f"(?<!{_LETTER})[{_CP1252_LETTERS}]{{2}}(?!{_LETTER})")
_NON_ASCII_SYMBOL = r"(?:[^\w\s\x00-\x7f‘’“”„‚·]|[¹²³¼½¾])"  # quotes sit beside letters
# Two non-ASCII characters side by side, one not a letter (``à®``: one hanzi, two bytes).
_PAIR_WITH_SYMBOL = re.compile(
    f"{_NON_ASCII_SYMBOL}[^\\x00-\\x7f\\s]|[^\\x00-\\x7f\\s]{_NON_ASCII_SYMBOL}"
)
_ACCENTED = r"[^\W\d_\x00-\x7f]"
_ACCENTED_WORD = re.compile(f"{_LETTER}*{_ACCENTED}{_LETTER}*{_ACCENTED}{_LETTER}*")
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


class KoreanJudge(Judge):
    """A cp949 reading: Hangul syllables (nine in ten non-ASCII), six in ten in common use."""

    def __init__(self) -> None:
        super().__init__()
        self.hangul = 0
        self.known = 0

    def feed(self, text: str) -> None:
        if text.isascii():
            return
        self.non_ascii += _non_ascii(text)
        syllables = _HANGUL.findall(text)
        self.hangul += len(syllables)
        self.known += sum(1 for s in syllables if s in _KOREAN)

    def plausible(self) -> bool:
        return (
            self.hangul > 0
            and self.hangul >= 0.9 * self.non_ascii
            and self.known >= 0.6 * self.hangul
        )


class JapaneseJudge(Judge):
    """An EUC-JP reading: kana and kanji, with kana, or with kanji Japanese text uses."""

    def __init__(self) -> None:
        super().__init__()
        self.kana = 0
        self.kanji = 0
        self.known = 0

    def feed(self, text: str) -> None:
        if text.isascii():
            return
        self.non_ascii += _non_ascii(text)
        self.kana += len(_KANA.findall(text))
        kanji = _KANJI.findall(text)
        self.kanji += len(kanji)
        self.known += sum(1 for k in kanji if k in _JAPANESE)

    def plausible(self) -> bool:
        japanese = self.kana + self.kanji
        if not japanese or japanese < 0.9 * self.non_ascii:
            return False
        return self.kana >= 0.1 * self.non_ascii or self.known >= 0.7 * self.kanji


class AlphabetJudge(Judge):
    """A reading in an alphabet of its own: words in one case pattern, a share of vowels."""

    WORD: re.Pattern[str]
    VOWELS: re.Pattern[str]
    VOWEL_SHARE = (0.25, 0.7)  # the share of vowels among the letters of real text

    def __init__(self) -> None:
        super().__init__()
        self.letters = 0
        self.vowels = 0
        self.words = 0
        self.odd_words = 0

    def feed(self, text: str) -> None:
        if text.isascii():
            return
        self.non_ascii += _non_ascii(text)
        for word in _WORD.findall(text):
            if word.isascii():
                continue
            self.words += 1
            if not self.WORD.fullmatch(word):  # mixed with Latin letters: not this alphabet
                self.odd_words += 1
                continue
            self.letters += len(word)
            self.vowels += len(self.VOWELS.findall(word))
            if not (word.islower() or word.isupper() or word.istitle()):
                self.odd_words += 1

    def plausible(self) -> bool:
        return (
            self.letters > 0
            and self.letters >= 0.9 * self.non_ascii
            and self.odd_words <= 0.1 * self.words
            and self.VOWEL_SHARE[0] <= self.vowels / self.letters <= self.VOWEL_SHARE[1]
        )


class CyrillicJudge(AlphabetJudge):
    """A Cyrillic reading (Windows-1251, KOI8-U): Russian, Ukrainian, Bulgarian words."""

    WORD = re.compile("[\u0400-\u045f\u0490\u0491]+")
    VOWELS = re.compile("[аеёиоуыэюяіїєАЕЁИОУЫЭЮЯІЇЄ]")


class GreekJudge(AlphabetJudge):
    """A Greek reading (Windows-1253)."""

    WORD = re.compile("[\u0386-\u03ce]+")
    VOWELS = re.compile("[αεηιουωάέήίόύώϊϋΐΰΑΕΗΙΟΥΩΆΈΉΊΌΎΏ]")
    VOWEL_SHARE = (0.3, 0.85)  # Greek writes more vowels (ουρά)


_HANGUL = re.compile("[\uac00-\ud7a3]")
_KOREAN = frozenset(KOREAN_SYLLABLES)
_KANA = re.compile("[\u3041-\u30ff]")
_KANJI = re.compile("[\u4e00-\u9fff]")
_JAPANESE = frozenset(JAPANESE_KANJI)


class Utf8Judge:
    """Whether a valid UTF-8 reading could be a misread GBK file.

    Every UTF-8 text whose characters are all of 2 bytes is valid GB18030 too, and GBK bytes
    form valid UTF-8 by chance, each hanzi one 2-byte character (Latin, Greek, Cyrillic,
    Hebrew, Arabic ...). Real UTF-8 text has its letters in words of one script (``Müller``,
    ``Перенести``) and its symbols beside ASCII letters or digits (``20°C``); a misread GBK
    text has "loose" characters: a letter alone or in a word of mixed scripts, a symbol away
    from any letter or digit, a C1 control. A reading with no character of 3 or more bytes
    and more than one loose character per four good words is suspect (``Ů`` alone is 女).
    """

    def __init__(self) -> None:
        self.wide = False  # a character of 3 or more UTF-8 bytes: UTF-8 for sure
        self.loose = 0
        self.words = 0  # words with non-ASCII letters that read as real words

    def feed(self, text: str) -> None:
        if self.wide or text.isascii():
            return
        if _WIDE.search(text) is not None:
            self.wide = True
            return
        for match in _WORD.finditer(text):
            word = match.group()
            if word.isascii():
                continue
            if _plausible_word(word) or _one_letter_word(text, match):
                self.words += 1
            else:
                self.loose += 1
        self.loose += _loose_symbols(text)

    def suspect(self) -> bool:
        return not self.wide and self.loose > 0 and 4 * self.loose > self.words


_WIDE = re.compile("[\u0800-\U0010ffff]")
_WORD = re.compile(f"{_LETTER}+")
_RUN = re.compile("[^\x00-\x7f\\s]+")
_BASIC = {  # the letters of each script a real word is written in (GBK pairs reach the rest)
    # Latin-1 and Latin Extended-A letters, and the few of Extended-B that languages use
    # (Romanian ș ț, Vietnamese ơ ư): GBK pairs read as Extended-B letters such as Ⱥ (群)
    "latin": re.compile(
        "[A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u017f\u01a0\u01a1\u01af\u01b0\u0218-\u021b]+"
    ),
    "cyrillic": re.compile("[\u0400-\u045f\u0490\u0491]+"),
    "greek": re.compile("[\u0386-\u03ce]+"),
    "hebrew": re.compile("[\u05d0-\u05ea]+"),
    "arabic": re.compile("[\u0620-\u064a]+"),
}
_VOWEL = {"cyrillic": CyrillicJudge.VOWELS, "greek": GreekJudge.VOWELS}
# Words of one non-ASCII letter: Russian, Ukrainian, Greek, French, Portuguese, Italian.
_ONE_LETTER_WORDS = frozenset("авиксуяоАВИКСУЯОіІїєοηΟΗàÀéÉèÈóò")


def _one_letter_word(text: str, match: re.Match[str]) -> bool:
    """``à`` in ``relatif à URL``: a one-letter word of a language, between spaces."""
    start, end = match.span()
    return (
        match.group() in _ONE_LETTER_WORDS
        and start > 0
        and text[start - 1] == " "
        and end < len(text)
        and text[end] in " \xa0"
    )


def _script(ch: str) -> str:
    code = ord(ch)
    if code < 0x250:
        return "latin"
    return {0x3: "greek", 0x4: "cyrillic", 0x5: "hebrew", 0x6: "arabic"}.get(code >> 8, "other")


def _plausible_word(word: str) -> bool:
    """A word of the UTF-8 reading holding non-ASCII letters: one script, its usual letters,
    Latin ones beside ASCII letters (``Müller``), others at least two with a vowel."""
    scripts = {_script(ch) for ch in word if not ch.isascii()}
    if len(scripts) != 1:
        return False
    script = scripts.pop()
    basic = _BASIC.get(script)
    if basic is None or not basic.fullmatch(word):
        return False
    if script == "latin":
        return not word.isascii() and any(ch.isascii() for ch in word)
    if len(word) == 1:
        return False  # see _one_letter_word
    vowels = _VOWEL.get(script)
    return vowels is None or vowels.search(word) is not None


def _loose_symbols(text: str) -> int:
    """Non-ASCII characters that are not letters yet stand where no text puts them: beside
    another non-ASCII character (``»«``, or two hanzi read as ``·¼``), or alone in a cell
    (``,·,``: GBK 路); and C1 controls. ``20°C`` and ``« Bonjour »`` are text."""
    loose = 0
    for run in _RUN.finditer(text):
        start, end = run.span()
        for at in range(start, end):
            ch = text[at]
            if ch.isalpha():
                continue  # judged with its word
            before = text[at - 1] if at else "\n"
            after = text[at + 1] if at + 1 < len(text) else "\n"
            if (
                "\x80" <= ch <= "\x9f"
                or ("\u0300" <= ch <= "\u036f" and not before.isalpha())  # a mark on nothing
                or (end - start > 1 and not (before.isalpha() or after.isalpha()))
                or (before in _CELL_EDGE and after in _CELL_EDGE)
            ):
                loose += 1
    return loose


_CELL_EDGE = frozenset(',;\t|"\r\n')
