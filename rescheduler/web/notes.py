"""What the page says about a run, kept untranslated and said in each reader's language (pure).

A run's ``message`` (the store's column) is written once, by the check or the run, but read by
people with different languages. So it is kept as a *note*: an English msgid with its values,
whether it is for an administrator, and an optional detail (the engine's own words: a path, a
config key, a flag, in the language of whoever ran it). ``show`` translates the note for the
reader: a sentence that says what the supervisor can do (or "ask your administrator") and the
detail, which the page folds away. Messages kept by older versions (plain text) show as they are.

``for_error`` turns a run-level error (a check that refused the file, a run that stopped) into
the note a supervisor can act on; the sentences never name a CLI flag or a config key: the
page offers its own choices instead, and the detail keeps the exact words for whoever needs them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from rescheduler.i18n import N_, _

_MARK = '{"note":'
JARGON = re.compile(r"--[a-z][a-z-]+|\[input\.columns\]|\b(?:server|auth|send|input|web)\.[a-z_]+")


@dataclass(frozen=True)
class Shown:
    text: str
    detail: str = ""
    admin: bool = False  # the supervisor cannot fix it: the text says to ask an administrator


def note(msgid: str, *, detail: str = "", admin: bool = False, **values: object) -> str:
    """A message to keep: ``msgid`` (marked with ``N_``) formatted with ``values`` when shown."""
    return json.dumps(
        {"note": msgid, "values": values, "detail": detail, "admin": admin}, ensure_ascii=False
    )


def show(message: str) -> Shown:
    """``message`` (a note, or plain text from an older version) in the reader's language."""
    if not message.startswith(_MARK):
        return Shown(message)
    try:
        data: dict[str, Any] = json.loads(message)
        text = _(str(data["note"])).format(**data.get("values", {}))
    except (ValueError, KeyError, IndexError, TypeError):
        return Shown(message)
    return Shown(text, str(data.get("detail", "")), bool(data.get("admin", False)))


def jargon(text: str) -> set[str]:
    """The CLI flags and config keys ``text`` names (they stay English in every language)."""
    return set(JARGON.findall(text))


# -- a check that refused the file --------------------------------------------------------------
ENCODING = N_(
    "The page cannot tell for sure how the text of this file is encoded. In Excel, save it "
    "with File > Save As as 'CSV UTF-8' or as an Excel Workbook (.xlsx), then upload that file."
)
SHEET = N_(
    "The page reads the first visible sheet of a workbook, and that sheet cannot be used. In "
    "Excel, move the sheet with the changes to the front (and unhide it), save, and upload "
    "again."
)
COLUMNS = N_(
    "A column the page needs is missing, or its header is not recognised. Name the headers as "
    "in the template (appointId and the agent column) and upload again; if your sheets always "
    "use other names, ask your administrator to add them."
)
TOO_MANY_ROWS = N_(
    "The file has more rows than the page checks at once. Split it into smaller files and "
    "upload them one by one."
)
TOO_MANY_CELLS = N_(
    "The file has more cells (rows times columns) than the page checks at once. Delete the "
    "columns you do not need (keep the ones in the template), or split it into smaller files, "
    "and upload again."
)
TOO_MUCH_OUTPUT = N_(
    "Checking this file would write more than the page allows for one upload. Delete the "
    "columns you do not need (keep the ones in the template), or split it into smaller files, "
    "and upload again."
)
QUOTA_FULL = N_(
    "Your uploads and their files take nearly all the disk space the page keeps for each "
    "person. Delete uploads you no longer need (History), then upload again."
)
SETTINGS = N_(
    "This cannot be fixed in the file: a setting of the page stops it. Ask your administrator."
)


def for_refused_file(message: str) -> str:
    """The note of a check that refused the file with the engine's ``message``."""
    flags = jargon(message)
    if not flags:
        return message  # the reader's own words already say what to do with the file
    if "--encoding" in flags:
        return note(ENCODING, detail=message)
    if "--sheet" in flags:
        return note(SHEET, detail=message)
    if "[input.columns]" in flags:
        return note(COLUMNS, detail=message)
    if "web.max_rows" in flags:
        return note(TOO_MANY_ROWS, detail=message)
    if "web.max_cells" in flags:
        return note(TOO_MANY_CELLS, detail=message)
    return note(SETTINGS, detail=message, admin=True)


