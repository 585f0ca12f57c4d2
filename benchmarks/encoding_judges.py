"""How often CSV encoding detection reads a file right, refuses it, or reads it WRONG.

    python benchmarks/encoding_judges.py [--files 300] [--seed 1] [--detector ours]
    python benchmarks/encoding_judges.py --write-langdata JIEBA_DICT   # regenerate langdata.py

Real text comes from the translations of the gettext catalogs of this (Debian) system,
/usr/share/locale/<lang>/LC_MESSAGES/*.mo: one line of a translation per CSV row, at most 40
characters. The catalogs whose names sort at even places trained ``read/langdata.py`` (Korean
syllables, Japanese kanji); only the others are measured here. For each language and file size
(1, 3, 10 rows) it writes files in the language's usual 8-bit encoding and in UTF-8, runs
``detect_encoding`` without ``--encoding``, and counts: read right / refused / WRONG (decoded
as something else: a wrong value would be sent). Chinese names (surname + one or two given-name
characters, the kind of text a contact centre's remarks hold) are measured too. Only WRONG is
a defect; refusals ask the user for ``--encoding``, which is safe.

``--detector`` measures a library on the same files instead (same seed, same files); the
libraries are imported only then (``pip install '.[bench]'``), never by rescheduler itself.
A library's answer "reads right" only when decoding the bytes strictly with the encoding it
names gives the original text; a name Python does not know, or a strict decoding that fails,
counts as refused (a careful tool would decode strictly and stop). The rules:

- charset-normalizer ``from_bytes(data)`` (defaults): ``best``: refused when ``.best()`` is
  None, else its decoding ``str(match)`` is compared. ``unique``: also refused when any other
  match in the results (each passed the library's own mess threshold, 0.2) decodes the bytes
  differently from the best one.
- chardet ``detect(data, prefer_superset=True, compat_names=False)`` (``prefer_superset``
  names ISO-8859-1 as Windows-1252, EUC-KR as CP949, as chardet advises when decoding):
  ``answer``: refused when the encoding is None or chardet's "nothing fit" fallback
  (confidence exactly 0.10, no language). ``sure``: also refused when the confidence is at
  most chardet's ``MINIMUM_THRESHOLD`` (0.20). ``unique``: also refused when ``detect_all``
  (same options, its default threshold) lists another candidate that decodes the bytes
  differently.
"""

from __future__ import annotations

import argparse
import collections
import gettext
import glob
import random
import re
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rescheduler.errors import InputFileError
from rescheduler.read.encoding import detect_encoding

LANGS = {  # language -> the 8-bit encoding its Windows/Unix users save CSV in
    "zh_CN": "gbk",
    "fr": "cp1252",
    "de": "cp1252",
    "es": "cp1252",
    "pt": "cp1252",
    "sv": "cp1252",
    "ko": "cp949",
    "ja": "euc_jp",
    "ru": "cp1251",
    "uk": "koi8_u",
    "el": "cp1253",
    "cs": "cp1250",
    "pl": "cp1250",
    "tr": "cp1254",
}
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅"
GIVEN = (
    "婷琳倩璐瑶琪欣怡浩宇轩涵梓睿萱昊晗皓熙钰桐嘉锦瑾翔鹏磊霞艳燕秀英华"
    "玲萍红梅丹娟颖雯蕾薇伟芳娜敏静丽强军杰涛明超勇"
)


def lines(lang: str, part: int) -> list[str]:
    """Non-ASCII lines of the translations in every other catalog (``part`` 0: training)."""
    out: list[str] = []
    files = sorted(glob.glob(f"/usr/share/locale/{lang}/LC_MESSAGES/*.mo"))
    for name in files[part::2]:
        try:
            with open(name, "rb") as f:
                catalog = gettext.GNUTranslations(f)._catalog  # type: ignore[attr-defined]
        except (OSError, UnicodeDecodeError, ValueError):
            continue
        for text in catalog.values():
            if not isinstance(text, str):
                continue
            for line in text.splitlines():
                line = re.sub(r"%[-\d.]*\w|\{\w*\}", "x", line)  # placeholders: a word
                line = re.sub(r"[_&,\"]", "", line).strip()[:40]
                if line and not line.isascii():
                    out.append(line)
    return out


