"""Checking uploads: one worker process per check, a few at a time, each one bounded.

* At most one check per user at a time (a second upload is refused until the first check ends
  or is cancelled: ``claim``), and at most ``web.max_checks`` server-wide (the others wait for a
  free slot, their page saying so).
* Each check runs in its own process (``checkjob.py``) with a memory cap, a CPU-time cap and a
  file-size cap, and is killed after ``web.check_timeout_s`` seconds of wall time. The server
  process never parses an uploaded workbook, so its memory does not depend on what is uploaded.
* A check can be cancelled (the worker is killed); after a server restart an unfinished check
  is not started again on its own (``Store.recover`` marks it cancelled: "Check again").
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import os
import pickle
import signal
import sys
from pathlib import Path
from typing import Any

from rescheduler.config import AuthConfig, Config
from rescheduler.i18n import _
from rescheduler.web import preview
from rescheduler.web.checkjob import CheckRequest
from rescheduler.web.records import RunRecord, RunState
from rescheduler.web.runs import Runs
from rescheduler.web.store import CUT_OFF_CHECK, Store

log = logging.getLogger("rescheduler.web")
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])


class Checks:
    def __init__(self, store: Store, config: Config, runs: Runs) -> None:
        self.store = store
        self.config = config
        self.runs = runs
        self._slots = asyncio.Semaphore(config.web.max_checks)
        self._users: dict[str, str] = {}  # user -> the run being uploaded ("") or checked
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._cancelled_by: dict[str, str] = {}
        self.last_peak_rss_mb: float | None = None  # of the last worker that reported it

    # -- who may start one --------------------------------------------------------------------
    def claim(self, user: str) -> str | None:
        """Reserve ``user``'s one check; None if done, else the run being checked ("" = an
        upload still arriving)."""
        if user in self._users:
            return self._users[user]
        self._users[user] = ""
        return None

    def unclaim(self, user: str) -> None:
        """Give back a claim whose upload ended without a check (refused, broken off)."""
        if self._users.get(user) == "":
            del self._users[user]

    def active(self, run_id: str) -> bool:
        return run_id in self._tasks

    async def wait(self, run_id: str, timeout_s: float = 10.0) -> None:
        """Until the check of ``run_id`` has ended (after ``cancel``: the worker is gone)."""
        task = self._tasks.get(run_id)
        if task is not None:
            await asyncio.wait([task], timeout=timeout_s)

    # -- running ------------------------------------------------------------------------------
    def start(self, run_id: str, user: str) -> None:
        """Check ``run_id`` (already in state CHECKING) on ``user``'s claim."""
        self._users[user] = run_id
        task = asyncio.get_running_loop().create_task(self._check(run_id, user))
        self._tasks[run_id] = task

    def cancel(self, run_id: str, by: str) -> bool:
        task = self._tasks.get(run_id)
        if task is None or task.done():
            return False
        self._cancelled_by[run_id] = by
        task.cancel()
        return True

    async def close(self) -> None:
        """Kill every check (server shutdown); they show as cut off, to be checked again."""
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _check(self, run_id: str, user: str) -> None:
        record = self.store.get_run(run_id)
        try:
            if record is None:
                return
            if self._slots.locked():
                waiting = _("waiting: other files are being checked; this one is next in line")
                self.store.update_run(run_id, message=waiting)
            async with self._slots:
                self.store.update_run(run_id, message="")
                state, message, rows = await self._work(record)
            self.store.update_run(run_id, state=state, message=message, rows=rows, counts={})
        except asyncio.CancelledError:
            by = self._cancelled_by.pop(run_id, None)
            message = CUT_OFF_CHECK if by is None else _("check cancelled by {user}")
            self.store.update_run(
                run_id, state=RunState.CANCELLED, message=message.format(user=by)
            )
            if by is None:
                raise
        except Exception:
            log.exception("checking run %s failed", run_id)
            message = _("the file could not be checked (an internal error; see the server log)")
            self.store.update_run(run_id, state=RunState.UNREADABLE, message=message)
        finally:
            self._tasks.pop(run_id, None)
            if self._users.get(user) == run_id:
                del self._users[user]

    async def _work(self, record: RunRecord) -> tuple[RunState, str, int | None]:
        web = self.config.web
        request = CheckRequest(
            input_path=self.runs.input_path(record),
            run_dir=self.store.run_dir(record.id),
            config=dataclasses.replace(self.config, auth=AuthConfig()),  # no keys in the worker
            file_name=record.file_name,
            max_rows=web.max_rows,
            memory_mb=web.check_memory_mb,
            cpu_s=max(1, int(web.check_timeout_s)),
            max_listed=preview.MAX_LISTED,
        )
        env = dict(os.environ, MALLOC_ARENA_MAX="2")
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [_PACKAGE_ROOT, env.get("PYTHONPATH")]))
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "rescheduler.web.checkjob",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
        )
        try:
            out, err = await asyncio.wait_for(
                process.communicate(pickle.dumps(request)), web.check_timeout_s
            )
        except TimeoutError:
            await _kill(process)
            return RunState.UNREADABLE, _too_slow(web.check_timeout_s), None
        except BaseException:
            await _kill(process)
            raise
        answer = _answer(out)
        if "peak_rss_mb" in answer:
            self.last_peak_rss_mb = float(answer["peak_rss_mb"])
        if answer.get("ok") is True:
            return RunState.READY, "", int(answer["rows"])
        if isinstance(answer.get("message"), str):
            return RunState.UNREADABLE, self.runs.clean(answer["message"], record), None
        code = process.returncode
        if code == -signal.SIGXCPU:
            return RunState.UNREADABLE, _too_slow(web.check_timeout_s), None
        log.warning(
            "checking run %s: the worker ended with %s: %s",
            record.id,
            code,
            err.decode("utf-8", "replace")[-2000:],
        )
        message = _(
            "the file needs more memory to check than the upload page allows "
            "(web.check_memory_mb = {limit}): split it into smaller files, or save it as CSV "
            "UTF-8"
        ).format(limit=web.check_memory_mb)
        return RunState.UNREADABLE, message, None


def _too_slow(limit_s: float) -> str:
    return _(
        "checking the file took longer than the upload page allows (web.check_timeout_s = "
        "{limit} s): split it into smaller files"
    ).format(limit=f"{limit_s:g}")


def _answer(out: bytes) -> dict[str, Any]:
    lines = out.decode("utf-8", "replace").strip().splitlines()
    try:
        answer = json.loads(lines[-1]) if lines else {}
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}


async def _kill(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.kill()
    await process.wait()
