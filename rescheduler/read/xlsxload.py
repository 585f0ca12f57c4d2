"""python-calamine loading one worksheet in a thread, while the caller reads the sheet's XML.

calamine releases the GIL while it parses (measured: a 100,000-row sheet loads in 0.33 s, and
a Python loop running meanwhile on the main thread is not slowed), so ``xlsx.XlsxTable`` starts
the load first and runs ``xlsxlook``'s pass over the same XML (0.2 s) meanwhile: on two cores
the two overlap. The thread only loads; every decision about the result stays with the caller.
Under an address-space cap there is no thread (``background_allowed``).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

THREAD_NAME = "rescheduler-xlsx-load"


def background_allowed() -> bool:
    """Whether the load may run in a thread: not when the process's address space is capped
    (the upload page's check worker, ``web.check_memory_mb``). A second thread gets its own
    malloc arena and stack, address space the cap counts, and calamine aborts the process on
    a failed allocation instead of raising: measured, a 100,000-row sheet loaded under a
    128 MB cap in the main thread and aborted in a thread. Capped, the load waits for the look
    and runs in the caller's thread, as before the overlap."""
    try:
        import resource
    except ImportError:  # not on this platform: no cap to respect
        return True
    return resource.getrlimit(resource.RLIMIT_AS)[0] == resource.RLIM_INFINITY


class SheetLoad:
    """Load sheet ``name`` of the workbook at ``path``: in a daemon thread started at once when
    ``background``, else in the caller's thread when ``result`` is first asked for."""

    def __init__(self, path: Path, name: str, *, background: bool = True) -> None:
        self._book: Any = None
        self._sheet: Any = None
        self._error: BaseException | None = None
        self._done = threading.Event()  # waited on instead of join(): see ``result``
        self._args = os.fspath(path), name
        self._started = background
        if background:
            thread = threading.Thread(target=self._load, args=self._args, name=THREAD_NAME)
            thread.daemon = True
            thread.start()

    def _load(self, path: str, name: str) -> None:
        import python_calamine

        try:
            self._book = python_calamine.CalamineWorkbook.from_path(path)
            self._sheet = self._book.get_sheet_by_name(name)
        except python_calamine.CalamineError:
            self._sheet = None  # the streaming reader reads what it can, or says why not
        except BaseException as exc:  # raised again in the caller's thread
            self._error = exc
        finally:
            self._done.set()

    def result(self, *, raising: bool = True) -> tuple[Any, Any]:
        """Wait for the load: ``(workbook, sheet)``; the sheet is None when calamine could not
        read it (the workbook, when opened, is still to be closed). What else went wrong in
        the thread (an ``OSError``, a ``MemoryError``) is raised here, unless ``raising`` is
        false (when the caller is giving up anyway).

        Not ``Thread.join``: on Python 3.11 a join cut short by Ctrl-C marks the thread as
        ended while it still runs (CPython gh-90882), so the next join returns at once and the
        workbook would be closed under calamine's feet ("Already borrowed")."""
        if not self._started:
            if not raising:  # given up before it began: nothing to wait for, nothing to close
                return None, None
            self._started = True
            self._load(*self._args)
        self._done.wait()
        if self._error is not None and raising:
            error, self._error = self._error, None
            raise error
        return self._book, self._sheet
