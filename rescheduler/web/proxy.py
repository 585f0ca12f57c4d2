"""Behind a reverse proxy: whose ``X-Forwarded-*`` headers are believed, and what they say.

``web.trusted_proxies`` lists addresses or networks (``"127.0.0.1"``, ``"10.0.0.0/8"``); it is
empty by default, and then the headers are ignored: anyone can send them. When the peer of a
connection is a trusted proxy:

* ``X-Forwarded-For``: the client is the right-most address that is not itself a trusted proxy
  (each proxy appends the address it saw; only the part written by our own proxies is true).
* ``X-Forwarded-Proto``: ``https`` or ``http`` as the nearest proxy wrote it (its last value).
* ``X-Forwarded-Host``: the host the browser asked for (its last value), if it is a plain
  ``host[:port]``; the Origin check compares with it, so a proxy that rewrites ``Host`` works.

So sign-in throttling sees each client's own address, the session cookie gets ``Secure`` and
responses get HSTS when the browser spoke HTTPS to the proxy. ``forwarded_view`` is pure;
``middleware`` applies it to each request (a clone with ``remote``, ``scheme`` and ``host`` set).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from aiohttp import web
from multidict import CIMultiDictProxy

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_HOST = re.compile(
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?"
)
Headers = CIMultiDictProxy[str]


@dataclass(frozen=True)
class View:
    remote: str
    scheme: str
    host: str

    @property
    def secure(self) -> bool:
        return self.scheme == "https"


def networks(values: Iterable[str]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(value, strict=False) for value in values)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # "[v6]:port"
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # "v4:port"
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _trusted(address: str | None, trusted: tuple[Network, ...]) -> bool:
    parsed = _address(address) if address else None
    return parsed is not None and any(parsed in net for net in trusted)


def _last(headers: Headers, name: str) -> str:
    values = [v.strip() for v in ",".join(headers.getall(name, [])).split(",")]
    values = [v for v in values if v]
    return values[-1] if values else ""


def forwarded_view(
    peer: str | None,
    scheme: str,
    host: str,
    headers: Headers,
    trusted: tuple[Network, ...],
) -> View:
    """The client's address, the scheme and the host, believing only trusted proxies."""
    view = View(peer or "?", scheme, host)
    if not trusted or not _trusted(peer, trusted):
        return view
    chain = ",".join(headers.getall("X-Forwarded-For", []))
    client = view.remote
    for hop in reversed([h.strip() for h in chain.split(",") if h.strip()]):
        parsed = _address(hop)
        if parsed is None:
            break  # unparsable: believe no further
        client = str(parsed)
        if not any(parsed in net for net in trusted):
            break
    proto = _last(headers, "X-Forwarded-Proto").lower()
    forwarded_host = _last(headers, "X-Forwarded-Host")
    return View(
        remote=client,
        scheme=proto if proto in ("http", "https") else scheme,
        host=forwarded_host if _HOST.fullmatch(forwarded_host) else host,
    )


TRUSTED = web.AppKey("trusted_proxies", tuple)


def view_of(request: web.BaseRequest) -> View:
    """The request as the client made it. Cheap; the same for the request ``middleware``
    hands on (already rewritten: applying it again changes nothing) and the original one."""
    trusted = request.app.get(TRUSTED, ()) if isinstance(request, web.Request) else ()
    return forwarded_view(request.remote, request.scheme, request.host, request.headers, trusted)


@web.middleware
async def middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    view = view_of(request)
    if (view.remote, view.scheme, view.host) != (request.remote, request.scheme, request.host):
        request = request.clone(remote=view.remote, scheme=view.scheme, host=view.host)
    return await handler(request)
