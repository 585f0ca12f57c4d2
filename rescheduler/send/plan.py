"""Pure request building: an ``UpdateRequest`` becomes the exact bytes that are signed and sent.

The JSON body is serialised once, here; the transport sends these bytes unchanged and the
signer signs these same bytes. ``payload_hash`` identifies "this change to this reservation"
for duplicate detection and for the resume journal.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from urllib.parse import urlsplit

import orjson

from rescheduler.models import UpdateRequest, WireRequest

API_PATH = "/rest/isales/v1/openapi/campaigns/{vdn_id}/appoint/update"


def base_path(base_url: str) -> str:
    """The path prefix of ``server.base_url`` (a reverse proxy may add one), without a slash."""
    return urlsplit(base_url).path.rstrip("/")


def payload_hash(vdn_id: int, body: bytes) -> str:
    return hashlib.sha256(b"%d\n%s" % (vdn_id, body)).hexdigest()[:32]


@lru_cache(maxsize=256)
def api_path(prefix: str, vdn_id: int) -> str:
    return prefix + API_PATH.format(vdn_id=vdn_id)


def identity(request: UpdateRequest, *, default_vdn_id: int) -> tuple[str, str]:
    """``(key, payload_hash)`` of the request ``build`` makes, without building it.

    ``key`` is ``"{vdnId}:{appointId}"``; the duplicate pass needs only these two.
    """
    vdn_id = request.vdn_id if request.vdn_id is not None else default_vdn_id
    return f"{vdn_id}:{request.appoint_id}", payload_hash(vdn_id, orjson.dumps(request.body()))


def build(request: UpdateRequest, *, default_vdn_id: int, prefix: str = "") -> WireRequest:
    vdn_id = request.vdn_id if request.vdn_id is not None else default_vdn_id
    body = orjson.dumps(request.body())
    return WireRequest(
        line=request.line,
        appoint_id=request.appoint_id,
        vdn_id=vdn_id,
        path=api_path(prefix, vdn_id),
        body=body,
        payload_hash=payload_hash(vdn_id, body),
    )
