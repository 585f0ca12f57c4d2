"""Pure: could a valid UTF-8 reading be a misread GBK file? (``encoding.py`` asks ``Utf8Judge``.)"""

from __future__ import annotations

import re

from rescheduler.read.scriptjudge import CyrillicJudge, GreekJudge
from rescheduler.read.textjudge import LETTER

__all__ = ["Utf8Judge"]


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
_WORD = re.compile(f"{LETTER}+")
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
