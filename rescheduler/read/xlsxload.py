"""python-calamine loading one worksheet in a thread, while the caller reads the sheet's XML.

calamine releases the GIL while it parses (measured: a 100,000-row sheet loads in 0.33 s, and
a Python loop running meanwhile on the main thread is not slowed), so ``xlsx.XlsxTable`` starts
the load first and runs ``xlsxlook``'s pass over the same XML (0.2 s) meanwhile: on two cores
the two overlap. The thread only loads; every decision about the result stays with the caller.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

THREAD_NAME = "rescheduler-xlsx-load"


class SheetLoad:
    """Load sheet ``name`` of the workbook at ``path`` in a daemon thread, started at once."""

    def __init__(self, path: Path, name: str) -> None:
        self._book: Any = None
        self._sheet: Any = None
        self._error: BaseException | None = None
        self._done = threading.Event()  # waited on instead of join(): see ``result``
        self._thread = threading.Thread(
            target=self._load, args=(os.fspath(path), name), name=THREAD_NAME, daemon=True
        )
        self._thread.start()

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
        self._done.wait()
        if self._error is not None and raising:
            error, self._error = self._error, None
            raise error
        return self._book, self._sheet
