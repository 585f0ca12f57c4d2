"""User-facing text in the reader's language: English (the source) or Simplified Chinese.

Every message a person reads goes through ``_`` (or ``ngettext``), written with named
placeholders and formatted after translation, so catalogs can reorder the words::

    _("{column}: the cell shows {error}").format(column=header, error=text)

Text that must be marked for translation where it is defined but translated where it is shown
(a table of server codes, a click help text) is marked with ``N_`` and passed through ``_``
at display time.

Machine-readable values (report column names, statuses, error codes, config keys, flags)
never go through ``_``: they stay stable English. The language is per context (a context
variable), so the upload page can serve two languages at once: each request's task sets its
own, and a run started from it keeps the language it was started in.

Catalogs: ``rescheduler/locale/<ll_CC>/LC_MESSAGES/rescheduler.po`` (edited by translators,
extracted and merged with Babel; see the README) and the ``.mo`` compiled from it, both
committed and shipped in the wheel; ``tests/test_i18n_catalog.py`` fails when the ``.mo`` is
not the ``.po`` compiled. At run time only the stdlib ``gettext`` reads the ``.mo``, lazily,
the first time a non-English message is asked for: English costs one context-variable read.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import jinja2

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "N_",
    "_",
    "best_language",
    "current_language",
    "install_jinja",
    "language_from_env",
    "ngettext",
    "normalize_language",
    "set_language",
    "use_language",
]

DEFAULT_LANGUAGE = "en"
LANGUAGES: tuple[str, ...] = ("en", "zh-CN")
DOMAIN = "rescheduler"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
CATALOG_DIRS: Mapping[str, str] = {"zh-CN": "zh_CN"}  # language tag -> gettext locale folder
_ENV_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")  # POSIX precedence: the first set one wins

_language: ContextVar[str] = ContextVar("rescheduler_language", default=DEFAULT_LANGUAGE)


class _Catalog(Protocol):
    def gettext(self, message: str, /) -> str: ...

    def ngettext(self, singular: str, plural: str, n: int, /) -> str: ...


def normalize_language(tag: str) -> str | None:
    """A language tag or locale name as one of ``LANGUAGES``, or None when it is neither.

    ``zh-CN``, ``zh_CN.UTF-8``, ``zh``, ``zh-Hans``, ``zh_TW`` -> ``zh-CN`` (Simplified Chinese
    is the only Chinese there is); ``en``, ``en_US.UTF-8``, ``C``, ``POSIX`` -> ``en``.
    """
    base = tag.strip().split(".", 1)[0].split("@", 1)[0].replace("_", "-").lower()
    if base in ("c", "posix", "en") or base.startswith("en-"):
        return "en"
    if base == "zh" or base.startswith("zh-"):
        return "zh-CN"
    return None


def language_from_env(environ: Mapping[str, str]) -> str:
    """The language ``LC_ALL``, ``LC_MESSAGES`` or ``LANG`` asks for: zh_* -> zh-CN, else en."""
    for name in _ENV_VARIABLES:
        value = environ.get(name, "")
        if value:
            return "zh-CN" if normalize_language(value) == "zh-CN" else DEFAULT_LANGUAGE
    return DEFAULT_LANGUAGE


def best_language(accept_language: str, default: str = DEFAULT_LANGUAGE) -> str:
    """The best of ``LANGUAGES`` for an HTTP ``Accept-Language`` header (``default`` if none)."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(accept_language.split(",")):
        tag, _sep, params = part.strip().partition(";")
        weight = 1.0
        for param in params.split(";"):
            name, _eq, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        language = normalize_language(tag) if tag.strip() not in ("", "*") else None
        if language is not None and tag.strip().lower() not in ("c", "posix") and weight > 0:
            ranked.append((-weight, index, language))
    return min(ranked)[2] if ranked else default


def set_language(language: str) -> None:
    """Use ``language`` (``en``, ``zh-CN``; locale spellings accepted) in this context from now.

    Raises ``ValueError`` for a language there is no catalog for.
    """
    normalized = normalize_language(language)
    if normalized is None:
        raise ValueError(f"unsupported language {language!r}; use one of {', '.join(LANGUAGES)}")
    _language.set(normalized)


@contextmanager
def use_language(language: str) -> Iterator[None]:
    """``set_language`` for the duration of a ``with`` block, then the language before it."""
    token = _language.set(_language.get())
    try:
        set_language(language)
        yield
    finally:
        _language.reset(token)


def current_language() -> str:
    """The language messages are written in, in this context."""
    return _language.get()


@cache
def _catalog(language: str) -> _Catalog:
    """The compiled catalog of ``language``, loaded once (English text if it is missing)."""
    import gettext

    path = LOCALE_DIR / CATALOG_DIRS[language] / "LC_MESSAGES" / f"{DOMAIN}.mo"
    try:
        with path.open("rb") as handle:
            return gettext.GNUTranslations(handle)
    except OSError:  # a broken installation: English beats a crash in the middle of a run
        import logging

        logging.getLogger("rescheduler").warning("no %s catalog at %s", language, path)
        return gettext.NullTranslations()


def _(message: str) -> str:
    """``message`` translated into the current language (as written when there is none)."""
    language = _language.get()
    if language == DEFAULT_LANGUAGE:
        return message
    return _catalog(language).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form of a message for ``n``, translated."""
    language = _language.get()
    if language == DEFAULT_LANGUAGE:
        return singular if n == 1 else plural
    return _catalog(language).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark ``message`` for extraction only; ``_`` translates it where it is shown."""
    return message


def install_jinja(env: jinja2.Environment) -> None:
    """Give a Jinja2 environment ``{% trans %}``, ``_()`` and ``ngettext()`` in our catalogs.

    New-style gettext (``{{ _("%(n)s rows", n=count) }}``: formatted and escaped by Jinja).
    The language is read at render time from the context variable, so a request handler
    that calls ``set_language`` before rendering gets its pages in its own language.
    """
    env.add_extension("jinja2.ext.i18n")
    install: Any = env.install_gettext_callables  # type: ignore[attr-defined]
    install(gettext=_, ngettext=ngettext, newstyle=True)
