"""The preview's "current -> new": what the iSales server holds now for the rows it shows.

After a check, the page's server (which holds the keys; the check's worker does not) lists the
reservations of the preview's first rows as the snapshot before a run does: filtered by what the
rows say (``state.scope``: the agents and times they send, their ``listed_`` cells), then the
whole VDN for the rows not found, all within ``CURRENT_TIMEOUT_S`` (a preview must stay cheap:
on a large VDN the whole listing is cut short). What it finds goes into ``preview.json``: each
row's current agent, time and remark as the server reports them (a field it does not report is
left out, never invented) and the verdict a run would reach (``state.compare.judge``). A row not
found shows no current values. ``current_read`` says how it went: ``ok``, ``timeout`` (cut
short: what was found is shown) or ``failed`` (a refusal, no keys, the server unreachable), and
``current_found`` how many rows were found; the page says it in the reader's language. Nothing
here ever fails the check.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
from pathlib import Path
from typing import Any

from rescheduler.config import Config, resolve_timezone
from rescheduler.errors import ReschedulerError
from rescheduler.models import APPOINT_TIME, REMARK
from rescheduler.read.times import AppointTimeError, parse_appoint_time
from rescheduler.state import compare
from rescheduler.state.listing import ListFilter
from rescheduler.state.scope import Hints
from rescheduler.web.preview import PREVIEW_NAME, Preview, SampleRequest

log = logging.getLogger("rescheduler.web")
CURRENT_TIMEOUT_S = 10.0
STAGING_NAME = "current.sqlite"


async def add_current(
    run_dir: Path, config: Config, *, timeout_s: float = CURRENT_TIMEOUT_S
) -> None:
    """Fill in the current values of the preview's rows (``preview.json`` in ``run_dir``)."""
    import anyio

    path = run_dir / PREVIEW_NAME
    preview = Preview.load(path)
    if not preview.sample:
        return
    zone, _label = resolve_timezone(config.input.timezone)
    deployment = config.server.deployment
    agent = compare.agent_field(deployment)
    hints = Hints()
    for request in preview.sample:
        body = json.loads(request.body)
        agents = (str(body.get(agent, "")), request.listed.get(agent, ""))
        times = [body[APPOINT_TIME]] if APPOINT_TIME in body else []
        if times and request.listed.get(APPOINT_TIME):
            with contextlib.suppress(AppointTimeError):
                times.append(parse_appoint_time(request.listed[APPOINT_TIME], zone))
        hints.add(request.vdn or config.server.vdn_id, agents, tuple(times))
    found: dict[tuple[int, str], Any] = {}
    read = "ok"
    try:
        credentials = config.require_credentials()
        with anyio.fail_after(timeout_s):
            for vdn in hints.vdns:
                query = hints.query(vdn)
                wanted = sum((r.vdn or config.server.vdn_id) == vdn for r in preview.sample)
                if query is not None:
                    found.update(await _listed(run_dir, config, credentials, vdn, query, preview))
                if sum(key[0] == vdn for key in found) < wanted:  # the rest: the whole VDN
                    whole = ListFilter()
                    found.update(await _listed(run_dir, config, credentials, vdn, whole, preview))
    except TimeoutError:
        read = "timeout"
    except ReschedulerError as exc:
        log.info("current values for the preview in %s not read: %s", run_dir.name, exc)
        read = "failed"
    vdn = config.server.vdn_id
    items = [found.get((request.vdn or vdn, request.appoint_id)) for request in preview.sample]
    sample = [
        _with_current(request, item, deployment, zone)
        for request, item in zip(preview.sample, items, strict=True)
    ]
    updated = dataclasses.replace(
        preview, sample=sample, current_read=read, current_found=len(found)
    )
    updated.save(path)


async def _listed(
    run_dir: Path,
    config: Config,
    credentials: Any,
    vdn: int,
    query: Any,
    preview: Preview,
) -> dict[tuple[int, str], Any]:
    from rescheduler.state.pager import Lister
    from rescheduler.state.staging import Staging

    vdn_config = dataclasses.replace(
        config, server=dataclasses.replace(config.server, vdn_id=vdn)
    )
    staging = Staging(run_dir / STAGING_NAME, query.fingerprint(), resume=False)
    found: dict[tuple[int, str], Any] = {}
    try:
        with staging:
            await Lister(vdn_config, credentials, query, staging, hide_access_key=True).run()
            for request in preview.sample:
                if (request.vdn or config.server.vdn_id) == vdn:
                    item = staging.lookup(request.appoint_id)
                    if item is not None:
                        found[(vdn, request.appoint_id)] = item
    finally:
        staging.discard()
    return found


def _with_current(
    request: SampleRequest, item: Any, deployment: str, zone: Any
) -> SampleRequest:
    if item is None:
        return dataclasses.replace(request, current={})
    body = json.loads(request.body)
    current = compare.reported(item, deployment)
    agent = compare.agent_field(deployment)
    shown: dict[str, str] = {"verdict": str(compare.judge(body, item, deployment))}
    if agent in current:
        shown["agent"] = compare.show(agent, current[agent], zone)
    if APPOINT_TIME in current:
        shown["time"] = compare.show(APPOINT_TIME, current[APPOINT_TIME], zone)
    if REMARK in current:
        shown["remark"] = compare.show(REMARK, current[REMARK], zone)
    return dataclasses.replace(request, current=shown)
