"""Stopping a run: the stop request the pool obeys, the failure limit, and the signal watcher.

``StopControl.request(reason)``: no new request starts, requests in flight finish, every row
not attempted becomes ``not_sent``. ``abandon(reason)``: the same without waiting for the
requests in flight (their rows become ``failed``: the server may have applied them). ``hard``:
everything was cancelled at once and the report is not complete.
"""

from __future__ import annotations

import logging
import math
import signal
import sys
from collections.abc import Awaitable, Callable

import anyio

from rescheduler.errors import Interrupted, RunAborted
from rescheduler.i18n import _

log = logging.getLogger("rescheduler")


class StopControl:
    """Asks a running pool to stop. Safe to call from any task on the pool's event loop."""

    def __init__(self) -> None:
        self.reason: RunAborted | None = None
        self.abandoned = False  # requests in flight are not awaited
        self.hard = False  # everything was cancelled: the report is not complete
        self._scopes: set[anyio.CancelScope] = set()
        self.worker_scopes: set[anyio.CancelScope] = set()

    @property
    def requested(self) -> bool:
        return self.reason is not None

    def request(self, reason: RunAborted) -> None:
        if self.reason is None:
            self.reason = reason
        for scope in self._scopes:
            scope.cancel()

    def abandon(self, reason: RunAborted) -> None:
        """Stop, and stop waiting for the requests in flight (their rows become ``failed``)."""
        self.request(reason)
        self.abandoned = True
        for scope in self.worker_scopes:
            scope.cancel()

    async def interruptible(self, wait: Callable[[], Awaitable[object]]) -> bool:
        """Run ``wait``; return False if a stop request cut it short."""
        if self.requested:
            return False
        with anyio.CancelScope() as scope:
            self._scopes.add(scope)
            try:
                await wait()
                return True
            finally:
                self._scopes.discard(scope)
        return False


class FailureLimit:
    """``--max-failures``: a count ("50") or a share of the rows answered so far ("10%")."""

    MIN_SAMPLE = 20

    def __init__(self, spec: str) -> None:
        self.spec = spec
        self.count: int | None = None
        self.share: float | None = None
        if spec.endswith("%"):
            self.share = float(spec[:-1]) / 100
        elif spec:
            self.count = int(spec)

    def tripped(self, failed: int, answered: int) -> bool:
        if self.count is not None:
            return failed >= self.count
        if self.share is not None and answered >= self.MIN_SAMPLE:
            return failed >= math.ceil(self.share * answered)
        return False


def _tell(text: str) -> None:
    """To the log, and to the person at the terminal (whose log lines are not on screen)."""
    log.warning("%s", text)
    if sys.stderr.isatty():
        print(f"rescheduler: {text}", file=sys.stderr, flush=True)


_WATCHED = (signal.SIGINT, signal.SIGTERM)


def _held(signum: int, frame: object) -> None:
    """A Ctrl-C after the rows are done, while the files are finished: too late to matter."""


_before: dict[int, object] = {}  # the handlers held signals go back to


def hold_signals() -> None:
    """From the end of the pool until ``release_signals``: a signal no longer interrupts.

    The rows are all final by then; a Ctrl-C pressed a moment too late must not stop the
    results file from being put in place (and it would, as a ``KeyboardInterrupt`` anywhere).
    """
    for signum in _WATCHED:
        signal.signal(signum, _held)


def release_signals() -> None:
    """Back to the handlers from before the pool (Python's defaults: ``KeyboardInterrupt`` for
    Ctrl-C; the command line's own, which ignores a signal once the run is over)."""
    defaults: dict[int, object] = {
        signal.SIGINT: signal.default_int_handler,
        signal.SIGTERM: signal.SIG_DFL,
    }
    for signum in _WATCHED:
        handler = _before.pop(signum, None) or defaults[signum]
        signal.signal(signum, handler)  # type: ignore[arg-type]


async def watch_signals(stop: StopControl, everything: anyio.CancelScope) -> None:
    """1st signal: stop and finish what is in flight; 2nd: stop waiting for it; 3rd: quit.

    When it ends (the rows are done, or quit), later signals are held (``hold_signals``) until
    the engine has finished the files and calls ``release_signals``, which puts back the
    handlers found here (the event loop's own clean-up would put Python's defaults back).
    """
    for signum in _WATCHED:
        current = signal.getsignal(signum)
        _before[signum] = None if current is _held else current  # an earlier pool's hold: none
    try:
        await _watch(stop, everything)
    finally:
        hold_signals()


async def _watch(stop: StopControl, everything: anyio.CancelScope) -> None:
    received = 0
    with anyio.open_signal_receiver(*_WATCHED) as signals:
        async for signum in signals:
            received += 1
            reason = Interrupted(
                _("interrupted by {signal}").format(signal=signal.Signals(signum).name)
            )
            if received == 1:
                stop.request(reason)
                _tell(
                    _(
                        "{reason}: no new requests; waiting for the answers to the requests "
                        "on their way (press Ctrl-C again not to wait)"
                    ).format(reason=reason)
                )
            elif received == 2:
                stop.abandon(reason)
                _tell(
                    _(
                        "interrupted again: not waiting for the requests on their way; "
                        "writing the rows left as not_sent (press Ctrl-C again to quit at "
                        "once, leaving the results incomplete)"
                    )
                )
            else:
                stop.hard = True
                if not isinstance(stop.reason, Interrupted):
                    stop.reason = reason
                _tell(_("interrupted a third time: quitting at once"))
                everything.cancel()
                return
