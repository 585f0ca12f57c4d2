"""``run --verify``: list the changed reservations again and mark each succeeded row.

After the last row, the reservations of the rows that succeeded are listed again (the same
filtered-then-whole-VDN listing as the snapshot, filtered by the values the rows sent) and each
row is checked (``compare.check``): ``yes`` (every field it sent that the server reports shows
that value), ``no`` (the server answered 0200000 but shows something else, or no longer lists
it; ``error`` says what it shows, ``error_code`` ``not_verified``), ``unknown`` (the server
reports none of the fields it sent) or ``not_checked`` (the listing failed; the summary says
why). The ``verified`` column is added to the finished results file (``write.amend``); only
the rows' states stay in memory (one byte a line, and the text of the ``no`` rows).
"""

from __future__ import annotations

from collections.abc import Mapping
from zoneinfo import ZoneInfo

from rescheduler.config import Config, Secret
from rescheduler.errors import ReschedulerError
from rescheduler.i18n import _
from rescheduler.models import APPOINT_TIME
from rescheduler.send.pool import StopControl
from rescheduler.state import compare
from rescheduler.state.compare import Check
from rescheduler.state.scope import Hints
from rescheduler.state.snapinfo import NOT_CHECKED, SnapshotInfo
from rescheduler.state.snapshot import list_into
from rescheduler.state.statedb import CHANGED, StateDB
from rescheduler.write.runfiles import Amendment

VERIFIED, NOT_VERIFIED = "verified", "not_verified"
_VALUES = ("", str(Check.YES), str(Check.NO), str(Check.UNKNOWN), NOT_CHECKED)
_STATE = {value: n for n, value in enumerate(_VALUES)}


class Verification:
    def __init__(self, info: SnapshotInfo, deployment: str, zone: ZoneInfo) -> None:
        self.info = info
        self.deployment = deployment
        self.zone = zone
        self._states = bytearray()
        self._notes: dict[int, str] = {}

    async def run(
        self,
        db: StateDB,
        config: Config,
        credentials: tuple[str, Secret],
        staging_path: object,
        *,
        handle_signals: bool,
        hide_access_key: bool,
    ) -> None:
        """List again and check every succeeded row (a failed listing is noted, not raised)."""
        from pathlib import Path

        hints = Hints()
        agent = compare.agent_field(self.deployment)
        for row in db.checked_rows():
            when = row.body.get(APPOINT_TIME)
            hints.add(row.vdn, (str(row.body.get(agent, "")),), (int(when),) if when else ())
        try:
            self.info.verify_listing = await list_into(
                db,
                "checked",
                config,
                credentials,
                hints,
                staging_path=Path(str(staging_path)),
                stop=StopControl(),  # a verification that fails is not an abort of the run
                flag=CHANGED,
                handle_signals=handle_signals,
                hide_access_key=hide_access_key,
            )
        except ReschedulerError as exc:
            self.info.verify_error = str(exc)
        for row in db.checked_rows():
            if self.info.verify_error:
                self._mark(row.line, NOT_CHECKED)
                continue
            check, note = compare.check(row.body, row.current, self.deployment, self.zone)
            self.info.verified[check] += 1
            self._mark(row.line, str(check))
            if check is Check.NO:
                self._notes[row.line] = note

    def not_run(self, why: str) -> None:
        self.info.verify_error = why

    def _mark(self, line: int, value: str) -> None:
        if line >= len(self._states):
            self._states.extend(bytes(line + 4096 - len(self._states)))
        self._states[line] = _STATE[value]

    def amendment(self) -> Amendment:
        """The ``verified`` column (and, on ``no`` rows, ``error`` and ``error_code``)."""

        def changes(line: int) -> Mapping[str, str] | None:
            state = self._states[line] if line < len(self._states) else 0
            if state == 0:
                return None
            value = _VALUES[state]
            if value != Check.NO:
                return {VERIFIED: value}
            why = _("the server answered 0200000 but shows something else: {what}").format(
                what=self._notes.get(line, "")
            )
            return {VERIFIED: value, "error": why, "error_code": NOT_VERIFIED}

        return Amendment(VERIFIED, changes)
