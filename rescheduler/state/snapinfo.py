"""What the snapshot around a run did, for the summary, the run record and the exit code (pure)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rescheduler.i18n import _
from rescheduler.state.compare import Check, Verdict
from rescheduler.state.snapshot import Listing

NOT_CHECKED = "not_checked"  # the verified value of rows when the verification listing failed


@dataclass
class SnapshotInfo:
    """``problems`` makes the exit code 1: with ``plan``, rows not found on the server; with
    ``--verify``, rows the server does not show as sent, or a verification that failed."""

    plan: bool = False
    rows: int = 0  # rows the run would send
    listing: Listing | None = None
    verdicts: Counter[str] = field(default_factory=Counter)
    before_path: Path | None = None
    undo_path: Path | None = None
    undo_rows: int = 0  # rows that put something back
    undo_held: int = 0  # rows listed with the reason they cannot be put back
    undo_partial: int = 0  # rows of undo_rows that leave some changed field as it is (note)
    undo_kept: Path | None = None  # where an earlier run's undo file was kept (not replaced)
    verify: bool = False
    verify_listing: Listing | None = None
    verified: Counter[str] = field(default_factory=Counter)
    verify_error: str = ""

    @property
    def problems(self) -> int:
        if self.plan:
            return self.verdicts[Verdict.NOT_FOUND]
        if not self.verify:
            return 0
        return self.verified[Check.NO] + (1 if self.verify_error else 0)

    def record(self) -> dict[str, Any]:
        """The run record's ``snapshot`` section."""
        listing = self.listing
        out: dict[str, Any] = {
            "rows": self.rows,
            "requests": listing.requests if listing else 0,
            "listed": listing.items if listing else 0,
            "seconds": round(listing.seconds, 3) if listing else 0.0,
            "whole_vdn": list(listing.whole) if listing else [],
            "verdicts": {str(v): self.verdicts[v] for v in Verdict if self.verdicts[v]},
        }
        if not self.plan:
            out["undo_rows"] = self.undo_rows
            out["undo_held"] = self.undo_held
            if self.undo_partial:
                out["undo_partial"] = self.undo_partial
        if self.verify:
            out["verified"] = {str(c): self.verified[c] for c in Check if self.verified[c]}
            if self.verify_listing is not None:
                out["verify_requests"] = self.verify_listing.requests
            if self.verify_error:
                out["verify_error"] = self.verify_error
        return out


def side_path(results: Path, kind: str) -> Path:
    """``changes.results.csv`` -> ``changes.<kind>.csv`` (the results suffix, as the errors
    file); ``changes.plan.csv`` -> ``changes.plan.<kind>.csv``."""
    stem = results.stem
    if stem.lower().endswith(".results"):
        stem = stem[: -len(".results")]
    return results.with_name(f"{stem}.{kind}{results.suffix or '.csv'}")


def summary_lines(info: SnapshotInfo | None, *, dry_run: bool) -> list[str]:
    """The summary's lines about the snapshot (``None``: there was none)."""
    if info is None:
        return [] if dry_run else [_("no undo file (--no-snapshot: nothing was read first)")]
    lines: list[str] = []
    listing = info.listing
    if listing is not None:
        parts = []
        if listing.filtered:
            parts.append(_("filtered, VDN {vdns}").format(vdns=_join(listing.filtered)))
        if listing.whole:
            parts.append(_("whole VDN {vdns}").format(vdns=_join(listing.whole)))
        lines.append(
            _("snapshot: {rows} rows to send; {items} reservations listed in {requests} "
              "requests, {seconds} s ({how})").format(
                rows=info.rows, items=listing.items, requests=listing.requests,
                seconds=f"{listing.seconds:.1f}", how=_("; ").join(parts) or _("nothing to list"),
            )
        )  # fmt: skip
        if listing.incomplete:
            lines.append(_("  the listing changed while it was read: a row may show as not listed"))
    v = info.verdicts
    if listing is None:
        return lines
    lines.append(
        _("  will change {change}, already so {same}, not listed {missing}, automatic "
          "{automatic}, expired {expired}").format(
            change=v[Verdict.WILL_CHANGE], same=v[Verdict.ALREADY_SO],
            missing=v[Verdict.NOT_FOUND], automatic=v[Verdict.AUTOMATIC],
            expired=v[Verdict.EXPIRED],
        )
    )  # fmt: skip
    if info.before_path is not None and info.before_path.exists():
        lines.append(_("before:  {path}").format(path=info.before_path))
    lines += _undo_lines(info)
    if info.verify:
        if info.verify_error:
            lines.append(_("NOT VERIFIED: {reason}").format(reason=info.verify_error))
        else:
            c = info.verified
            lines.append(
                _("verified: {yes} yes, {no} no (the server shows something else: see the "
                  "verified column), {unknown} cannot be checked").format(
                    yes=c[Check.YES], no=c[Check.NO], unknown=c[Check.UNKNOWN]
                )
            )  # fmt: skip
    return lines


def _join(vdns: list[int]) -> str:
    return ", ".join(str(v) for v in vdns)


def _undo_lines(info: SnapshotInfo) -> list[str]:
    """What the summary says of the undo file."""
    if info.undo_path is None or not info.undo_rows:
        if info.undo_held:
            return [
                _("no undo file: none of the {rows} rows this run changed can be put back (their "
                  "earlier values are not known: see their before_* columns)").format(
                    rows=info.undo_held
                )
            ]  # fmt: skip
        if info.plan:
            return []
        lines = [_("no undo file: this run changed nothing on the server")]
        if info.undo_path is not None and info.undo_path.exists():  # an earlier run's: kept
            lines.append(
                _("  {path} is an earlier run's undo file, left as it was: it puts back what "
                  "that run changed, not this one").format(path=info.undo_path)
            )  # fmt: skip
        return lines
    if info.undo_partial:
        lines = [
            _("undo:    {path} ({rows} rows put back, {partial} of them only in part; {held} "
              "cannot be; see its note column)").format(
                path=info.undo_path, rows=info.undo_rows, partial=info.undo_partial,
                held=info.undo_held,
            )
        ]  # fmt: skip
    else:
        lines = [
            _("undo:    {path} ({rows} rows put back; {held} cannot be, see its note "
              "column)").format(path=info.undo_path, rows=info.undo_rows, held=info.undo_held)
        ]  # fmt: skip
    if info.undo_kept is not None:
        lines.append(
            _("  the earlier undo file was kept as {kept}: it puts back what an earlier run of "
              "this file changed").format(kept=info.undo_kept)
        )  # fmt: skip
    return lines
