"""``rescheduler simulate``'s flags reach ``sim_config`` as its keywords (the command passes
most of them through by name, which mypy cannot check)."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner

from rescheduler.simulator import server
from rescheduler.simulator.cli import simulate_command
from rescheduler.simulator.config import DEMO_SECRET_KEY, sim_config


def test_every_flag_reaches_the_simulator_config(monkeypatch: pytest.MonkeyPatch) -> None:
    served: dict[str, Any] = {}

    def serve(config: Any, store: Any, host: str, port: int, processes: int) -> None:
        served.update(config=config, host=host, port=port, processes=processes)

    monkeypatch.setattr(server, "serve_forever", serve)
    knobs: dict[str, Any] = {
        "access_key": "AK-X",
        "deployment": "op-independent",
        "max_skew_s": 10.0,
        "latency_ms": 3.0,
        "latency_jitter_ms": 2.0,
        "rate_limit_per_s": 7.0,
        "retry_after_s": 4,
        "hang_s": 2.0,
        "max_list_limit": 50,
        "list_remark": False,
        "list_work_no": True,
        "list_latency_ms": 1.0,
        "list_latency_jitter_ms": 1.5,
    }
    faults = ("503", "500", "502", "504", "reset", "hang", "db_error", "too_fast")
    for n, fault in enumerate(faults):
        knobs[f"p_{fault}"] = (n + 1) / 1000
        knobs[f"list_p_{fault}"] = (n + 11) / 1000
    args = ["--vdn", "3", "--seed", "9", "--reservations", "5", "--port", "0", "--processes", "2"]
    for name, value in knobs.items():
        flag = "--" + ("rate-limit" if name == "rate_limit_per_s" else name.replace("_", "-"))
        if value is True:
            args.append(flag)
        elif value is False:
            args.append(flag.replace("--", "--no-", 1))
        else:
            args += [flag, str(value)]

    result = CliRunner().invoke(simulate_command, args)

    assert result.exit_code == 0, result.output
    want = sim_config(secret_key=DEMO_SECRET_KEY, vdn_ids=(3,), seed=9, **knobs)
    assert served == {"config": want, "host": "127.0.0.1", "port": 0, "processes": 2}
