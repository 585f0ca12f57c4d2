"""Helpers for end-to-end tests: inputs, configs and CLI invocations against the simulator."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from rescheduler.cli import cli
from rescheduler.simulator.config import SimConfig, sim_config
from rescheduler.simulator.store import Reservation, Store
from tests.simthread import SimHandle, simulator_thread

AK = "test-ak"
SK = "test-secret-key-do-not-log"
FUTURE = "2031-03-04 09:30"
HEADERS = ("appointId", "userAccount", "workNo", "appointTime", "remark")


def appoint_id(n: int) -> str:
    return f"9{n:029d}"


def store_of(count: int, *, automatic: Sequence[int] = ()) -> Store:
    return Store(
        Reservation(appoint_id=appoint_id(n), call_type=2 if n in automatic else 1)
        for n in range(1, count + 1)
    )


def write_csv(path: Path, rows: Sequence[Sequence[str]], headers: Sequence[str] = HEADERS) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(headers)
        writer.writerows(rows)
    return path


def simple_rows(count: int, start: int = 1) -> list[list[str]]:
    return [
        [appoint_id(n), f"agent{n % 7}", "", FUTURE, f"remark {n}"]
        for n in range(start, start + count)
    ]


def write_config(path: Path, base_url: str, **send: object) -> Path:
    lines = [
        "[server]",
        f'base_url = "{base_url}"',
        "vdn_id = 1",
        'deployment = "standard"',
        f"timeout_s = {send.pop('timeout_s', 5)}",
        "[auth]",
        f'access_key = "{send.pop("access_key", AK)}"',
        "[send]",
        "backoff_base_s = 0.01",
        "backoff_cap_s = 0.05",
    ]
    for key, value in send.items():
        lines.append(f"{key} = {value!r}" if not isinstance(value, str) else f'{key} = "{value}"')
    # The tests' fixed dates (2030, 2031) lie years ahead: widen the horizon for them.
    lines += ["[input]", 'timezone = "Asia/Shanghai"', "max_days_ahead = 3660"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def read_results(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def by_line(rows: list[dict[str, str]]) -> dict[int, dict[str, str]]:
    out: dict[int, dict[str, str]] = {}
    for row in rows:
        line = int(row["line"])
        assert line not in out, f"line {line} appears twice"
        out[line] = row
    return out


def invoke(*args: str, secret: str | None = SK) -> Result:
    env = {"RESCHEDULER_SECRET_KEY": secret} if secret is not None else {}
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def sim(**knobs: object) -> SimConfig:
    return sim_config(access_key=AK, secret_key=SK, **knobs)  # type: ignore[arg-type]


@contextmanager
def serving(store: Store, **knobs: object) -> Iterator[SimHandle]:
    with simulator_thread(sim(**knobs), store) as handle:
        yield handle


def spawn(*args: str, secret: str | None = SK, **popen: Any) -> subprocess.Popen[bytes]:
    """``python -m rescheduler ARGS`` as a real process (signals, limits, a second process)."""
    env = {**os.environ, "RESCHEDULER_SECRET_KEY": secret} if secret else dict(os.environ)
    if not secret:
        env.pop("RESCHEDULER_SECRET_KEY", None)
    return subprocess.Popen(
        [sys.executable, "-m", "rescheduler", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        **popen,
    )


def wait_until(condition: Callable[[], bool], timeout: float = 20) -> None:
    """Poll ``condition`` until it holds (a safety deadline, not a timing assertion)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.01)
