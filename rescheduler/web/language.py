"""The page's language: English or Simplified Chinese, per request.

Chosen, first match wins, from: the language kept with the signed-in account (set by the
switch on every page), the ``rs_lang`` cookie (the switch used before signing in, or on this
browser), the browser's ``Accept-Language``, then ``web.default_language``. ``auth_middleware``
sets it for each request before any handler runs; a check or a run started from a request
keeps that language (the context variable is copied into the task or passed to the worker),
so the rows-to-fix file's ``error`` column is in the language of whoever pressed the button.
"""

from __future__ import annotations

from aiohttp import web

from rescheduler.i18n import LANGUAGES, best_language, normalize_language, set_language
from rescheduler.web.store import Session

LANGUAGE_COOKIE = "rs_lang"
COOKIE_MAX_AGE_S = 365 * 86_400


def choose(request: web.Request, session: Session | None, default: str) -> str:
    """The language of this request's pages (see the module docstring)."""
    for kept in (session.language if session else "", request.cookies.get(LANGUAGE_COOKIE, "")):
        if kept in LANGUAGES:
            return kept
    return best_language(request.headers.get("Accept-Language", ""), default)


def use_for(request: web.Request, session: Session | None, default: str) -> str:
    language = choose(request, session, default)
    set_language(language)
    return language


def asked(value: object) -> str | None:
    """The language a switch form asked for, or None when it is none of ``LANGUAGES``."""
    language = normalize_language(str(value or ""))
    return language if language in LANGUAGES else None


def remember(response: web.StreamResponse, language: str, secure: bool) -> None:
    response.set_cookie(
        LANGUAGE_COOKIE,
        language,
        max_age=COOKIE_MAX_AGE_S,
        httponly=True,
        samesite="Strict",
        secure=secure,
        path="/",
    )
