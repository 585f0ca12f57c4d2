"""``rescheduler demo``: the bundled sample against the built-in simulator, all on loopback.

The simulator is seeded with the sample's reservations (one of them an automatic-call
reservation, which the server refuses to modify) and injects a few transient 503s so the
retries show in the report. Nothing leaves this machine.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import click

from rescheduler.config import AuthConfig, Config, InputConfig, Secret, SendConfig, ServerConfig
from rescheduler.i18n import _

DEMO_SEED = 16  # with the sample, three rows meet a 503 and are retried (one of them twice)


def samples_dir() -> Path:
    """The bundled samples: inside an installed wheel, or at the top of a source checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "samples", here.parent / "samples"):
        if (candidate / "changes.csv").is_file():
            return candidate
    raise FileNotFoundError("the bundled samples are missing from this installation")


def _prepare(workdir: Path, xlsx: bool) -> Path:
    """Copy the sample into ``workdir`` so the results land beside it, not in the package."""
    workdir.mkdir(parents=True, exist_ok=True)
    name = "changes.xlsx" if xlsx else "changes.csv"
    input_path = workdir / name
    shutil.copyfile(samples_dir() / name, input_path)
    return input_path


async def _demo(input_path: Path, xlsx: bool) -> int:
    from rescheduler.console import format_run
    from rescheduler.engine import run
    from rescheduler.job import Job
    from rescheduler.simulator.config import DEMO_ACCESS_KEY, DEMO_SECRET_KEY, sim_config
    from rescheduler.simulator.server import running_simulator
    from rescheduler.simulator.store import Store

    store = Store.from_file(samples_dir() / "reservations.json")
    simulator = sim_config(seed=DEMO_SEED, p_503=0.15, latency_ms=20, latency_jitter_ms=30)
    async with running_simulator(simulator, store, host="127.0.0.1", port=0) as sim:
        click.echo(
            _("simulator: CC-iSales on {url} (AK {key})").format(
                url=sim.base_url, key=DEMO_ACCESS_KEY
            ),
            err=True,
        )
        config = Config(
            server=ServerConfig(base_url=sim.base_url, vdn_id=1, deployment="standard"),
            auth=AuthConfig(
                access_key=DEMO_ACCESS_KEY, secret_key=Secret(DEMO_SECRET_KEY), secret_source="demo"
            ),
            send=SendConfig(concurrency=4, rate_per_s=0, max_attempts=4, backoff_base_s=0.05),
            # The sample's dates (January 2030) lie years ahead of the default horizon.
            input=InputConfig(timezone="Asia/Shanghai", max_days_ahead=3660),
        )
        out = input_path.with_name("changes.results.xlsx" if xlsx else "changes.results.csv")
        job = Job(
            input_path=input_path, config=config, out_path=out, handle_signals=True, snapshot=True
        )
        result = await run(job)
        applied = store.total_updates
    click.echo(format_run(result), err=True)
    click.echo(
        "\n"
        + _(
            "The simulator applied {n} updates. Open {results} to see every row's outcome, "
            "and {errors} for the rows to fix."
        ).format(n=applied, results=result.results_path, errors=result.errors_path),
        err=True,
    )
    return 0 if result.aborted is None else result.exit_code


def run_demo(workdir: Path, *, xlsx: bool = False) -> int:
    import anyio

    return anyio.run(_demo, _prepare(workdir, xlsx), xlsx)
