"""An input file to fill in: the right headers and one example row, as CSV or XLSX.

The XLSX template is the one to hand to supervisors: its ID, agent and remark columns are
formatted as Text, so Excel keeps a 30-digit ``appointId`` exactly as typed (a General cell
turns it into ``1.74729926098017E+29`` and loses digits), and a second sheet, "How to fill",
explains each column. A CSV template cannot carry formats: Excel opening it rounds the example
ID on display and, if saved, for good; use it only with tools that keep text as text.

The sheet names, the instructions and the example remark are in the current language
(``rescheduler.i18n``); the headers are the API's field names in every language.
"""

from __future__ import annotations

import contextlib
import csv
import os
from pathlib import Path

from rescheduler.errors import OutputError
from rescheduler.i18n import N_, _
from rescheduler.models import APPOINT_ID, APPOINT_TIME, REMARK, USER_ACCOUNT, WORK_NO

DEPLOYMENTS = ("standard", "op-independent")
EXAMPLE_ID = "174729926098016859445364892091"
EXAMPLE_TIME = "2027-01-15 09:30"
EXAMPLE_REMARK = N_("Customer asked to be called back later")
EXAMPLE_AGENT = {USER_ACCOUNT: "agent001", WORK_NO: "125"}
TEXT_COLUMNS = frozenset({APPOINT_ID, USER_ACCOUNT, WORK_NO, REMARK})
DATA_SHEET = N_("reservations")
HELP_SHEET = N_("How to fill")


def template_table(deployment: str = "standard") -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``(headers, example_row)``: the mandatory agent column first, the other one empty."""
    if deployment not in DEPLOYMENTS:
        raise ValueError(f"deployment must be one of {', '.join(DEPLOYMENTS)}, not {deployment!r}")
    agent, other = (USER_ACCOUNT, WORK_NO) if deployment == "standard" else (WORK_NO, USER_ACCOUNT)
    headers = (APPOINT_ID, agent, other, APPOINT_TIME, REMARK)
    return headers, (EXAMPLE_ID, EXAMPLE_AGENT[agent], "", EXAMPLE_TIME, _(EXAMPLE_REMARK))


def how_to_fill(deployment: str = "standard") -> tuple[str, ...]:
    """The instructions on the XLSX template's second sheet, one line each."""
    agent, other = template_table(deployment)[0][1:3]
    what = {
        USER_ACCOUNT: _("the agent's business account"),
        WORK_NO: _("the agent ID (e.g. 125)"),
    }
    return (
        _("One row per reservation to change. Keep the header row; delete the example row."),
        _(
            "{column}: the reservation ID (usually 30 digits). Keep the column formatted as "
            "Text, or Excel rounds the ID."
        ).format(column=APPOINT_ID),
        _("{column}: {what}; required on this server. {other} may stay empty.").format(
            column=agent, what=what[agent], other=other
        ),
        _(
            "{column}: the new time, e.g. {example} (the configured time zone applies unless "
            "you add an offset such as +08:00). Empty: the time is not changed."
        ).format(column=APPOINT_TIME, example=EXAMPLE_TIME),
        _("{column}: free text, optional. Empty: the remark is not changed.").format(column=REMARK),
        _("Empty cells are not sent. Other columns are kept and copied to the results file."),
        _("Check the file first: rescheduler validate FILE. Then send it: rescheduler run FILE."),
    )


def write_template(path: Path, deployment: str = "standard", *, overwrite: bool = False) -> None:
    """Write an input template (CSV, or XLSX when ``path`` ends in ``.xlsx``).

    Raises :class:`OutputError` if ``path`` exists (unless ``overwrite``) or cannot be written.
    The file is locked as a run locks its results (another command writing it: refused) and
    replaced whole, never truncated in place.
    """
    from rescheduler.write.atomic import replacing
    from rescheduler.write.runfiles import target_locked
    from rescheduler.write.targets import check_name

    path = Path(path)
    headers, example = template_table(deployment)
    if path.exists() and not overwrite:
        raise OutputError(_("{path} already exists; not overwriting it").format(path=path))
    check_name(path, "PATH")
    try:
        with target_locked(path, "PATH", create=False):
            if path.suffix.lower() == ".xlsx":
                _write_xlsx(path, headers, example, how_to_fill(deployment))
            elif overwrite:
                with replacing(path) as tmp, open(tmp, "x", encoding="utf-8-sig", newline="") as f:
                    csv.writer(f, lineterminator="\r\n").writerows([headers, example])
            else:
                with open(path, "x", encoding="utf-8-sig", newline="") as f:
                    csv.writer(f, lineterminator="\r\n").writerows([headers, example])
    except FileExistsError as exc:
        raise OutputError(_("{path} already exists; not overwriting it").format(path=path)) from exc
    except OSError as exc:
        raise OutputError(
            _("cannot write {path}: {reason}").format(path=path, reason=exc.strerror or exc)
        ) from exc


def _write_xlsx(
    path: Path, headers: tuple[str, ...], example: tuple[str, ...], help_lines: tuple[str, ...]
) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new Workbook always has one sheet
    sheet.title = _(DATA_SHEET)
    widths = {APPOINT_ID: 34, APPOINT_TIME: 20, REMARK: 30}
    for col, (name, value) in enumerate(zip(headers, example, strict=True), 1):
        dim = sheet.column_dimensions[get_column_letter(col)]
        dim.width = widths.get(name, 14)
        head = sheet.cell(row=1, column=col, value=name)
        head.font = Font(bold=True)
        cell = sheet.cell(row=2, column=col, value=value or None)
        if name in TEXT_COLUMNS:
            dim.number_format = "@"  # new cells typed into the column stay text
            cell.number_format = "@"
    sheet.freeze_panes = "A2"
    notes = book.create_sheet(_(HELP_SHEET))
    notes.column_dimensions["A"].width = 100
    for line in help_lines:
        notes.append([line])
    # Saved beside the target, then moved: no half-written template under the final name.
    tmp = path.with_name(f".{path.stem}.{os.urandom(4).hex()}.tmp.xlsx")
    try:
        book.save(tmp)
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