Judge = Callable[[bytes, str, Path], tuple[str, ...]]  # (bytes, original text, tmp dir)


def judge_ours(data: bytes, body: str, tmp: Path) -> tuple[str, ...]:
    path = tmp / "in.csv"
    path.write_bytes(data)
    try:
        decoding = detect_encoding(path, None)
    except InputFileError:
        return ("refused",)
    try:
        read = data.decode(decoding.codec)
    except UnicodeDecodeError:
        return ("WRONG",)
    return ("right" if read == body else "WRONG",)


def read_as(data: bytes, body: str, codec: str) -> str:
    """A library's answer, decoded strictly as a careful tool would: right, WRONG or refused."""
    try:
        read = data.decode(codec)
    except (LookupError, UnicodeDecodeError):
        return "refused"
    return "right" if read == body else "WRONG"


def judge_charset_normalizer(data: bytes, body: str, tmp: Path) -> tuple[str, ...]:
    from charset_normalizer import from_bytes

    matches = from_bytes(data)
    best = matches.best()
    if best is None:
        return ("refused", "refused")
    read = str(best)
    first = "right" if read == body else "WRONG"
    rival = any(str(match) != read for match in matches)
    return (first, "refused" if rival else first)


def judge_chardet(data: bytes, body: str, tmp: Path) -> tuple[str, ...]:
    import chardet

    answer = chardet.detect(data, prefer_superset=True, compat_names=False)
    codec, confidence = answer["encoding"], float(answer["confidence"])
    if codec is None or (confidence == 0.10 and answer["language"] is None):
        return ("refused", "refused", "refused")
    first = read_as(data, body, codec)
    if first == "refused" or confidence <= chardet.MINIMUM_THRESHOLD:
        return (first, "refused", "refused")
    read = data.decode(codec)
    for other in chardet.detect_all(data, prefer_superset=True, compat_names=False):
        name = other["encoding"]
        try:
            if name is None or data.decode(name) != read:
                return (first, first, "refused")
        except (LookupError, UnicodeDecodeError):
            continue  # a candidate that cannot decode the bytes is no rival
    return (first, first, first)


DETECTORS: dict[str, tuple[Judge, tuple[str, ...]]] = {  # detector -> judge, its rules
    "ours": (judge_ours, ("ours",)),
    "charset-normalizer": (judge_charset_normalizer, ("best", "unique")),
    "chardet": (judge_chardet, ("answer", "sure", "unique")),
}


def version(detector: str) -> str:
    from importlib.metadata import version as installed

    return installed("rescheduler" if detector == "ours" else detector)


def outcome(rows: list[str], codec: str, tmp: Path, judge: Judge) -> tuple[str, ...] | None:
    body = "appointId,remark\r\n" + "".join(f"{1000 + n},{r}\r\n" for n, r in enumerate(rows))
    try:
        data = body.encode(codec)
    except UnicodeEncodeError:
        return None  # the language's 8-bit encoding cannot write this text: not measured
    return judge(data, body, tmp)


GROUPS = {  # summary lines: the files issue 9 asked about
    "zh_CN (GBK)": ("zh_CN", "zh_CN names"),
    "cp1252 (fr de es pt sv)": ("fr", "de", "es", "pt", "sv"),
}


