"""The settings page for admins: what the page sends with and keeps, and the disk it uses.

Never a key: the access key and the secret key are not on this page (nor on any other).
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from aiohttp import web

from rescheduler.web.auth import admin_only
from rescheduler.web.context import context
from rescheduler.web.pages import render


def disk_used(folder: Path) -> tuple[int, int]:
    """(bytes, files) under ``folder``, not following links."""
    total = files = 0
    for root, _dirs, names in os.walk(folder):
        for name in names:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                continue
            files += 1
    return total, files


@admin_only
async def settings(request: web.Request) -> web.StreamResponse:
    ctx = context(request)
    used, files = await asyncio.to_thread(disk_used, ctx.store.data_dir)
    return render(
        request,
        "admin.html",
        config=ctx.config,
        disk_bytes=used,
        disk_files=files,
        data_dir=str(ctx.store.data_dir),
        accounts=ctx.store.users(),
    )
