"""Serving: the in-process context manager, and ``rescheduler simulate`` as a real process."""

from __future__ import annotations

import re
import signal
import sys
from pathlib import Path

import aiohttp
import anyio
import pytest
from anyio.abc import Process

from rescheduler.simulator.config import SimConfig
from rescheduler.simulator.server import ready_line, running_simulator
from rescheduler.simulator.store import Store, generated_id
from tests.simclient import SUCCESS, Client

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parent.parent
LAUNCH = "from rescheduler.simulator.cli import simulate_command; simulate_command()"


async def test_running_simulator_serves_then_closes_its_port() -> None:
    store = Store.generate(3, seed=2)
    async with running_simulator(SimConfig(), store) as sim:
        assert sim.base_url == f"http://127.0.0.1:{sim.port}"
        assert sim.store is store
        async with aiohttp.ClientSession() as session:
            answer = await Client(session, sim.host, sim.port).update(generated_id(2, 2))
        assert answer.body == SUCCESS
        assert sim.stats.total_requests == 1
    with pytest.raises(OSError, match="All connection attempts failed"):
        await anyio.connect_tcp("127.0.0.1", sim.port)


def test_ready_line_names_the_server_but_not_the_secret() -> None:
    config = SimConfig(credentials={"my-ak": "my-secret"}, vdn_ids=frozenset({2, 1}))
    assert ready_line(config, "0.0.0.0", 8080) == (
        "serving CC-iSales simulator on http://0.0.0.0:8080 "
        "(vdn 1,2, deployment standard, AK my-ak)"
    )
    assert ready_line(SimConfig(), "::1", 9, processes=3) == (
        "serving CC-iSales simulator on http://[::1]:9 "
        "(vdn 1, deployment standard, AK demo-ak, 3 processes)"
    )


async def _read_line(process: Process) -> str:
    assert process.stdout is not None
    data = b""
    with anyio.fail_after(15):
        while not data.endswith(b"\n"):
            data += await process.stdout.receive(1)
    return data.decode()


async def _pid(session: aiohttp.ClientSession, base_url: str) -> int:
    # A new connection each time, so SO_REUSEPORT can pick any worker.
    async with session.get(f"{base_url}/_sim/stats", headers={"Connection": "close"}) as r:
        pid: int = (await r.json())["pid"]
        return pid


@pytest.mark.skipif(sys.platform == "win32", reason="needs fork and SO_REUSEPORT")
@pytest.mark.parametrize("processes", [1, 2])
async def test_simulate_command_serves_until_sigterm(processes: int) -> None:
    command = [sys.executable, "-c", LAUNCH, "--port", "0", "--reservations", "5", "--seed", "4"]
    command += ["--processes", str(processes)]
    async with await anyio.open_process(command, cwd=ROOT) as process:
        try:
            line = await _read_line(process)
            match = re.fullmatch(
                r"serving CC-iSales simulator on (http://127\.0\.0\.1:(\d+)) "
                r"\(vdn 1, deployment standard, AK demo-ak(, 2 processes)?\)\n",
                line,
            )
            assert match is not None, line
            base_url, port = match[1], int(match[2])
            async with aiohttp.ClientSession() as session:
                pids = {await _pid(session, base_url) for _ in range(24)}
                answer = await Client(session, "127.0.0.1", port).update(generated_id(4, 4))
            assert answer.body == SUCCESS
            assert len(pids) == processes
            assert process.pid not in pids or processes == 1
        finally:
            process.send_signal(signal.SIGTERM)
            with anyio.fail_after(10):
                code = await process.wait()
        assert process.stderr is not None
        errors = b"".join([chunk async for chunk in process.stderr])
    assert (code, errors) == (0, b"")
