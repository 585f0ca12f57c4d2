"""Checking uploads: one worker process per check, a few at a time, each one bounded.

* At most one check per user at a time (a second upload is refused until the first check ends
  or is cancelled: ``claim``), and at most ``web.max_checks`` server-wide (the others wait for a
  free slot, their page saying so).
* Each check runs in its own process (``checkjob.py``, started by ``workers.spawn`` without
  the server's secrets in its environment) with a memory cap, a CPU-time cap and a cap on each
  file it writes (``quota.py``), and is killed after ``web.check_timeout_s`` seconds of wall
  time. The server process never parses an uploaded workbook, so its memory does not depend on
  what is uploaded. A check that fails leaves only the upload in the run folder.
* A check can be cancelled (the worker is killed); after a server restart an unfinished check
  is not started again on its own (``Store.recover`` marks it cancelled: "Check again").
  Whatever ends a check, even a cancel that comes before its task first runs, ``_ended`` (a
  done-callback) gives back the user's claim and settles the run's state.
* While it works, the worker reports the rows read and checked so far (``progress``: the
  checking page shows them). The check runs in the language of whoever uploaded (or pressed
  Check again), and with the run's choice for conflicting rows (``RunRecord.on_conflict``).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import pickle
import signal
from pathlib import Path
from typing import Any

from rescheduler.config import AuthConfig, Config
from rescheduler.i18n import current_language
from rescheduler.web import notes, preview
from rescheduler.web.checkjob import CheckRequest
from rescheduler.web.convertjob import ConvertRequest
from rescheduler.web.excel import xlsx_beside
from rescheduler.web.records import RunRecord, RunState
from rescheduler.web.runs import Runs
from rescheduler.web.store import Store
from rescheduler.web.workers import kill, lines, message, spawn

log = logging.getLogger("rescheduler.web")


class Checks:
    def __init__(self, store: Store, config: Config, runs: Runs) -> None:
        self.store = store
        self.config = config
        self.runs = runs
        self._slots = asyncio.Semaphore(config.web.max_checks)
        self._users: dict[str, str] = {}  # user -> the run being uploaded ("") or checked
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._cancelled_by: dict[str, str] = {}
        self._progress: dict[str, dict[str, Any]] = {}  # run -> the worker's last report
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

    def progress(self, run_id: str) -> dict[str, Any] | None:
        """The rows read and checked so far (``phase``, ``read``, ``done``, ``total``), or None
        before the worker's first report."""
        return self._progress.get(run_id)

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
        task.add_done_callback(lambda done: self._ended(run_id, user, done))

    def _ended(self, run_id: str, user: str, task: asyncio.Task[None]) -> None:
        """However the check ended: free its slot and the user's claim; a task cancelled
        before it ever ran (Cancel pressed right after Check again) leaves the run CHECKING,
        so it is settled here."""
        if self._tasks.get(run_id) is task:
            del self._tasks[run_id]
        self._progress.pop(run_id, None)
        if self._users.get(user) == run_id:
            del self._users[user]
        if task.cancelled():
            record = self.store.get_run(run_id)
            if record is not None and record.state == RunState.CHECKING:
                by = self._cancelled_by.pop(run_id, None)
                message = notes.CUT_OFF_CHECK
                if by is not None:
                    message = notes.note(notes.CANCELLED_BY, user=by)
                self.store.update_run(run_id, state=RunState.CANCELLED, message=message)
        self._cancelled_by.pop(run_id, None)

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
                self.store.update_run(run_id, message=notes.note(notes.WAITING))
            async with self._slots:
                self.store.update_run(run_id, message="")
                state, message, rows = await self._work(record)
            if state != RunState.READY:
                self._discard_outputs(run_id)
            self.store.update_run(run_id, state=state, message=message, rows=rows, counts={})
        except asyncio.CancelledError:
            self._discard_outputs(run_id)
            raise  # _ended settles the state
        except Exception:
            log.exception("checking run %s failed", run_id)
            self._discard_outputs(run_id)
            message = notes.note(notes.CHECK_FAILED, admin=True)
            self.store.update_run(run_id, state=RunState.UNREADABLE, message=message)

    def _discard_outputs(self, run_id: str) -> None:
        """Delete what a check that did not succeed wrote: only the upload stays."""
        record = self.store.get_run(run_id)
        folder = self.store.run_dir(run_id)
        keep = self.runs.input_path(record).name if record is not None else None
        with contextlib.suppress(OSError):
            for entry in os.scandir(folder):
                if entry.name != keep and entry.is_file(follow_symlinks=False):
                    os.unlink(entry.path)

    async def _current(self, record: RunRecord) -> None:
        """The preview's "current -> new", read by this server (it has the keys); a failure
        only leaves the preview without it."""
        try:
            await _current_values(self.store.run_dir(record.id), self.config)
        except Exception:
            log.exception("reading the current values for run %s failed", record.id)

    async def convert(self, csv_path: Path, input_columns: int, sheet: str) -> Path | None:
        """``excel.converted`` in a bounded worker, taking a check's slot: the workbook, or
        None if it could not be made within the limits."""
        target = xlsx_beside(csv_path)
        if _fresh(target, csv_path):
            return target
        web = self.config.web
        request = ConvertRequest(
            csv_path,
            input_columns,
            sheet,
            web.check_memory_mb,
            int(web.max_output_mb * 1_000_000),
            max(1, int(web.check_timeout_s)),
        )
        async with self._slots:
            process = await spawn("rescheduler.web.convertjob")
            try:
                answer, _err = await asyncio.wait_for(
                    self._talk("", process, pickle.dumps(request)), web.check_timeout_s
                )
            except BaseException:
                await kill(process)
                raise
        return target if answer.get("ok") is True and _fresh(target, csv_path) else None

    async def _work(self, record: RunRecord) -> tuple[RunState, str, int | None]:
        web = self.config.web
        config = dataclasses.replace(self.config, auth=AuthConfig())  # no keys in the worker
        if record.on_conflict:
            config = dataclasses.replace(
                config, input=dataclasses.replace(config.input, on_conflict=record.on_conflict)
            )
        budget = await self.runs.budget(record.uploaded_by)
        file_bytes, by_quota = budget.file_limit(record.size)
        request = CheckRequest(
            input_path=self.runs.input_path(record),
            run_dir=self.store.run_dir(record.id),
            config=config,
            file_name=record.file_name,
            max_rows=web.max_rows,
            memory_mb=web.check_memory_mb,
            cpu_s=max(1, int(web.check_timeout_s)),
            max_listed=preview.MAX_LISTED,
            language=current_language(),
            max_cells=web.max_cells,
            file_bytes=file_bytes,
        )
        process = await spawn("rescheduler.web.checkjob")
        try:
            answer, err = await asyncio.wait_for(
                self._talk(record.id, process, pickle.dumps(request)), web.check_timeout_s
            )
        except TimeoutError:
            await kill(process)
            return RunState.UNREADABLE, _too_slow(web.check_timeout_s), None
        except BaseException:
            await kill(process)
            raise
        if "peak_rss_mb" in answer:
            self.last_peak_rss_mb = float(answer["peak_rss_mb"])
        if answer.get("ok") is True:
            await self._current(record)
            return RunState.READY, "", int(answer["rows"])
        if answer.get("output") is True:
            detail = f"web.max_output_mb = {web.max_output_mb:g}: {file_bytes / 1e6:.0f} MB"
            if by_quota:
                detail = f"web.quota_mb = {web.quota_mb:g}: {file_bytes / 1e6:.0f} MB"
            message = notes.QUOTA_FULL if by_quota else notes.TOO_MUCH_OUTPUT
            return RunState.UNREADABLE, notes.note(message, detail=detail), None
        if isinstance(answer.get("message"), str):
            message = self.runs.clean(answer["message"], record)
            return RunState.UNREADABLE, notes.for_refused_file(message), None
        code = process.returncode
        if code == -signal.SIGXCPU:
            return RunState.UNREADABLE, _too_slow(web.check_timeout_s), None
        log.warning("checking run %s: the worker ended with %s: %s", record.id, code, err)
        detail = f"web.check_memory_mb = {web.check_memory_mb}"
        return RunState.UNREADABLE, notes.note(notes.TOO_BIG, detail=detail), None

    async def _talk(
        self, run_id: str, process: asyncio.subprocess.Process, request: bytes
    ) -> tuple[dict[str, Any], str]:
        """Send the request, keep each progress report, return the answer and stderr's end."""
        assert process.stdin is not None
        assert process.stdout is not None
        assert process.stderr is not None
        errors = asyncio.ensure_future(_tail(process.stderr))
        try:
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                process.stdin.write(request)  # a worker that died at once reads no more
                await process.stdin.drain()
                process.stdin.close()
            answer: dict[str, Any] = {}
            async for line in lines(process.stdout):
                data = message(line)
                if isinstance(data.get("progress"), dict):
                    self._progress[run_id] = data["progress"]
                elif data:
                    answer = data
            await process.wait()
            return answer, await errors
        finally:
            errors.cancel()


async def _current_values(run_dir: Path, config: Config) -> None:
    from rescheduler.web.current import add_current

    await add_current(run_dir, config)

def _fresh(target: Path, source: Path) -> bool:
    """``target`` exists and is not older than ``source``."""
    return target.is_file() and target.stat().st_mtime >= source.stat().st_mtime


async def _tail(stream: asyncio.StreamReader, keep: int = 2_000) -> str:
    """The last ``keep`` characters of ``stream`` (read to its end, never held whole)."""
    end = ""
    async for line in lines(stream):
        end = (end + line.decode("utf-8", "replace"))[-keep:]
    return end


def _too_slow(limit_s: float) -> str:
    return notes.note(notes.TOO_SLOW, detail=f"web.check_timeout_s = {limit_s:g} s")
