"""Log lines a server keeps: to stderr when unattended, to a rotated file, as text or JSON.

``--log-format json`` writes one JSON object per line (``time``, ``level``, ``logger``,
``event``, ``message`` and the event's fields such as ``rows`` or ``exit_code``), which
journald, Loki or ELK take as they are. Code logs an event with
``log.info("...", extra={"event": "run.finished", "rows": {...}})``; a line without an
``event`` gets ``"log"``. ``--log-file PATH`` appends to PATH, rotated at 10 MB, 5 kept (a
FIFO or a character device such as ``/dev/stderr`` is written to, never rotated).

A log line that cannot be written (disk full, ``ulimit -f``, ``/dev/full``) never changes
what a run does or its exit code: the first failure is said once on stderr, and the log file
takes no more lines.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
from datetime import UTC, datetime
from logging.handlers import RotatingFileHandler
from pathlib import Path

from rescheduler.errors import OutputError
from rescheduler.i18n import _

LOG_FORMATS = ("text", "json")
MAX_BYTES = 10 * 1024 * 1024
BACKUPS = 5
TEXT_FORMAT = "%(asctime)s %(levelname)s %(message)s"
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
}


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).strftime(
                "%Y-%m-%dT%H:%M:%S.%fZ"
            ),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": getattr(record, "event", "log"),
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in data:
                data[key] = value
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False, default=str)


class LogFile(RotatingFileHandler):
    """``--log-file``: a failed write is said once and turns the handler off, never raised."""

    failed = False

    def emit(self, record: logging.LogRecord) -> None:
        if not self.failed:
            super().emit(record)

    def flush(self) -> None:
        if self.failed:
            return
        try:
            super().flush()
        except OSError as exc:
            self._give_up(exc)

    def close(self) -> None:
        try:
            super().close()
        except OSError as exc:  # the last buffered line could not be written
            self._give_up(exc)

    def handleError(self, record: logging.LogRecord) -> None:
        self._give_up(sys.exc_info()[1])

    def _give_up(self, exc: BaseException | None) -> None:
        if self.failed:
            return
        self.failed = True
        reason = getattr(exc, "strerror", None) or exc
        with contextlib.suppress(OSError, ValueError):  # stderr gone too: nothing more to say
            sys.stderr.write(
                _(
                    "rescheduler: warning: cannot write the log file {path} ({reason}); "
                    "no more lines go there (the run is not affected)"
                ).format(path=self.baseFilename, reason=reason)
                + "\n"
            )


def _formatter(fmt: str) -> logging.Formatter:
    return JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT)


_installed: list[logging.Handler] = []


def setup_logging(*, stderr: bool, log_file: Path | None = None, fmt: str = "text") -> None:
    """Send the log (INFO and up) to stderr and/or a rotated file, as ``fmt``.

    stderr gets a handler only when nothing else handles the root logger yet (as
    ``logging.basicConfig``), so an embedding program's own logging is left alone.
    """
    teardown_logging()
    root = logging.getLogger()
    if stderr and not root.handlers:
        _installed.append(logging.StreamHandler())
    if log_file is not None:
        try:
            _installed.append(
                LogFile(log_file, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8")
            )
        except OSError as exc:
            raise OutputError(
                _("{path}: cannot write the log file: {error}").format(
                    path=log_file, error=exc.strerror or exc
                )
            ) from None
    if not _installed:  # quiet: not even logging's last-resort handler on stderr
        _installed.append(logging.NullHandler())
    for handler in _installed:
        handler.setFormatter(_formatter(fmt))
        root.addHandler(handler)
    root.setLevel(logging.INFO)


def teardown_logging() -> None:
    """Remove and close the handlers ``setup_logging`` installed."""
    root = logging.getLogger()
    while _installed:
        handler = _installed.pop()
        root.removeHandler(handler)
        with contextlib.suppress(OSError, ValueError):  # a log never fails the command
            handler.close()