def measure(files: int, seed: int, detector: str) -> None:
    judge, rules = DETECTORS[detector]
    rnd = random.Random(seed)
    names = [rnd.choice(SURNAMES) + "".join(rnd.choices(GIVEN, k=rnd.choice([1, 2])))
             for _ in range(5000)]  # fmt: skip
    pools = {lang: lines(lang, 1) for lang in LANGS}
    pools["zh_CN names"] = names
    totals: dict[tuple[str, str, str], collections.Counter[str]] = collections.defaultdict(
        collections.Counter
    )  # (group, encoding kind, rule) -> outcomes
    print(f"detector: {detector} {version(detector)}; rules: {', '.join(rules)}")
    print(f"{'text':14} {'encoding':8} rows"
          + "".join(f" | {rule + ':':7} right refused WRONG" for rule in rules)
          + f"   (of {files} files each)")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        for lang, pool in pools.items():
            codec = LANGS[lang.split()[0]]
            if not pool:
                print(f"{lang:14} no catalogs on this system")
                continue
            groups = [g for g, langs in GROUPS.items() if lang in langs]
            for enc in (codec, "utf-8"):
                for size in (1, 3, 10):
                    counts = [collections.Counter[str]() for _ in rules]
                    for _ in range(files):
                        got = outcome(rnd.sample(pool, size), enc, Path(tmp), judge)
                        for counter, result in zip(counts, got or (), strict=False):
                            counter[result] += 1
                    cells = "".join(f" | {'':7} {c['right']:5} {c['refused']:7} {c['WRONG']:5}"
                                    for c in counts)  # fmt: skip
                    print(f"{lang:14} {enc:8} {size:4}{cells}")
                    kind = "utf-8" if enc == "utf-8" else "8-bit"
                    for group in groups:
                        for rule, counter in zip(rules, counts, strict=True):
                            totals[group, kind, rule].update(counter)
    print("\nsummary (all sizes):")
    for (group, kind, rule), c in totals.items():
        print(f"  {group:24} {kind:5} {rule:7} right {c['right']:5}  refused {c['refused']:5}"
              f"  WRONG {c['WRONG']:5}")  # fmt: skip


def write_langdata(jieba_dict: str) -> None:
    counts: collections.Counter[str] = collections.Counter()
    with open(jieba_dict, encoding="utf-8") as f:
        for line in f:
            word, freq = line.split()[:2]
            for ch in word:
                if "\u4e00" <= ch <= "\u9fff":
                    counts[ch] += int(freq)
    hanzi = "".join(ch for ch, _n in counts.most_common(8000))
    ko = {ch for line in lines("ko", 0) for ch in line if "\uac00" <= ch <= "\ud7a3"}
    ja = {ch for line in lines("ja", 0) for ch in line if "\u4e00" <= ch <= "\u9fff"}
    ko |= set(KOREAN_NAMES)
    ja |= set(JAPANESE_NAMES)
    target = Path(__file__).resolve().parent.parent / "rescheduler/read/langdata.py"
    text = target.read_text(encoding="utf-8")
    head = text[: text.index("COMMON_HANZI = (")]

    def block(name: str, chars: str) -> str:
        body = "\n".join(f'    "{chars[i : i + 36]}"' for i in range(0, len(chars), 36))
        return f"{name} = (\n{body}\n)\n"

    target.write_text(
        head
        + block("COMMON_HANZI", hanzi)
        + block("KOREAN_SYLLABLES", "".join(sorted(ko)))
        + block("JAPANESE_KANJI", "".join(sorted(ja))),
        encoding="utf-8",
    )


KOREAN_NAMES = (
    "김이박최정강조윤장임한오서신권황안송류전홍고문양손배백허유남심노하곽성차주우구민나진지엄채원천"
    "방공현함변염여추도소석선설마길연위표명기반라왕금옥육인맹제모탁국어은편용예경봉민수영희지우준서"
    "하도예린시주현혜미선경숙자순옥정태호철동훈상진재석용환성은아유나리빈슬기"
)
JAPANESE_NAMES = (
    "佐藤鈴木高橋田中伊渡辺山本村小林加吉口松井上清水崎森池野阿部石川下島岡長谷後近遠青坂斉福太西金"
    "三浦原竹内和宮柴酒横安大今谷丸増杉塚平河武菊千熊秋久保永郎子花一太美恵健翔陽真由香奈菜明誠浩之"
    "男夫雄彦治三二次介輔樹蔵広優愛結咲"
)

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--detector", choices=list(DETECTORS), default="ours")
    parser.add_argument("--write-langdata", metavar="JIEBA_DICT")
    args = parser.parse_args()
    if args.write_langdata:
        write_langdata(args.write_langdata)
    else:
        measure(args.files, args.seed, args.detector)
