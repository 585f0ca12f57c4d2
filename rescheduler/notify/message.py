"""The alert's words, from the run record (pure): short, in the configured language.

Title: the file and the outcome. Then the rows by status, the top failure codes, why the run
stopped (if it did), the exit code and its meaning, and where the results are. Statuses,
codes and paths stay as they are (machine-readable); the sentences go through ``_``.
The text always contains the word "rescheduler", so a DingTalk robot whose security setting
is a keyword can use that one.
"""

from __future__ import annotations

import contextvars
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from rescheduler.i18n import _, set_language
from rescheduler.write.runrecord import STATUSES
from rescheduler.write.summary import describe_code

TOP_CODES = 3
MAX_LINE = 300  # characters; a path or message longer than this is cut


@dataclass(frozen=True)
class Message:
    title: str
    lines: tuple[str, ...]
    ok: bool

    def text(self) -> str:
        return "\n".join((self.title, *self.lines))


def compose(record: Mapping[str, Any], *, language: str = "en", where: str = "") -> Message:
    """The alert for ``record``; ``where`` replaces the results' paths (e.g. the upload page)."""
    return contextvars.copy_context().run(_compose, record, language, where)


def _cut(text: str) -> str:
    return text if len(text) <= MAX_LINE else text[: MAX_LINE - 1] + "…"


def _compose(record: Mapping[str, Any], language: str, where: str) -> Message:
    set_language(language)
    source = record.get("input") or {}
    name = PurePath(str(source.get("path", ""))).name or record["command"]
    exit_info = record["exit"]
    code = exit_info["code"]
    rows = record.get("rows")
    lines: list[str] = []
    if code == 0:
        title = _("rescheduler: {file}: done").format(file=name)
    elif code == 1 and rows is not None:
        title = _("rescheduler: {file}: {failed} failed, {invalid} invalid").format(
            file=name, failed=rows["failed"], invalid=rows["invalid"]
        )
    elif code == 3:
        title = _("rescheduler: {file}: run aborted").format(file=name)
    elif code == 4:
        title = _("rescheduler: {file}: no input").format(file=name)
    else:
        title = _("rescheduler: {file}: not run, nothing sent").format(file=name)
    if record.get("dry_run"):
        title += " " + _("(dry run)")
    if rows is not None:
        counts = ", ".join(f"{status} {rows[status]}" for status in STATUSES)
        lines.append(_("{total} rows: {counts}").format(total=rows["total"], counts=counts))
    codes = list(record["failures"]["by_code"].items())[:TOP_CODES]
    if codes:
        top = ", ".join(f"{describe_code(c)} x{n}" for c, n in codes)
        lines.append(_("top failure codes: {codes}").format(codes=top))
    problem = record.get("aborted") or record.get("error")
    if problem:
        lines.append(_cut(str(problem["message"])))
    lines.append(
        _("exit {code}: {meaning}").format(code=code, meaning=exit_info["meaning"])
    )
    if where:
        lines.append(_cut(_("results: {where}").format(where=where)))
    else:
        files = {f["kind"]: f["path"] for f in record.get("files", [])}
        for kind, label in (("results", _("results")), ("errors", _("rows to fix"))):
            if kind in files:
                lines.append(_cut(f"{label}: {files[kind]}"))
        if "run_record" in files:
            lines.append(_cut(_("run record: {path}").format(path=files["run_record"])))
    lines.append(
        _("on {host}, {seconds:.1f} s").format(host=record["host"], seconds=record["duration_s"])
    )
    return Message(title=title, lines=tuple(lines), ok=code == 0)
