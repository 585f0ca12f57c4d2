"""A small team's reservations on the simulator, in Asia/Shanghai: the store the export and
snapshot end-to-end tests share, with the helpers to write times and read the store back."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from rescheduler.read.times import parse_appoint_time
from rescheduler.simulator.store import AUTOMATIC, MANUAL, Reservation, Store
from rescheduler.state.wall import format_wall
from tests.e2e import write_config
from tests.simthread import SimHandle

ZONE = ZoneInfo("Asia/Shanghai")


def at(text: str) -> int:
    return parse_appoint_time(text, ZONE)


def team() -> Store:
    """li.na: three on Jan 1 (one automatic), one on Jan 2; zhao.lei: one on Jan 1; one expired."""
    return Store(
        [
            Reservation("901", MANUAL, "li.na", "", at("2031-01-01 09:00"), "call back",
                        task_id="t1", called_no="13900000001", user_name="Li Na"),
            Reservation("902", MANUAL, "li.na", "", at("2031-01-01 14:30"), "", task_id="t1"),
            Reservation("903", AUTOMATIC, "li.na", "", at("2031-01-01 16:00"), "", task_id="t2"),
            Reservation("904", MANUAL, "li.na", "", at("2031-01-02 10:00"), "", task_id="t1"),
            Reservation("905", MANUAL, "zhao.lei", "", at("2031-01-01 11:00"), "", task_id="t1"),
            Reservation("906", MANUAL, "zhao.lei", "", at("2031-01-01 12:00"), "", timeout=True),
        ]
    )  # fmt: skip


def config_for(tmp_path: Path, sim: SimHandle, **send: object) -> str:
    return str(write_config(tmp_path / "site.toml", sim.base_url, **send))


def state(store: Store) -> dict[str, tuple[str, str, str]]:
    return {
        r.appoint_id: (r.user_account, format_wall(r.appoint_time_ms, ZONE), r.remark)
        for r in store
    }
