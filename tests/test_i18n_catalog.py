"""The Chinese catalog is complete, current and faithful to what the code says.

Messages are extracted from the code with Babel's own extractor and ``babel.cfg`` (what
``pybabel extract`` does), then compared with ``rescheduler/locale/zh_CN/.../rescheduler.po``:
every message translated, none fuzzy, none stale; each translation keeps the placeholders,
flags, config keys, field names and codes of its message and follows the glossary; and the
committed ``.mo`` is the ``.po`` compiled (the README says how to update both).
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

babel = pytest.importorskip("babel")  # the [test] extra; not needed at run time

from babel.messages.catalog import Catalog, Message  # noqa: E402
from babel.messages.extract import extract_from_dir  # noqa: E402
from babel.messages.frontend import parse_mapping_cfg  # noqa: E402
from babel.messages.mofile import read_mo  # noqa: E402
from babel.messages.pofile import read_po  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
LOCALE = ROOT / "rescheduler" / "locale" / "zh_CN" / "LC_MESSAGES"

MsgId = str | tuple[str, ...]


@cache
def extracted() -> dict[MsgId, list[str]]:
    """Every message the code marks, with where it is, as ``pybabel extract -F babel.cfg``."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)  # type: ignore[no-untyped-call]
    found: dict[MsgId, list[str]] = {}

    def only_the_package(path: str) -> bool:
        rel = Path(path).relative_to(ROOT).parts if Path(path).is_absolute() else Path(path).parts
        return not rel or rel[0] == "rescheduler"

    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, directory_filter=only_the_package
    ):
        key: MsgId = message if isinstance(message, str) else tuple(message)
        found.setdefault(key, []).append(f"{filename}:{lineno}")
    return found


@cache
def catalog() -> Catalog:
    with (LOCALE / "rescheduler.po").open("rb") as handle:
        return read_po(handle, locale="zh_CN")


def messages() -> Iterator[Message]:
    for message in catalog():
        if message.id:
            yield message


def _key(message: Message) -> MsgId:
    return message.id if isinstance(message.id, str) else tuple(message.id)


def _strings(message: Message) -> tuple[str, ...]:
    value = message.string
    return (value,) if isinstance(value, str) else tuple(value or ())


def _ids(message: Message) -> tuple[str, ...]:
    return (message.id,) if isinstance(message.id, str) else tuple(message.id or ())


def test_the_code_has_messages() -> None:
    assert len(extracted()) > 200  # the extraction itself works (a broken babel.cfg finds 0)
    assert "{text} is in the past ({utc}); give a future time" in extracted()


def test_every_message_of_the_code_is_translated() -> None:
    by_id = {_key(m): m for m in messages()}
    missing = [f"{k!r} ({where[0]})" for k, where in extracted().items() if k not in by_id]
    untranslated = [
        f"{k!r} ({where[0]})"
        for k, where in extracted().items()
        if k in by_id and not all(_strings(by_id[k]))
    ]
    fuzzy = [repr(_key(m)) for m in messages() if m.fuzzy]
    assert not missing, "not in the zh_CN catalog (run pybabel extract + update):\n" + "\n".join(
        missing
    )
    assert not untranslated, "no translation:\n" + "\n".join(untranslated)
    assert not fuzzy, "fuzzy (check and clear the flag):\n" + "\n".join(fuzzy)


def test_no_stale_messages() -> None:
    stale = [repr(_key(m)) for m in messages() if _key(m) not in extracted()]
    assert not stale, "no longer in the code (pybabel update drops them):\n" + "\n".join(stale)
    assert not catalog().obsolete, f"obsolete entries left: {list(catalog().obsolete)}"


def placeholders(text: str) -> set[str]:
    """``{name:spec!conv}`` fields (str.format) and ``%(name)s`` (Jinja2's new-style gettext)."""
    fields = {
        f"{{{name}{'!' + conv if conv else ''}{':' + spec if spec else ''}}}"
        for _literal, name, spec, conv in string.Formatter().parse(text)
        if name is not None
    }
    return fields | set(re.findall(r"%\([A-Za-z_]\w*\)[sdif]", text))


MACHINE_TOKENS = re.compile(
    r"--[a-z][a-z-]*"  # flags
    r"|\b(?:server|auth|send|input|web)\.[a-z_]+"  # config keys
    r"|\[input\.columns\]"
    r"|\b(?:appointId|userAccount|workNo|appointTime|vdnId)\b"  # field names
    r"|'not_sent'|\b\d{7,8}\b|HTTP \d{3}"  # statuses and codes
    r"|\.(?:xlsx|xls|ods|csv)\b|\butf-16-[lb]e\b|\bchmod 600\b"
)


@pytest.mark.parametrize("check", ["placeholders", "machine tokens"])
def test_translations_keep_what_the_code_and_scripts_need(check: str) -> None:
    wrong = []
    for message in messages():
        for source, translated in zip(
            _ids(message) * len(_strings(message)), _strings(message), strict=False
        ):
            if check == "placeholders":
                want, got = placeholders(source), placeholders(translated)
            else:
                want = set(MACHINE_TOKENS.findall(source))
                got = set(MACHINE_TOKENS.findall(translated))
            if want != got:
                wrong.append(f"{source!r}: {sorted(want)} != {sorted(got)}")
    assert not wrong, "\n".join(wrong)


def test_plural_messages_keep_the_placeholders_of_both_forms() -> None:
    plurals = [m for m in messages() if not isinstance(m.id, str)]
    assert plurals
    for message in plurals:
        singular, plural = _ids(message)
        assert placeholders(singular) == placeholders(plural)
        assert all(placeholders(s) == placeholders(plural) for s in _strings(message))


GLOSSARY = {  # an English word in the message -> the Chinese word its translation must use
    r"\breservations?\b": "预约",
    r"(?<![-\w])agent\b": "坐席",  # the word, not the flag --agent
}
NEVER = ("座席", "代理")  # the other words for agent


def test_the_glossary_is_followed() -> None:
    wrong = []
    for message in messages():
        source, translated = " ".join(_ids(message)), " ".join(_strings(message))
        for word, chinese in GLOSSARY.items():
            if re.search(word, source, re.IGNORECASE) and chinese not in translated:
                wrong.append(f"{source!r} -> {translated!r}: expected {chinese}")
        wrong.extend(f"{translated!r}: uses {w}" for w in NEVER if w in translated)
    assert not wrong, "\n".join(wrong)


def test_the_compiled_catalog_is_the_po_compiled() -> None:
    with (LOCALE / "rescheduler.mo").open("rb") as handle:
        compiled = read_mo(handle)
    want = {_key(m): _strings(m) for m in messages()}
    got = {_key(m): _strings(m) for m in compiled if m.id}
    assert got == want, "the .mo is stale: pybabel compile -d rescheduler/locale -D rescheduler"
    assert compiled.plural_forms == catalog().plural_forms == "nplurals=1; plural=0;"


def test_the_placeholder_parser() -> None:
    assert placeholders("{a} and {b:,} {c!r} 100%") == {"{a}", "{b:,}", "{c!r}"}
    assert placeholders("%(n)s rows of %(file)s") == {"%(n)s", "%(file)s"}
    assert MACHINE_TOKENS.findall("set server.base_url, run with --on-conflict last") == [
        "server.base_url",
        "--on-conflict",
    ]
