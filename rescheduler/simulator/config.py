"""The simulator's settings: ``SimConfig``, and builders from plain keyword arguments.

``sim_config(...)`` and ``build_store(...)`` take the same flat values as the ``rescheduler
simulate`` flags, so any front end (click, a benchmark script, a test) can build a simulator
without knowing the dataclasses' shape.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from rescheduler.simulator.faults import FaultPlan
from rescheduler.simulator.store import Store

DEMO_ACCESS_KEY = "demo-ak"
DEMO_SECRET_KEY = "demo-secret-key"  # a published demo value, not a secret


class Deployment(StrEnum):
    """Which agent field the server requires (isales-api.md section 1)."""

    STANDARD = "standard"  # userAccount mandatory
    OP_INDEPENDENT = "op-independent"  # workNo mandatory

    @property
    def agent_field(self) -> str:
        return "workNo" if self is Deployment.OP_INDEPENDENT else "userAccount"


def _demo_credentials() -> dict[str, str]:
    return {DEMO_ACCESS_KEY: DEMO_SECRET_KEY}


@dataclass(frozen=True, slots=True)
class SimConfig:
    """Everything the simulator's behaviour depends on, except the reservations themselves.

    ``credentials`` maps access key -> secret key; it is left out of ``repr``. Length limits are
    not documented by Huawei: the defaults are this project's choice, over which the simulator
    answers 02000003. ``max_list_limit`` is the largest ``appoint/list`` page (above: 0200001);
    ``list_remark`` and ``list_work_no`` say whether list items carry those two fields (not
    documented [OPEN]); ``list_faults`` are the list call's own faults and latency (its rate
    limit is ``faults.rate_limit_per_s``, shared by every request). Two stand-ins for servers
    that differ from the reference: ``list_page_cap`` returns at most that many items per page
    without complaint (a silent cap), and ``list_total_count`` False leaves totalCount out.
    """

    credentials: Mapping[str, str] = field(default_factory=_demo_credentials, repr=False)
    deployment: Deployment = Deployment.STANDARD
    vdn_ids: frozenset[int] = frozenset({1})
    max_skew_s: float = 900.0
    max_appoint_id_len: int = 32
    max_remark_len: int = 200
    max_user_account_len: int = 32
    max_work_no_len: int = 32
    max_list_limit: int = 100
    faults: FaultPlan = field(default_factory=FaultPlan)
    list_remark: bool = True
    list_work_no: bool = False
    list_faults: FaultPlan = field(default_factory=FaultPlan)
    list_page_cap: int | None = None
    list_total_count: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "deployment", Deployment(self.deployment))
        object.__setattr__(self, "vdn_ids", frozenset(self.vdn_ids))
        if not self.credentials:
            raise ValueError("at least one access key is needed")
        if any(not ak or not sk for ak, sk in self.credentials.items()):
            raise ValueError("access keys and secret keys must not be empty")
        if not self.vdn_ids:
            raise ValueError("at least one vdnId is needed")
        bad = sorted(v for v in self.vdn_ids if not 1 <= v <= 9999)
        if bad:
            raise ValueError(f"vdnId must be in 1..9999, got {bad[0]}")
        if self.max_skew_s < 0:
            raise ValueError("max_skew_s must not be negative")
        for name in (
            "max_appoint_id_len",
            "max_remark_len",
            "max_user_account_len",
            "max_work_no_len",
            "max_list_limit",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        if self.list_page_cap is not None and self.list_page_cap < 1:
            raise ValueError("list_page_cap must be at least 1 (or None)")

    def describe(self) -> str:
        """``vdn 1, deployment standard, AK demo-ak`` (never the secret)."""
        vdns = ",".join(str(v) for v in sorted(self.vdn_ids))
        aks = ",".join(sorted(self.credentials))
        return f"vdn {vdns}, deployment {self.deployment}, AK {aks}"


def sim_config(
    *,
    access_key: str = DEMO_ACCESS_KEY,
    secret_key: str = DEMO_SECRET_KEY,
    deployment: str = "standard",
    vdn_ids: Iterable[int] = (1,),
    max_skew_s: float = 900.0,
    seed: int = 0,
    latency_ms: float = 0.0,
    latency_jitter_ms: float = 0.0,
    p_503: float = 0.0,
    p_500: float = 0.0,
    p_502: float = 0.0,
    p_504: float = 0.0,
    p_reset: float = 0.0,
    p_hang: float = 0.0,
    p_db_error: float = 0.0,
    p_too_fast: float = 0.0,
    rate_limit_per_s: float | None = None,
    retry_after_s: int = 1,
    hang_s: float = 3600.0,
    max_appoint_id_len: int = 32,
    max_remark_len: int = 200,
    max_user_account_len: int = 32,
    max_work_no_len: int = 32,
    max_list_limit: int = 100,
    list_remark: bool = True,
    list_work_no: bool = False,
    list_latency_ms: float = 0.0,
    list_latency_jitter_ms: float = 0.0,
    list_p_503: float = 0.0,
    list_p_500: float = 0.0,
    list_p_502: float = 0.0,
    list_p_504: float = 0.0,
    list_p_reset: float = 0.0,
    list_p_hang: float = 0.0,
    list_p_db_error: float = 0.0,
    list_p_too_fast: float = 0.0,
) -> SimConfig:
    """A ``SimConfig`` from flat values (one access key). Raises ``ValueError`` on bad values.

    ``list_*`` are the list call's own faults and latency, drawn like the update's (same seed,
    ``hang_s`` and ``retry_after_s``).
    """
    faults = FaultPlan(
        seed=seed,
        p_503=p_503,
        p_500=p_500,
        p_502=p_502,
        p_504=p_504,
        p_reset=p_reset,
        p_hang=p_hang,
        p_db_error=p_db_error,
        p_too_fast=p_too_fast,
        latency_ms=latency_ms,
        latency_jitter_ms=latency_jitter_ms,
        rate_limit_per_s=rate_limit_per_s,
        retry_after_s=retry_after_s,
        hang_s=hang_s,
    )
    list_faults = FaultPlan(
        seed=seed,
        p_503=list_p_503,
        p_500=list_p_500,
        p_502=list_p_502,
        p_504=list_p_504,
        p_reset=list_p_reset,
        p_hang=list_p_hang,
        p_db_error=list_p_db_error,
        p_too_fast=list_p_too_fast,
        latency_ms=list_latency_ms,
        latency_jitter_ms=list_latency_jitter_ms,
        retry_after_s=retry_after_s,
        hang_s=hang_s,
    )
    return SimConfig(
        credentials={access_key: secret_key},
        deployment=Deployment(deployment),
        vdn_ids=frozenset(vdn_ids),
        max_skew_s=max_skew_s,
        max_appoint_id_len=max_appoint_id_len,
        max_remark_len=max_remark_len,
        max_user_account_len=max_user_account_len,
        max_work_no_len=max_work_no_len,
        max_list_limit=max_list_limit,
        faults=faults,
        list_remark=list_remark,
        list_work_no=list_work_no,
        list_faults=list_faults,
    )


def build_store(
    *,
    reservations: int = 10_000,
    seed: int = 0,
    from_file: str | Path | None = None,
    automatic_ratio: float = 0.0,
    accept_any: bool = False,
    first_time_ms: int | None = None,
) -> Store:
    """The reservations to serve: loaded from ``from_file`` if given, else generated
    (``first_time_ms``: the first generated appointTime, default 2025-06-06T10:00:00Z)."""
    if from_file is not None:
        return Store.from_file(from_file, accept_any=accept_any)
    if first_time_ms is None:
        return Store.generate(reservations, seed, automatic_ratio, accept_any=accept_any)
    return Store.generate(
        reservations, seed, automatic_ratio, accept_any=accept_any, first_time_ms=first_time_ms
    )
