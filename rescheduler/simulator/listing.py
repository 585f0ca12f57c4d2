"""The simulator's ``appoint/list`` answer set: the reservations matching a query's filters,
ordered by (appointTime, appointId), cached until the store changes (``Store.version``).
"""

from __future__ import annotations

from rescheduler.simulator.store import Reservation, Store
from rescheduler.simulator.validation import ListQuery


class Listings:
    """A few filtered, ordered listings of one store, dropped whenever the store changes."""

    def __init__(self) -> None:
        self._listings: dict[tuple[object, ...], list[Reservation]] = {}
        self._listings_version = -1

    def find(self, store: Store, query: ListQuery, agent_id: bool) -> list[Reservation]:
        """The reservations matching ``query``'s filters, in list order (cached until a change)."""
        if self._listings_version != store.version:
            self._listings.clear()
            self._listings_version = store.version
        key = query.filters()
        found = self._listings.get(key)
        if found is None:
            found = sorted(
                (r for r in store if _matches(r, query, agent_id)),
                key=lambda r: (r.appoint_time_ms, r.appoint_id),
            )
            if len(self._listings) >= 16:
                self._listings.clear()
            self._listings[key] = found
        return found


def _matches(r: Reservation, query: ListQuery, agent_id: bool) -> bool:
    """Whether ``r`` passes every filter of ``query`` (the time window bounds appointTime)."""
    agent = r.work_no if agent_id else r.user_account
    if query.user_accounts is not None and agent not in query.user_accounts:
        return False
    if query.begin_ms is not None and r.appoint_time_ms < query.begin_ms:
        return False
    if query.end_ms is not None and r.appoint_time_ms > query.end_ms:
        return False
    if query.called_no is not None and r.called_no != query.called_no:
        return False
    return query.task_id is None or r.task_id == query.task_id

