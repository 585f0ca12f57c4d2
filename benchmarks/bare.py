"""The bare aiohttp baseline: the same signed requests from the same file, nothing else.

    python benchmarks/bare.py --url URL --input FILE.csv --concurrency 64 --loop asyncio|uvloop

Reads the CSV with the ``csv`` module (lazily), builds each body with orjson exactly as
rescheduler does (``appointId``, ``userAccount``, ``workNo``, ``appointTime``, ``remark``, blank
cells left out, ``appointTime`` already epoch milliseconds), signs it with
``rescheduler.send.auth.sign`` and POSTs it; ``--concurrency`` worker tasks share one iterator over
the rows and one ``aiohttp.ClientSession`` configured like rescheduler's transport. No
validation, no duplicate check, no retries, no journal, no report.

The secret key comes from ``RESCHEDULER_SECRET_KEY``. With ``--latency-out`` each request's
latency (signing + request + reading the answer, seconds) is written there as native doubles.
Prints one JSON line: rows, ok, elapsed_s.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import sys
import time
from array import array
from collections.abc import Coroutine
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import orjson

from rescheduler.send.auth import sign, utc_timestamp

API_PATH = "/rest/isales/v1/openapi/campaigns/{vdn_id}/appoint/update"
CONTENT_TYPE = "application/json; charset=UTF-8"
SUCCESS = b'"resultCode":"0200000"'
FIELDS = ("appointId", "userAccount", "workNo", "appointTime", "remark")


async def send_all(
    url: str,
    input_path: Path,
    concurrency: int,
    access_key: str,
    secret_key: str,
    vdn_id: int,
    latencies: array[float] | None,
) -> tuple[int, int, float]:
    """Send every row; return (rows, rows answered 0200000, elapsed seconds)."""
    parts = urlsplit(url)
    origin, host = f"{parts.scheme}://{parts.netloc}", parts.netloc
    path = parts.path.rstrip("/") + API_PATH.format(vdn_id=vdn_id)
    sign_headers = {"host": host}
    counts = [0, 0]
    started = time.perf_counter()
    with input_path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        where = [(name, header.index(name)) for name in FIELDS if name in header]
        connector = aiohttp.TCPConnector(limit=concurrency, enable_cleanup_closed=False)
        async with aiohttp.ClientSession(
            base_url=origin,
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=30),
            skip_auto_headers=("User-Agent",),
        ) as session:

            async def worker() -> None:
                clock = time.perf_counter
                for row in reader:  # one iterator shared by every worker
                    fields: dict[str, str | int] = {}
                    for name, idx in where:
                        if row[idx]:
                            fields[name] = int(row[idx]) if name == "appointTime" else row[idx]
                    body = orjson.dumps(fields)
                    t0 = clock()
                    headers = {
                        "Host": host,
                        "Content-Type": CONTENT_TYPE,
                        "Authorization": sign(
                            access_key=access_key,
                            secret_key=secret_key,
                            method="POST",
                            path=path,
                            headers=sign_headers,
                            body=body,
                            timestamp=utc_timestamp(),
                        ),
                    }
                    async with session.post(path, data=body, headers=headers) as resp:
                        answer = await resp.read()
                    if latencies is not None:
                        latencies.append(clock() - t0)
                    counts[0] += 1
                    if resp.status == 200 and SUCCESS in answer:
                        counts[1] += 1

            await asyncio.gather(*(worker() for _ in range(concurrency)))
    return counts[0], counts[1], time.perf_counter() - started


def run(loop: str, main: Coroutine[Any, Any, tuple[int, int, float]]) -> tuple[int, int, float]:
    if loop == "uvloop":
        import uvloop

        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            result: tuple[int, int, float] = runner.run(main)
            return result
    return asyncio.run(main)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--url", required=True)
    parser.add_argument("--input", required=True, type=Path)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio")
    parser.add_argument("--access-key", default="demo-ak")
    parser.add_argument("--vdn-id", type=int, default=1)
    parser.add_argument("--latency-out", type=Path)
    args = parser.parse_args(argv)
    secret = os.environ.get("RESCHEDULER_SECRET_KEY", "")
    if not secret:
        print("bare.py: RESCHEDULER_SECRET_KEY is not set", file=sys.stderr)
        return 2
    latencies: array[float] | None = array("d") if args.latency_out else None
    rows, ok, elapsed = run(
        args.loop,
        send_all(
            args.url, args.input, args.concurrency, args.access_key, secret, args.vdn_id, latencies
        ),
    )
    if latencies is not None:
        with args.latency_out.open("wb") as out:
            latencies.tofile(out)
    print(orjson.dumps({"rows": rows, "ok": ok, "elapsed_s": elapsed}).decode())
    return 0 if ok == rows else 1


if __name__ == "__main__":
    sys.exit(main())
