"""Who may do what: sessions, CSRF, Origin checks, sign-in and sign-out.

* Every route needs a signed-in user except ``/login`` and ``/static/``. Pages redirect to
  ``/login?next=...``; JSON and downloads answer 401.
* The session cookie (``rs_session``) is random, stored server-side (as a hash), HttpOnly,
  SameSite=Strict, and Secure when the request came over TLS. Signing in always makes a new
  session (no fixation); signing out deletes it.
* Every POST needs the session's CSRF token, as the ``csrf`` form field or the
  ``X-CSRF-Token`` header; a handler that streams a multipart body checks the first part
  itself (it is marked ``@streams_csrf``). The sign-in form, before any session exists, uses a
  double-submit token (cookie ``rs_login`` = form field). A POST whose ``Origin`` names
  another host is refused outright.
* Sign-ins are throttled per (name, address) and per address (``throttle.py``); a wrong name
  and a wrong password get the same answer in the same time.
"""

from __future__ import annotations

import asyncio
import hmac
import math
import secrets
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

from aiohttp import web

from rescheduler.web.context import SESSION, context
from rescheduler.web.pages import render
from rescheduler.web.passwords import verify_password

SESSION_COOKIE = "rs_session"
LOGIN_COOKIE = "rs_login"
CSRF_HEADER = "X-CSRF-Token"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
H = TypeVar("H", bound=Handler)


def public(handler: H) -> H:
    """Mark a route that needs no session."""
    setattr(handler, "rescheduler_public", True)  # noqa: B010
    return handler


def streams_csrf(handler: H) -> H:
    """Mark a route that reads a multipart body and checks its ``csrf`` part itself."""
    setattr(handler, "rescheduler_streams_csrf", True)  # noqa: B010
    return handler


def tokens_match(given: str | None, expected: str) -> bool:
    return bool(given) and hmac.compare_digest(str(given).encode(), expected.encode())


def _same_origin(request: web.Request) -> bool:
    origin = request.headers.get("Origin")
    if origin is None:  # not a browser, or an old one: the CSRF token still decides
        return True
    return urlsplit(origin).netloc.lower() == (request.host or "").lower()


def _forbidden(request: web.Request, why: str) -> web.Response:
    return render(request, "error.html", status=403, title="Refused", message=why)


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    ctx = context(request)
    token = request.cookies.get(SESSION_COOKIE)
    session = ctx.store.session(token) if token else None
    SESSION.set(session)  # set for every request: one connection's requests share a task
    target: Any = request.match_info.handler
    if request.method not in _SAFE_METHODS and not _same_origin(request):
        return _forbidden(request, "This form was sent from another site.")
    if getattr(target, "rescheduler_public", False) or request.path.startswith("/static/"):
        return await handler(request)
    if session is None:
        if request.method == "GET" and "application/json" not in request.headers.get("Accept", ""):
            raise web.HTTPSeeOther(f"/login?next={quote(request.path_qs, safe='/')}")
        raise web.HTTPUnauthorized(text="sign in first\n")
    if request.method not in _SAFE_METHODS and not getattr(
        target, "rescheduler_streams_csrf", False
    ):
        given = request.headers.get(CSRF_HEADER)
        if given is None and request.content_type == "application/x-www-form-urlencoded":
            given = str((await request.post()).get("csrf", ""))
        if not tokens_match(given, session.csrf):
            return _forbidden(request, "The form had expired. Go back, reload the page and retry.")
    return await handler(request)


def safe_next(value: str | None) -> str:
    """A local path to go to after signing in (never another site)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


def set_cookie(request: web.Request, response: web.StreamResponse, name: str, value: str) -> None:
    response.set_cookie(
        name, value, httponly=True, samesite="Strict", secure=request.secure, path="/"
    )


@public
async def login_page(request: web.Request) -> web.StreamResponse:
    if SESSION.get() is not None:
        raise web.HTTPSeeOther(safe_next(request.query.get("next")))
    return _login_form(request, next_path=request.query.get("next", "/"))


def _login_form(
    request: web.Request, *, next_path: str, message: str = "", status: int = 200, name: str = ""
) -> web.Response:
    token = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(32)
    response = render(
        request,
        "login.html",
        status=status,
        login_csrf=token,
        next_path=safe_next(next_path),
        message=message,
        name=name,
    )
    set_cookie(request, response, LOGIN_COOKIE, token)
    return response


@public
async def login(request: web.Request) -> web.StreamResponse:
    ctx = context(request)
    form = await request.post()
    name = str(form.get("name", "")).strip()
    password = str(form.get("password", ""))
    next_path = safe_next(str(form.get("next", "/")))
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not tokens_match(str(form.get("csrf", "")), expected):
        message = "The sign-in form had expired; please sign in again."
        return _login_form(request, next_path=next_path, message=message, status=403, name=name)
    address = request.remote or "?"
    wait = ctx.throttle.wait_s(name, address)
    if wait > 0:
        message = f"Too many failed sign-ins. Try again in {math.ceil(wait)} seconds."
        return _login_form(request, next_path=next_path, message=message, status=429, name=name)
    stored = ctx.store.password_hash(name) if name else None
    if not await asyncio.to_thread(verify_password, stored, password):
        ctx.throttle.failed(name, address)
        message = "Wrong name or password."
        return _login_form(request, next_path=next_path, message=message, status=401, name=name)
    ctx.throttle.succeeded(name, address)
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        ctx.store.delete_session(old)
    response = web.Response(status=303, headers={"Location": next_path})
    set_cookie(request, response, SESSION_COOKIE, ctx.store.create_session(name))
    response.del_cookie(LOGIN_COOKIE, path="/")
    return response


async def logout(request: web.Request) -> web.StreamResponse:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        context(request).store.delete_session(token)
    response = web.Response(status=303, headers={"Location": "/login"})
    response.del_cookie(SESSION_COOKIE, path="/")
    return response
