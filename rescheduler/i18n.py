"""User-facing text in the reader's language (English by default; Simplified Chinese to come).

Every message a person reads goes through ``_`` (or ``ngettext``), written with named
placeholders and formatted after translation, so catalogs can reorder the words::

    _("{column}: the cell shows {error}").format(column=header, error=text)

Machine-readable values (report column names, statuses, error codes, config keys, flags)
never go through ``_``: they stay stable English. The language is per run (a context variable),
so the upload page can serve two languages at once.
"""

from __future__ import annotations

from contextvars import ContextVar

__all__ = ["_", "current_language", "ngettext", "set_language"]

DEFAULT_LANGUAGE = "en"
_language: ContextVar[str] = ContextVar("rescheduler_language", default=DEFAULT_LANGUAGE)


def set_language(language: str) -> None:
    """Use ``language`` (``en``, ``zh-CN``) for messages made in this context from now on."""
    _language.set(language)


def current_language() -> str:
    """The language messages are written in, in this context."""
    return _language.get()


def _(message: str) -> str:
    """``message`` translated into the current language (as written when there is none)."""
    return message


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form of a message for ``n``, translated."""
    return singular if n == 1 else plural