CUT_OFF_CHECK = note(
    N_("The check did not finish before the page's server stopped. Press Check again.")
)
CANCELLED_BY = N_("The check was cancelled by {user}.")
WAITING = N_("Waiting: other files are being checked; this one is next in line.")
CHECK_FAILED = N_(
    "The file could not be checked because of an error on the page's server. Ask your "
    "administrator (the server log has the details)."
)
TOO_SLOW = N_(
    "Checking this file takes longer than the page allows. Split it into smaller files and "
    "upload them one by one."
)
TOO_BIG = N_(
    "Checking this file needs more memory than the page allows. Split it into smaller files, "
    "or save it as CSV UTF-8, and upload again."
)


# -- a run that stopped or did not start --------------------------------------------------------
STOPPED_BY = N_("Stopped by {user}. The rows not sent yet can be sent with Resume.")
SHUT_DOWN = N_(
    "The page's server was shut down during this run. Press Resume to send the rows not sent yet."
)
CREDENTIALS = N_(
    "The iSales server refused this page's credentials, so sending stopped. Ask your "
    "administrator to check them, then press Resume."
)
UNREACHABLE = N_(
    "The iSales server stopped answering, so sending stopped. Press Resume later to send the "
    "rows not sent yet; if it happens again, ask your administrator."
)
TOO_MANY_FAILURES = N_(
    "Sending stopped because too many rows failed. See why below; press Resume to send the "
    "rest anyway."
)
STOPPED = N_(
    "Sending stopped before every row was sent. Press Resume to send the rest; if it stops "
    "again, ask your administrator."
)
NOT_STARTED = N_("The run could not start because of the page's settings. Ask your administrator.")
SNAPSHOT_FAILED = N_(
    "Before sending, the page reads the reservations the file changes from the iSales server, "
    "and that failed, so nothing was sent. Press Resume to try again; if it fails again, ask "
    "your administrator."
)
UNREADABLE_AGAIN = N_(
    "The file could not be read again for sending. Upload it again; if that does not help, ask "
    "your administrator."
)
INTERRUPTED_RUN = note(
    N_(
        "The page's server stopped during this run. Press Resume to send the rows not sent yet."
    )
)
RUN_DIED = N_(
    "Sending stopped because the work needed more memory than the page allows, or was ended "
    "on the page's server. Press Resume to send the rows not sent yet; if it stops again, ask "
    "your administrator."
)
INTERNAL = N_(
    "Something went wrong on the page's server. Press Resume to try again; if it happens again, "
    "ask your administrator (the server log has the details)."
)


def for_abort(code: str, detail: str, stopped_by: str = "") -> str:
    """The note of a run that stopped early; ``code`` is ``RunAborted.code``."""
    if code == "interrupted":
        if stopped_by:
            return note(STOPPED_BY, user=stopped_by)
        return note(SHUT_DOWN, detail=detail)
    if code == "credentials_rejected":
        return note(CREDENTIALS, detail=detail, admin=True)
    if code == "server_unreachable":
        return note(UNREACHABLE, detail=detail)
    if code == "max_failures":
        return note(TOO_MANY_FAILURES, detail=detail)
    return note(STOPPED, detail=detail)


def for_start_error(kind: str, detail: str) -> str:
    """The note of a run that raised before sending; ``kind`` is the exception's class name."""
    if kind == "InputFileError":
        return note(UNREADABLE_AGAIN, detail=detail)
    if kind == "Crashed":  # a bug: the traceback is in the server log
        return note(INTERNAL, detail=detail, admin=True)
    if kind == "SnapshotFailed":
        return note(SNAPSHOT_FAILED, detail=detail)
    return note(NOT_STARTED, detail=detail, admin=True)
