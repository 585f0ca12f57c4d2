"""Writing ``<stem>.before.csv`` and ``<stem>.undo.csv`` (CSV or XLSX, as the results file).

Both are valid input files, written under a temporary name and renamed when complete
(``write.atomic.replacing``), streamed from the state store's cursors (memory stays flat):

* the before file is what ``export`` would have written for the reservations the run is about to
  change (``changefile.layout``/``change_row``, no rules), in the file's order: running it puts
  every listed field back as it was;
* the undo file puts back only what the run changed (``undo.undo_row``), and lists what it
  cannot put back with the reason.

A run that touches a VDN other than the configured one gets a ``vdnId`` column in both.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from rescheduler.config import Config
from rescheduler.errors import OutputError
from rescheduler.i18n import _
from rescheduler.models import CAN_RESCHEDULE, VDN_ID
from rescheduler.state.changefile import Layout, Setup, change_row, layout
from rescheduler.state.listing import ListFilter
from rescheduler.state.rules import Rules
from rescheduler.state.statedb import EARLIER, UNCERTAIN, PlanRow
from rescheduler.state.undo import Undo, UndoLayout, UndoRow, undo_layout, undo_row
from rescheduler.write.atomic import replacing
from rescheduler.write.table import TableWriter


def write_before(
    path: Path,
    items: Iterator[tuple[int, str, Any]],
    seen: Sequence[str],
    config: Config,
    zone: ZoneInfo,
    *,
    vdn: bool,
) -> int:
    """The listed items of the run's rows as an export file; how many rows were written."""
    setup = Setup(
        config.server.deployment,
        zone,
        int(time.time() * 1000),
        ListFilter(),
        Rules(),
        max_days_ahead=config.input.max_days_ahead,
    )
    shape = layout(seen, setup)
    at = -1
    if vdn:
        columns = list(shape.columns)
        at = columns.index(CAN_RESCHEDULE)
        columns.insert(at, VDN_ID)
        shape = Layout(tuple(columns), shape.agent_key, shape.context)
    rows = 0
    with replacing(path) as tmp, TableWriter.for_path(tmp, shape.headers) as out:
        for vdn_id, ident, item in items:
            cells = change_row(item, ident, shape, setup).cells
            if at >= 0:
                cells[at] = str(vdn_id)
            out.write(cells)
            rows += 1
    return rows


def write_undo(
    path: Path,
    changed: Callable[[], Iterable[tuple[PlanRow, int]]],
    sent: Iterable[str],
    config: Config,
    zone: ZoneInfo,
    *,
    run: int,
    vdn: bool,
) -> UndoWritten:
    """The undo file. ``changed`` gives the changed rows (called twice: counted first). When no
    row can be put back (the run changed nothing, or only what the server does not report), no
    file is written and an earlier one is left. An earlier run's undo file (``run`` 1: this run
    starts a new job; a ``--resume`` run's file covers the whole job) is never replaced: it is
    kept beside it as ``<stem>.undo.<n>.csv``, the next free ``n``."""
    shape = undo_layout(tuple(sent), config.server.deployment, vdn=vdn)
    undo = Undo(zone, int(time.time() * 1000), config.input.max_days_ahead)
    restored = held = partial = 0
    for row, flag in changed():
        entry = _undo_row(row, flag, shape, undo, run)
        if entry is not None:
            held += entry.held
            restored += not entry.held
            partial += entry.partial
    kept = None
    if restored:
        if run == 1 and path.exists():
            kept = _keep_aside(path)
        with replacing(path) as tmp, TableWriter.for_path(tmp, shape.headers) as out:
            for row, flag in changed():
                entry = _undo_row(row, flag, shape, undo, run)
                if entry is not None:
                    out.write(entry.cells)
    return UndoWritten(restored, held, partial, kept)


@dataclass(frozen=True)
class UndoWritten:
    rows: int  # rows that put something back
    held: int  # rows that cannot (can_reschedule no)
    partial: int  # rows of ``rows`` that put back only some of the fields the run changed
    kept: Path | None  # where an earlier run's undo file now is (it was not replaced)


def _keep_aside(path: Path) -> Path:
    """Move an earlier run's undo file to the first free ``<stem>.<n><suffix>`` beside it."""
    n = 1
    while True:
        aside = path.with_name(f"{path.stem}.{n}{path.suffix}")
        if not aside.exists() and not aside.is_symlink():
            try:
                os.link(path, aside)  # never over a file that appeared meanwhile
            except FileExistsError:
                n += 1
                continue
            except OSError as exc:
                raise OutputError(
                    _("cannot keep the earlier undo file {path} (as {aside}): {reason}; move "
                      "it away, then run again").format(
                        path=path, aside=aside, reason=exc.strerror or exc
                    )
                ) from None  # fmt: skip
            path.unlink()
            return aside
        n += 1


def _undo_row(row: PlanRow, flag: int, shape: UndoLayout, undo: Undo, run: int) -> UndoRow | None:
    before, why = row.before, ""
    if flag == EARLIER and (row.before_run or run) >= run:
        before = None
        why = _(
            "changed by an earlier run that kept no snapshot (--no-snapshot): its earlier "
            "values are unknown"
        )
    return undo_row(
        row.line,
        row.appoint_id,
        row.vdn,
        row.body,
        before,
        shape,
        undo,
        uncertain=flag == UNCERTAIN,
        unknown_why=why,
    )
