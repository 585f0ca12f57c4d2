"""``rescheduler simulate``: serve the CC-iSales simulator (a ``click.Command`` for the group).

Thin: flags -> ``sim_config`` / ``build_store`` -> ``serve_forever``. The secret key comes from
``--secret-key-env NAME`` (an environment variable) or ``--secret-key`` (visible to other local
users in the process list; fine for the demo value), else the demo secret.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from rescheduler.simulator.config import DEMO_ACCESS_KEY, DEMO_SECRET_KEY, build_store, sim_config

FC = TypeVar("FC", bound=Callable[..., object])


class _ServeError(click.ClickException):
    """The server could not start as configured (exit 2, like other configuration errors)."""

    exit_code = 2


def _secret(secret_key: str | None, secret_key_env: str | None) -> str:
    if secret_key is not None and secret_key_env is not None:
        raise click.UsageError("give --secret-key or --secret-key-env, not both")
    if secret_key_env is not None:
        value = os.environ.get(secret_key_env)
        if not value:
            raise click.UsageError(f"environment variable {secret_key_env} is not set or empty")
        return value
    return secret_key if secret_key is not None else DEMO_SECRET_KEY


def _p(name: str) -> Callable[[FC], FC]:
    listing = name.startswith("list_")
    fault = name.removeprefix("list_")[2:].replace("_", " ")
    return click.option(
        f"--{name.replace('_', '-')}",
        name,
        type=click.FloatRange(0.0, 1.0),
        default=0.0,
        help=f"Share of {'list' if listing else 'update'} requests answered with the "
        f"{fault} fault.",
    )


@click.command("simulate", short_help="Serve a local CC-iSales simulator.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8080,
    show_default=True,
    help="Port to listen on (0 = any free port).",
)
@click.option(
    "--seed",
    type=int,
    default=0,
    show_default=True,
    help="Seed for generated reservations and fault decisions.",
)
@click.option(
    "--reservations",
    type=click.IntRange(0),
    default=10_000,
    show_default=True,
    help="How many reservations to generate (ignored with --from-file).",
)
@click.option(
    "--from-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Load reservations from a JSON list or a CSV file instead.",
)
@click.option(
    "--automatic-ratio",
    type=click.FloatRange(0.0, 1.0),
    default=0.0,
    help="Share of generated reservations that are automatic (callType 2).",
)
@click.option(
    "--accept-any",
    is_flag=True,
    help="Treat any well-formed unknown appointId as an existing manual reservation.",
)
@click.option(
    "--deployment",
    type=click.Choice(["standard", "op-independent"]),
    default="standard",
    show_default=True,
    help="standard: userAccount mandatory; op-independent: workNo mandatory.",
)
@click.option(
    "--vdn",
    type=click.IntRange(1, 9999),
    multiple=True,
    help="A vdnId to serve (repeatable; default 1).",
)
@click.option(
    "--access-key", default=DEMO_ACCESS_KEY, show_default=True, help="The access key (AK) accepted."
)
@click.option("--secret-key", help="The secret key (SK); default the demo secret.")
@click.option(
    "--secret-key-env",
    metavar="NAME",
    help="Read the secret key from this environment variable instead.",
)
@click.option(
    "--max-skew-s",
    type=click.FloatRange(0.0),
    default=900.0,
    show_default=True,
    help="Accepted clock skew of the signature timestamp, in seconds.",
)
@click.option(
    "--latency-ms", type=click.FloatRange(0.0), default=0.0, help="Latency added to every update."
)
@click.option(
    "--latency-jitter-ms",
    type=click.FloatRange(0.0),
    default=0.0,
    help="Extra latency per update, uniform in 0..this (deterministic).",
)
@_p("p_503")
@_p("p_500")
@_p("p_502")
@_p("p_504")
@_p("p_reset")
@_p("p_hang")
@_p("p_db_error")
@_p("p_too_fast")
@click.option(
    "--rate-limit",
    "rate_limit_per_s",
    type=click.FloatRange(0.0, min_open=True),
    help="Answer HTTP 429 above this many requests per second (per process).",
)
@click.option(
    "--retry-after-s",
    type=click.IntRange(0),
    default=1,
    show_default=True,
    help="The Retry-After value sent with 429, in seconds.",
)
@click.option(
    "--hang-s",
    type=click.FloatRange(0.0),
    default=3600.0,
    show_default=True,
    help="How long a hang fault holds a request before resetting it.",
)
@click.option(
    "--first-time",
    "first_time_ms",
    type=click.IntRange(0),
    help="appointTime of the first generated reservation, epoch ms (default 1749204000000).",
)
@click.option(
    "--max-list-limit",
    type=click.IntRange(1),
    default=100,
    show_default=True,
    help="Largest appoint/list page; a larger limit is answered 0200001.",
)
@click.option(
    "--list-remark/--no-list-remark",
    default=True,
    show_default=True,
    help="Whether appoint/list items carry remark (not documented).",
)
@click.option(
    "--list-work-no", is_flag=True, help="appoint/list items also carry workNo (not documented)."
)
@click.option(
    "--list-latency-ms",
    type=click.FloatRange(0.0),
    default=0.0,
    help="Latency added to every list request.",
)
@click.option(
    "--list-latency-jitter-ms",
    type=click.FloatRange(0.0),
    default=0.0,
    help="Extra latency per list request, uniform in 0..this (deterministic).",
)
@_p("list_p_503")
@_p("list_p_500")
@_p("list_p_502")
@_p("list_p_504")
@_p("list_p_reset")
@_p("list_p_hang")
@_p("list_p_db_error")
@_p("list_p_too_fast")
@click.option(
    "--processes",
    type=click.IntRange(1),
    default=1,
    show_default=True,
    help="Worker processes sharing the port (SO_REUSEPORT; counts are per process).",
)
def simulate_command(
    *,
    host: str,
    port: int,
    seed: int,
    reservations: int,
    from_file: Path | None,
    automatic_ratio: float,
    accept_any: bool,
    vdn: tuple[int, ...],
    secret_key: str | None,
    secret_key_env: str | None,
    first_time_ms: int | None,
    processes: int,
    **knobs: Any,
) -> None:
    """Serve a local CC-iSales simulator until Ctrl-C (SIGINT) or SIGTERM.

    It answers the appoint/update and appoint/list calls like a CC-iSales server, checks the
    auth-v2 signature, and can inject faults, latency and a rate limit (the --list-* flags
    apply to appoint/list). GET /_sim/stats shows what it saw.
    """
    from rescheduler.simulator.server import serve_forever

    secret = _secret(secret_key, secret_key_env)
    try:
        config = sim_config(  # knobs: every other flag, named as sim_config's keywords
            secret_key=secret, vdn_ids=vdn or (1,), seed=seed, **knobs
        )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    try:
        store = build_store(
            reservations=reservations,
            seed=seed,
            from_file=from_file,
            automatic_ratio=automatic_ratio,
            accept_any=accept_any,
            first_time_ms=first_time_ms,
        )
    except (OSError, ValueError) as exc:
        raise click.BadParameter(str(exc), param_hint="--from-file") from exc
    try:
        serve_forever(config, store, host, port, processes)
    except OSError as exc:
        raise _ServeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    except ValueError as exc:
        raise _ServeError(str(exc)) from exc
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from exc
