"""Pure: the judges of the languages a file is refused for, by the script they are written in.

Their bytes read as GB18030 give real, if odd, hanzi, so ``encoding.py`` asks these judges
whether the file could be theirs, and refuses it when one says yes (``textjudge`` has the
judges of the two encodings read automatically, and the base class):

- Korean: the cp949 reading is Hangul syllables, most of them ones Korean text uses.
- Japanese: the EUC-JP reading is kana and kanji, with kana (Chinese has none) or with kanji
  Japanese text and names use.
- Cyrillic, Greek: the reading is words of the alphabet, each in lower, Title or UPPER case,
  with vowels.
"""

from __future__ import annotations

import re

from rescheduler.read.langdata import JAPANESE_KANJI, KOREAN_SYLLABLES
from rescheduler.read.textjudge import LETTER, Judge, non_ascii

__all__ = ["AlphabetJudge", "CyrillicJudge", "GreekJudge", "JapaneseJudge", "KoreanJudge"]


class KoreanJudge(Judge):
    """A cp949 reading: Hangul syllables (nine in ten non-ASCII), six in ten in common use."""

    def __init__(self) -> None:
        super().__init__()
        self.hangul = 0
        self.known = 0

    def feed(self, text: str) -> None:
        if text.isascii():
            return
        self.non_ascii += non_ascii(text)
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
        self.non_ascii += non_ascii(text)
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
        self.non_ascii += non_ascii(text)
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
_WORD = re.compile(f"{LETTER}+")
