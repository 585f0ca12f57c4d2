"""A local CC-iSales simulator for the ``appoint`` API: tests, ``rescheduler demo``, rehearsals.

Modules, one job each::

    config      SimConfig, Deployment, sim_config(...), build_store(...)
    store       Reservation, Store, generated_id(i, seed)
    storefile   reservations from a JSON or CSV file (Store.from_file)
    faults      FaultPlan, decide(plan, appointId, attempt), RateLimiter
    validation  the body rules and result codes (pure)
    stats       request counters behind GET /_sim/stats
    listing     a list call's matching reservations, ordered and cached
    app         make_app(config, store) -> aiohttp.web.Application
    server      running_simulator(...), start_simulator(...), serve_forever(...)
    cli         simulate_command (the ``rescheduler simulate`` click command)

The names below are importable from this package; aiohttp loads only when ``make_app`` or a
server function is first used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rescheduler.simulator.app import make_app
    from rescheduler.simulator.config import Deployment, SimConfig, build_store, sim_config
    from rescheduler.simulator.faults import FaultKind, FaultPlan
    from rescheduler.simulator.server import (
        RunningSimulator,
        running_simulator,
        serve_forever,
        start_simulator,
    )
    from rescheduler.simulator.store import Reservation, Store, generated_id

_WHERE = {
    "make_app": "app",
    "Deployment": "config",
    "SimConfig": "config",
    "build_store": "config",
    "sim_config": "config",
    "FaultKind": "faults",
    "FaultPlan": "faults",
    "RunningSimulator": "server",
    "running_simulator": "server",
    "serve_forever": "server",
    "start_simulator": "server",
    "Reservation": "store",
    "Store": "store",
    "generated_id": "store",
}

__all__ = [
    "Deployment",
    "FaultKind",
    "FaultPlan",
    "Reservation",
    "RunningSimulator",
    "SimConfig",
    "Store",
    "build_store",
    "generated_id",
    "make_app",
    "running_simulator",
    "serve_forever",
    "sim_config",
    "start_simulator",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
