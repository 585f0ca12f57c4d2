"""``/_sim/hooks``: the simulator stands in for the chat service too, to rehearse alerts.

``POST /_sim/hooks/{name}`` takes a webhook message and answers as that service answers a
message it accepted (``wecom``/``dingtalk``: ``{"errcode": 0, "errmsg": "ok"}``; ``feishu``:
``{"code": 0, "msg": "success"}``; ``slack``: ``ok``; anything else: ``{"ok": true}``).
``GET /_sim/hooks`` lists what came in, oldest first, at most the last 100 (per process):
``[{"name", "query", "body"}]``, the body parsed as JSON when it is JSON. No signature is
checked here; the tests check each format's body and signing against the services' docs.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import orjson
from aiohttp import web

KEEP = 100
_ANSWERS: dict[str, tuple[str, bytes]] = {
    "wecom": ("application/json", b'{"errcode":0,"errmsg":"ok"}'),
    "dingtalk": ("application/json", b'{"errcode":0,"errmsg":"ok"}'),
    "feishu": ("application/json", b'{"code":0,"msg":"success","data":{}}'),
    "slack": ("text/plain", b"ok"),
}
_OTHER = ("application/json", b'{"ok":true}')


class HookSink:
    def __init__(self) -> None:
        self.received: deque[dict[str, Any]] = deque(maxlen=KEEP)

    async def handle_post(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        raw = await request.read()
        try:
            body: Any = orjson.loads(raw)
        except orjson.JSONDecodeError:
            body = raw.decode("utf-8", "replace")
        self.received.append({"name": name, "query": dict(request.query), "body": body})
        content_type, answer = _ANSWERS.get(name, _OTHER)
        return web.Response(body=answer, content_type=content_type)

    async def handle_list(self, request: web.Request) -> web.Response:
        return web.Response(
            body=orjson.dumps(list(self.received), option=orjson.OPT_INDENT_2) + b"\n",
            content_type="application/json",
        )


HOOKS = web.AppKey("hooks", HookSink)


def add_hook_routes(app: web.Application) -> None:
    sink = HookSink()
    app[HOOKS] = sink
    app.router.add_post("/_sim/hooks/{name}", sink.handle_post)
    app.router.add_get("/_sim/hooks", sink.handle_list)
