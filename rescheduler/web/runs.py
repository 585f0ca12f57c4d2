"""Runs in the background, each in a bounded worker process; their files; retention.

(Checking an upload is ``checks.py``.) Each start or resume runs ``engine.run`` in a worker
process of its own (``runjob.py``; ``sender.RunWorker`` is the server's side): the server
process never reads an uploaded file, so a hostile sheet costs it neither memory nor time, and
other people's pages stay responsive. The worker reports its ``Progress`` (served as JSON to
the page), obeys Stop through its stdin pipe, and ends with a run record (``results.run.json``
in the run folder, access key hidden; not offered for download) and the ``[notify]`` alert,
as ``rescheduler run`` does. One run sends at a time, server-wide, so the configured
``send.concurrency`` and ``send.rate_per_s`` are the most the iSales server ever gets from this
page. Every start is ``Job(resume=True)`` on the run folder's fixed results path: a first start
finds no journal; Resume after Stop, a failure or a server restart skips the rows that already
succeeded. Run-level errors shown on the page are cleaned of server paths and of the access and
secret keys, and cut to a readable length; the files a run writes name no key at all
(``Job(hide_access_key=True)``). Runs older than ``web.keep_days`` (counted from their last
activity: upload, check, start, end) are deleted, files and history row, by ``expire``. A run
reads the reservations it changes first (the snapshot, as ``rescheduler run`` does): rows
already so are not sent, and the undo file is offered.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rescheduler.config import Config
from rescheduler.i18n import _, current_language
from rescheduler.job import Progress
from rescheduler.web import notes
from rescheduler.web.numbers import kept_counts, page_status
from rescheduler.web.preview import PREVIEW_NAME, Preview
from rescheduler.web.quota import Budget, used_bytes
from rescheduler.web.runjob import RunRequest
from rescheduler.web.scrub import scrub
from rescheduler.web.sender import RunWorker
from rescheduler.web.store import STARTABLE, RunRecord, RunState, Store

log = logging.getLogger("rescheduler.web")
FORMATS = ("xlsx", "csv")  # the first is the page's default: supervisors open files in Excel
OUTCOME_NAME = "outcome.json"
SHUTDOWN_GRACE_S = 10.0
REPORT_TIMEOUT_S = 600.0  # for a worker to write the run record and send the alert
DAY_S = 86_400.0


class Busy(Exception):
    """Another run is sending; ``run_id`` names it."""

    def __init__(self, run_id: str) -> None:
        super().__init__(run_id)
        self.run_id = run_id


class NotStartable(Exception):
    pass


@dataclass
class _Sending:
    worker: RunWorker
    task: asyncio.Task[None] | None = None


class Runs:
    def __init__(self, store: Store, config: Config) -> None:
        self.store = store
        self.config = config
        self._sending: dict[str, _Sending] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    # -- files --------------------------------------------------------------------------------
    def input_path(self, record: RunRecord) -> Path:
        return self.store.run_dir(record.id) / f"input{record.suffix}"

    def results_path(self, record: RunRecord) -> Path:
        return self.store.run_dir(record.id) / f"results.{record.results_format or 'csv'}"

    def preview(self, record: RunRecord) -> Preview | None:
        path = self.store.run_dir(record.id) / PREVIEW_NAME
        return Preview.load(path) if path.is_file() else None

    def outcome(self, record: RunRecord) -> dict[str, Any]:
        path = self.store.run_dir(record.id) / OUTCOME_NAME
        return dict(json.loads(path.read_text("utf-8"))) if path.is_file() else {}

    def clean(self, message: str, record: RunRecord) -> str:
        """A message fit for the page: no server paths, no access key, no secret key."""
        return scrub(message, self.input_path(record), record.file_name, self.secrets())

    def secrets(self) -> list[str]:
        auth = self.config.auth
        return [auth.access_key, auth.secret_key.reveal() if auth.secret_key else ""]

    async def budget(self, user: str) -> Budget:
        """The disk room of ``user``'s uploads (``quota.py``; their folders walked in a thread)."""
        folders = [self.store.run_dir(run_id) for run_id in self.store.run_ids(user)]
        web = self.config.web
        used = await asyncio.to_thread(used_bytes, folders)
        return Budget(web.max_output_mb, web.quota_mb, used)

    # -- sending ------------------------------------------------------------------------------
    def start(self, run_id: str, user: str, results_format: str) -> None:
        """Start (or resume) sending; raises NotStartable or Busy.

        A first start needs a checked file with at least one row to send (a header-only file,
        or one whose every row is invalid, has nothing to start)."""
        record = self.store.get_run(run_id)
        if record is None or record.state not in STARTABLE or run_id in self._sending:
            raise NotStartable(run_id)
        if record.started is None:
            checked = self.preview(record)
            if checked is None or checked.to_send == 0:
                raise NotStartable(run_id)
        other = self.sending_run()
        if other is not None:
            raise Busy(other)
        fmt = record.results_format or (
            results_format if results_format in FORMATS else FORMATS[0]
        )
        self.store.update_run(
            run_id,
            state=RunState.RUNNING,
            results_format=fmt,
            started_by=user,
            started=self.store.now(),
            finished=None,
            stopped_by="",
            message="",
            starts=record.starts + 1,
        )
        log.info("run %s (%s) started by %s", run_id, record.file_name, user)
        sending = _Sending(RunWorker(run_id))
        self._sending[run_id] = sending
        sending.task = self._spawn(self._send(run_id, sending))

    async def _request(self, record: RunRecord) -> RunRequest:
        """What the worker needs (in the language of whoever pressed Start: the task's)."""
        config = self.config
        if record.on_conflict:
            config = dataclasses.replace(
                config, input=dataclasses.replace(config.input, on_conflict=record.on_conflict)
            )
        budget = await self.budget(record.uploaded_by)
        file_bytes, _by_quota = budget.file_limit(record.size)
        return RunRequest(
            input_path=self.input_path(record),
            results_path=self.results_path(record),
            config=config,
            file_name=record.file_name,
            where=_("the upload page, run {run} ({file})").format(
                run=record.id, file=record.file_name
            ),
            memory_mb=config.web.check_memory_mb,
            file_bytes=file_bytes,
            language=current_language(),
        )

    def stop(self, run_id: str, user: str) -> bool:
        sending = self._sending.get(run_id)
        if sending is None or sending.worker.stopping:
            return False
        sending.worker.stop(_("stopped by {user} on the web page").format(user=user))
        self.store.update_run(run_id, state=RunState.STOPPING, stopped_by=user)
        log.info("run %s stop requested by %s", run_id, user)
        return True

    async def _send(self, run_id: str, sending: _Sending) -> None:
        record = self.store.get_run(run_id)
        assert record is not None
        worker = sending.worker
        try:
            end = await worker.run(await self._request(record))
        except asyncio.CancelledError:
            self._end(record, RunState.INTERRUPTED, notes.INTERRUPTED_RUN, worker.progress)
            raise
        except Exception:
            log.exception("run %s failed", run_id)
            message = notes.note(notes.INTERNAL, admin=True)
            self._end(record, RunState.FAILED, message, worker.progress)
        else:
            self._settle(record, end, worker.progress)
        finally:
            self._sending.pop(run_id, None)
        # The record and the alert, after the slot is free: a slow webhook delays no other run.
        self._spawn(worker.finish(REPORT_TIMEOUT_S))

    def _settle(self, record: RunRecord, end: dict[str, Any], progress: Progress) -> None:
        """What the worker's end line says happened."""
        if "rows" in end:
            self._finished(record, end, progress)
        elif isinstance(end.get("error"), str):
            kind, message = end["error"], self.clean(str(end.get("message", "")), record)
            if kind == "Crashed":  # a bug: its traceback, scrubbed, for the server log
                log.error("run %s: %s\n%s", record.id, message, end.get("traceback", ""))
            self._end(record, RunState.FAILED, notes.for_start_error(kind, message), progress)
        else:  # the worker died: out of memory, or killed
            detail = f"web.check_memory_mb = {self.config.web.check_memory_mb}"
            message = notes.note(notes.RUN_DIED, detail=detail)
            self._end(record, RunState.STOPPED, message, progress)

    def _finished(self, record: RunRecord, end: dict[str, Any], progress: Progress) -> None:
        self._save_outcome(record, progress, float(end.get("elapsed_s", 0.0)))
        aborted = end.get("aborted")
        state = RunState.FINISHED if aborted is None else RunState.STOPPED
        message = ""
        if aborted is not None:
            now = self.store.get_run(record.id)
            stopped_by = now.stopped_by if now is not None else ""
            text = self.clean(str(aborted.get("message", "")), record)
            message = notes.for_abort(str(aborted.get("code", "")), text, stopped_by)
        counts = kept_counts({str(k): int(v) for k, v in end["counts"].items()}, progress.codes)
        self.store.update_run(
            record.id,
            state=state,
            message=message,
            rows=int(end["rows"]),
            counts=counts,
            finished=self.store.now(),
        )
        log.info("run %s %s: %s", record.id, state.value, counts)

    def _save_outcome(self, record: RunRecord, progress: Progress, elapsed_s: float) -> None:
        """Why rows were not rescheduled (error codes, rows, an example each) and the time."""
        outcome = {"codes": progress.codes, "examples": progress.examples, "elapsed_s": elapsed_s}
        path = self.store.run_dir(record.id) / OUTCOME_NAME
        path.write_text(json.dumps(outcome, ensure_ascii=False), encoding="utf-8")

    def _end(self, record: RunRecord, state: RunState, message: str, progress: Progress) -> None:
        self._save_outcome(record, progress, progress.elapsed_s)
        counts = kept_counts({s.value: n for s, n in progress.counts.items()}, progress.codes)
        self.store.update_run(
            record.id, state=state, message=message, counts=counts, finished=self.store.now()
        )
        log.info("run %s %s: %s", record.id, state.value, message)

    # -- what the page polls ------------------------------------------------------------------
    def status(self, record: RunRecord) -> dict[str, Any]:
        """What the page polls (``numbers.page_status``), live while the run is sending."""
        sending = self._sending.get(record.id)
        return page_status(record, None if sending is None else sending.worker.progress)

    def sending_run(self) -> str | None:
        return next(iter(self._sending), None)

    # -- lifecycle ----------------------------------------------------------------------------
    async def delete(self, record: RunRecord) -> None:
        """Forget a run that is not active: its history row, then its folder (in a thread)."""
        self.store.forget_run(record.id)
        await asyncio.to_thread(shutil.rmtree, self.store.run_dir(record.id), True)

    async def expire(self) -> list[RunRecord]:
        """Delete the runs older than ``web.keep_days`` (0 = keep for ever); the ones deleted."""
        keep_days = self.config.web.keep_days
        if keep_days <= 0:
            return []
        gone = []
        for run_id in self.store.expired_runs(self.store.now() - keep_days * DAY_S):
            record = self.store.get_run(run_id)
            if record is not None and run_id not in self._sending:
                await self.delete(record)
                gone.append(record)
        return gone

    async def close(self, grace_s: float = SHUTDOWN_GRACE_S) -> None:
        """Stop every run cleanly (rows left become not_sent), cancelling what outlasts grace."""
        for sending in self._sending.values():
            sending.worker.stop(_("the web server was shut down"))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace_s
        while self._tasks and loop.time() < deadline:  # a run that ends spawns its reporting
            await asyncio.wait(list(self._tasks), timeout=deadline - loop.time())
        pending = list(self._tasks)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    def _spawn(self, coro: Any) -> asyncio.Task[None]:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task
