"""Pure: which listing finds the reservations a file is about to change (no I/O).

``appoint/list`` cannot be asked for appointIds, only for agents (``userAccountList``), a time
window, a task or a called number. The snapshot therefore asks first for a listing *filtered by
what the file says about where its reservations are now*, and lists the whole VDN only for the
rows that listing did not find (``snapshot``). ``Hints`` gathers, per VDN, while the file is
read:

* the agents: each row's agent as it will be sent, and the ``listed_userAccount`` /
  ``listed_workNo`` cell an export wrote when ``--set`` changed the agent (the agent it has now);
* the time window: each row's appointTime as it will be sent, and ``listed_appointTime`` (the
  time before a ``--shift``/``--move-to-date``). A row that leaves appointTime unchanged says
  nothing about its time, so then there is no window.

A file written by ``export`` (changed or not) thus gets a listing of about its own size. A file
written by hand that moves reservations away from their current agents gets a filtered listing
that finds few of them, then the whole VDN. More than ``MAX_AGENTS`` agents on one VDN drop the
agent filter (the window may remain).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rescheduler.state.listing import ListFilter

MAX_AGENTS = 500


@dataclass
class _Vdn:
    agents: set[str] | None = field(default_factory=set)  # None: too many to filter on
    begin: int | None = None
    end: int | None = None
    untimed: bool = False  # some row gives no time: no window
    rows: int = 0


@dataclass
class Hints:
    max_agents: int = MAX_AGENTS
    _vdns: dict[int, _Vdn] = field(default_factory=dict)

    def add(self, vdn: int, agents: tuple[str, ...], times: tuple[int, ...]) -> None:
        """One row: the agents it names and the times it names (both may be empty)."""
        hint = self._vdns.get(vdn)
        if hint is None:
            hint = self._vdns[vdn] = _Vdn()
        hint.rows += 1
        if hint.agents is not None:
            hint.agents.update(a for a in agents if a)
            if len(hint.agents) > self.max_agents:
                hint.agents = None
        if not times:
            hint.untimed = True
            return
        low, high = min(times), max(times)
        hint.begin = low if hint.begin is None else min(hint.begin, low)
        hint.end = high if hint.end is None else max(hint.end, high)

    @property
    def vdns(self) -> list[int]:
        return sorted(self._vdns)

    def rows(self, vdn: int) -> int:
        return self._vdns[vdn].rows if vdn in self._vdns else 0

    def query(self, vdn: int) -> ListFilter | None:
        """The filtered listing for ``vdn``, or None when the file gives nothing to filter on."""
        hint = self._vdns.get(vdn)
        if hint is None:
            return None
        agents = tuple(sorted(hint.agents)) if hint.agents else ()
        timed = not hint.untimed and hint.begin is not None
        if not agents and not timed:
            return None
        return ListFilter(
            agents=agents,
            begin_ms=hint.begin if timed else None,
            end_ms=hint.end if timed else None,
        )
