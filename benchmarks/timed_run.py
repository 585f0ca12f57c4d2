"""``rescheduler`` with each request's latency recorded, for bench.py.

    python benchmarks/timed_run.py LATENCY_FILE run INPUT -c CONFIG ...

Exactly ``python -m rescheduler ...``, except that ``Transport.send`` (sign, POST, read and
classify the answer: the same span bare.py times) is wrapped to record each attempt's duration
in seconds; at exit the durations are written to LATENCY_FILE as native doubles. The engine's
code is not touched: the wrapper lives here and costs two clock reads and an append per request.
With ``BENCH_STARTS_FILE`` set (the rate scenario), each attempt's start time
(``time.perf_counter``) is also written there, the same way.
"""

from __future__ import annotations

import atexit
import os
import sys
import time
from array import array
from pathlib import Path


def main() -> None:
    if len(sys.argv) < 3:
        sys.exit("usage: timed_run.py LATENCY_FILE RESCHEDULER_ARGS...")
    out, args = Path(sys.argv[1]), sys.argv[2:]

    from rescheduler.models import Outcome, WireRequest
    from rescheduler.send.transport import Transport

    latencies: array[float] = array("d")
    starts: array[float] = array("d")
    starts_file = os.environ.get("BENCH_STARTS_FILE")
    original = Transport.send
    clock = time.perf_counter

    async def timed_send(self: Transport, wire: WireRequest) -> Outcome:
        started = clock()
        try:
            return await original(self, wire)
        finally:
            latencies.append(clock() - started)

    async def timed_send_with_start(self: Transport, wire: WireRequest) -> Outcome:
        started = clock()
        starts.append(started)
        try:
            return await original(self, wire)
        finally:
            latencies.append(clock() - started)

    wrapper = timed_send_with_start if starts_file else timed_send
    Transport.send = wrapper  # type: ignore[method-assign]
    atexit.register(lambda: out.write_bytes(latencies.tobytes()))
    if starts_file:
        atexit.register(lambda: Path(starts_file).write_bytes(starts.tobytes()))

    from rescheduler.cli import cli

    cli.main(args=args, prog_name="rescheduler")


if __name__ == "__main__":
    main()
