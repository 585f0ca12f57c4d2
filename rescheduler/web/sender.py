"""The server's side of one run worker (``runjob.py``): start it, hear it, ask it to stop.

``RunWorker.run`` starts the worker, hands it the ``RunRequest`` (credentials included) on its
stdin, keeps ``progress`` up to date from its progress lines and returns its end line once
every row has its outcome (``{}`` if it died without one). ``stop`` writes the stop line at
once, or as soon as the worker exists. ``finish`` then waits while the worker writes the run
record and sends the alert, and kills it if that outlasts ``timeout_s``. The worker's stderr
is passed on to the server's log, line by line, a bounded number of lines.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import pickle
import time
from typing import Any

from rescheduler.job import Progress
from rescheduler.models import Status
from rescheduler.web.runjob import RunRequest
from rescheduler.web.workers import kill, lines, message, spawn

log = logging.getLogger("rescheduler.web")
MAX_LOG_LINES = 1_000  # of one worker's stderr, passed on to the server's log
MAX_LOG_LINE = 2_000  # characters
_STATUSES = {status.value: status for status in Status}


def apply(progress: Progress, data: dict[str, Any]) -> None:
    """Set ``progress`` from a worker's progress line (numbers and short texts only)."""
    total = data.get("total")
    progress.total = int(total) if isinstance(total, int) else None
    progress.done = int(data.get("done", 0))
    progress.read = int(data.get("read", 0))
    progress.phase = str(data.get("phase", progress.phase))
    counts = data.get("counts", {})
    progress.counts = {s: int(counts.get(s.value, 0)) for s in Status}
    progress.codes = {str(k): int(v) for k, v in data.get("codes", {}).items()}
    progress.examples = {str(k): str(v) for k, v in data.get("examples", {}).items()}
    progress.started = time.monotonic() - float(data.get("elapsed_s", 0.0))


class RunWorker:
    def __init__(self, label: str) -> None:
        self.label = label  # the run's ID, for the log
        self.progress = Progress()
        self.process: asyncio.subprocess.Process | None = None
        self._stop: str | None = None
        self._stop_sent = False
        self._stderr: asyncio.Task[None] | None = None

    @property
    def stopping(self) -> bool:
        return self._stop is not None

    def stop(self, reason: str) -> None:
        """Ask for a clean stop (the rows left become not_sent); ``reason`` is shown."""
        if self._stop is None:
            self._stop = " ".join(reason.split())
        self._send_stop()

    def _send_stop(self) -> None:
        process = self.process
        if self._stop is None or self._stop_sent or process is None or process.stdin is None:
            return
        self._stop_sent = True
        with contextlib.suppress(ConnectionError, RuntimeError):
            process.stdin.write(f"stop {self._stop}\n".encode())

    async def run(self, request: RunRequest) -> dict[str, Any]:
        process = self.process = await spawn("rescheduler.web.runjob")
        assert process.stdin is not None
        assert process.stdout is not None
        assert process.stderr is not None
        self._stderr = asyncio.ensure_future(self._log(process.stderr))
        try:
            with contextlib.suppress(ConnectionError):
                process.stdin.write(pickle.dumps(request))
                await process.stdin.drain()
            self._send_stop()  # Stop pressed while the worker was starting
            async for line in lines(process.stdout):
                data = message(line)
                if isinstance(data.get("progress"), dict):
                    apply(self.progress, data["progress"])
                if isinstance(data.get("end"), dict):
                    end: dict[str, Any] = data["end"]
                    return end
            await process.wait()  # it died before its end line
            return {}
        except BaseException:
            await kill(process)
            raise

    async def finish(self, timeout_s: float) -> None:
        """Until the worker has written the run record and sent the alert, and exited."""
        process = self.process
        if process is None:
            return
        try:
            await asyncio.wait_for(self._drain(process), timeout_s)
        except TimeoutError:
            log.warning("run %s: the run record or alert took over %g s", self.label, timeout_s)
        finally:
            await kill(process)
            if self._stderr is not None:
                await asyncio.wait([self._stderr], timeout=1)
                self._stderr.cancel()

    async def _drain(self, process: asyncio.subprocess.Process) -> None:
        assert process.stdout is not None
        async for _line in lines(process.stdout):
            pass
        await process.wait()

    async def _log(self, stream: asyncio.StreamReader) -> None:
        count = 0
        async for line in lines(stream):
            count += 1
            if count <= MAX_LOG_LINES:
                text = line.decode("utf-8", "replace").rstrip()[:MAX_LOG_LINE]
                log.warning("run %s: %s", self.label, text)
        if count > MAX_LOG_LINES:
            log.warning("run %s: %d more log lines left out", self.label, count - MAX_LOG_LINES)
