"""``rescheduler`` with each request's latency recorded, for bench.py.

    python benchmarks/timed_run.py LATENCY_FILE run INPUT -c CONFIG ...

Exactly ``python -m rescheduler ...``, except that ``Transport.send`` (sign, POST, read and
classify the answer: the same span bare.py times) is wrapped to record each attempt's duration
in seconds; at exit the durations are written to LATENCY_FILE as native doubles. The engine's
code is not touched: the wrapper lives here and costs two clock reads and an append per request.
"""

from __future__ import annotations

import atexit
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
    original = Transport.send
    clock = time.perf_counter

    async def timed_send(self: Transport, wire: WireRequest) -> Outcome:
        started = clock()
        try:
            return await original(self, wire)
        finally:
            latencies.append(clock() - started)

    Transport.send = timed_send  # type: ignore[method-assign]
    atexit.register(lambda: out.write_bytes(latencies.tobytes()))

    from rescheduler.cli import cli

    cli.main(args=args, prog_name="rescheduler")


if __name__ == "__main__":
    main()
