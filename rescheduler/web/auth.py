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
  another host or scheme (``https://`` for a page served over ``http://``) is refused outright.
* Sign-ins are throttled per (name, address), per address (an IPv6 address counts as its
  /64) and per account across addresses (``throttle.py``), the attempt reserved before the
  password is hashed; hashing runs on a small executor of its own, so a burst of guesses
  cannot delay anyone else's sign-in. A browser that signed in to the account before carries
  a signed cookie (``devices.py``) and has a sign-in slot of its own, so guesses from many
  addresses cannot lock the real user out. A wrong name and a wrong password get
  the same answer for the same work (one key derivation each).
* Roles (``roles.py``): routes marked ``@changes_runs`` need a supervisor or an admin, routes
  marked ``@admin_only`` an admin; anyone else gets 403.
* ``next`` (where to go after signing in) must be a path of one of this app's own pages.
"""

from __future__ import annotations

import asyncio
import hmac
import math
import re
import secrets
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

from aiohttp import web

from rescheduler.i18n import N_, _
from rescheduler.web import language
from rescheduler.web.context import SESSION, audit, context
from rescheduler.web.devices import DAY_S, DEVICE_COOKIE, KEEP_DAYS
from rescheduler.web.pages import render
from rescheduler.web.passwords import verify_password
from rescheduler.web.roles import may_change_runs, sees_settings
from rescheduler.web.throttle import address_key

SESSION_COOKIE = "rs_session"
LOGIN_COOKIE = "rs_login"
CSRF_HEADER = "X-CSRF-Token"
DEVICE_S = KEEP_DAYS * DAY_S
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_MAX_NAME = 65  # account names have at most 64 characters: a longer one is simply unknown
# Where ``next`` may lead: this app's own pages (and downloads), nothing else.
_NEXT_PATH = re.compile(
    r"/(?:upload|admin|login|template\.xlsx|runs(?:/[A-Za-z0-9_-]{8,64}(?:/files/[a-z-]{1,32})?)?)?"
)
_NEXT_QUERY = re.compile(r"[A-Za-z0-9=&_.-]{0,100}")

FORM_EXPIRED = N_("The form had expired. Go back, reload the page and retry.")

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


def changes_runs(handler: H) -> H:
    """Mark a route only supervisors and admins may use (viewers only look)."""
    setattr(handler, "rescheduler_allowed", may_change_runs)  # noqa: B010
    return handler


def admin_only(handler: H) -> H:
    setattr(handler, "rescheduler_allowed", sees_settings)  # noqa: B010
    return handler


def tokens_match(given: str | None, expected: str) -> bool:
    return bool(given) and hmac.compare_digest(str(given).encode(), expected.encode())


def _same_origin(request: web.Request) -> bool:
    origin = request.headers.get("Origin")
    if origin is None:  # not a browser, or an old one: the CSRF token still decides
        return True
    parts = urlsplit(origin)
    same_host = parts.netloc.lower() == (request.host or "").lower()
    return same_host and parts.scheme.lower() == request.scheme  # proxy.py set both


def _forbidden(request: web.Request, why: str) -> web.Response:
    return render(request, "error.html", status=403, title=_("Refused"), message=why)


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    ctx = context(request)
    token = request.cookies.get(SESSION_COOKIE)
    session = ctx.store.session(token) if token else None
    SESSION.set(session)  # set for every request: one connection's requests share a task
    language.use_for(request, session, ctx.config.web.default_language)
    target: Any = request.match_info.handler
    if request.method not in _SAFE_METHODS and not _same_origin(request):
        return _forbidden(request, _("This form was sent from another site."))
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
            return _forbidden(request, _(FORM_EXPIRED))
    allowed = getattr(target, "rescheduler_allowed", None)
    if allowed is not None and not allowed(session.role):
        message = _("Your account ({role}) cannot do this; ask an administrator.")
        return _forbidden(request, message.format(role=session.role.value))
    return await handler(request)


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a path of one of this app's pages, else ``/``.

    Parsed, not pattern-matched on the raw text: no scheme, no host, no ``//`` or ``\\``, no
    control characters (a tab or line break that a browser would drop or a header would choke
    on), and a path this app serves; a query is kept only if it is plain.
    """
    if not value or len(value) > 300 or "\\" in value:
        return "/"
    if any(ch < " " or "\x7f" <= ch <= "\x9f" for ch in value):
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or parts.fragment or not _NEXT_PATH.fullmatch(parts.path):
        return "/"
    if parts.query and not _NEXT_QUERY.fullmatch(parts.query):
        return parts.path
    return value


def set_cookie(
    request: web.Request,
    response: web.StreamResponse,
    name: str,
    value: str,
    max_age: int | None = None,
) -> None:
    """HttpOnly, SameSite=Strict, and Secure when the browser spoke HTTPS (to us or to a
    trusted proxy: ``proxy.py`` has set the request's scheme); a session cookie unless
    ``max_age`` (seconds) is given."""
    response.set_cookie(
        name,
        value,
        httponly=True,
        samesite="Strict",
        secure=request.secure,
        path="/",
        max_age=max_age,
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
    name = str(form.get("name", "")).strip()[:_MAX_NAME]
    password = str(form.get("password", ""))
    next_path = safe_next(str(form.get("next", "/")))
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not tokens_match(str(form.get("csrf", "")), expected):
        message = _("The sign-in form had expired; please sign in again.")
        return _login_form(request, next_path=next_path, message=message, status=403, name=name)
    address = address_key(request.remote or "?")
    device = ctx.devices.known(request.cookies.get(DEVICE_COOKIE), name) if name else None
    refusal = ctx.throttle.reserve(name, address, device)
    if refusal is not None:
        wait = math.ceil(refusal.wait_s)
        if refusal.busy:
            message = _("Too many sign-ins at once. Try again in {seconds} seconds.")
        else:
            message = _("Too many failed sign-ins. Try again in {seconds} seconds.")
        message = message.format(seconds=wait)
        response = _login_form(
            request, next_path=next_path, message=message, status=429, name=name
        )
        response.headers["Retry-After"] = str(wait)
        return response
    settled = False
    try:
        stored = ctx.store.password_hash(name) if name else None
        loop = asyncio.get_running_loop()
        ok = await loop.run_in_executor(ctx.hasher, verify_password, stored, password)
        if not ok:
            locked = ctx.throttle.failed(name, address, device)
            settled = True
            audit(request, "sign-in-failed", user=name, **({"locked": True} if locked else {}))
            message = _("Wrong name or password.")
            return _login_form(request, next_path=next_path, message=message, status=401, name=name)
        ctx.throttle.succeeded(name, address, device)
        settled = True
    finally:
        if not settled:  # cancelled while hashing (the client went away): count it as failed
            ctx.throttle.failed(name, address, device)
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        ctx.store.delete_session(old)
    response = web.Response(status=303, headers={"Location": next_path})
    set_cookie(request, response, SESSION_COOKIE, ctx.store.create_session(name))
    set_cookie(request, response, DEVICE_COOKIE, ctx.devices.issue(name), max_age=DEVICE_S)
    response.del_cookie(LOGIN_COOKIE, path="/")
    audit(request, "sign-in", user=name)
    return response


@public
async def switch_language(request: web.Request) -> web.StreamResponse:
    """The language switch on every page: kept with the account (signed in, with the form's
    CSRF token) and in a cookie (for the sign-in page and this browser); back to ``next``."""
    form = await request.post()
    chosen = language.asked(form.get("lang"))
    response = web.Response(status=303, headers={"Location": safe_next(str(form.get("next", "")))})
    if chosen is None:
        return response
    session = SESSION.get()
    if session is not None and tokens_match(str(form.get("csrf", "")), session.csrf):
        context(request).store.set_language(session.user, chosen)
    language.remember(response, chosen, request.secure)
    return response


async def logout(request: web.Request) -> web.StreamResponse:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        context(request).store.delete_session(token)
    audit(request, "sign-out")
    response = web.Response(status=303, headers={"Location": "/login"})
    response.del_cookie(SESSION_COOKIE, path="/")
    return response
