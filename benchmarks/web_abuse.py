"""The upload page under abuse, measured from outside: prints figures, asserts nothing.

    python benchmarks/web_abuse.py [--skip-burst] [--skip-bombs]

Starts ``rescheduler serve`` as a process (production password cost) and, from this process:

* burst: 200 wrong-password sign-ins at once for one account from 127.0.0.1 while another
  person signs in from 127.0.0.2 (its time is what the issue's bar, < 1 s, is about);
* bombs: uploads the issue's hostile workbooks (a shared-strings bomb; 5,000,000 rows packed
  small) and a bomb that passes the archive bounds but not the worker's memory cap (at the
  default cap, 1024 MB, and at 256 MB); for each: the time to the verdict, the verdict, and the
  peak RSS of the server and of its check worker (psutil, sampled every 20 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))



from rescheduler.web.passwords import Cost
from tests.bombs import many_rows_workbook, shared_strings_bomb
from tests.webserver import (
    NAME,
    RssSampler,
    csrf_in,
    served,
    session,
    sign_in,
    upload_and_wait,
)

OTHER, OTHER_PASSWORD = "li.na", "another good password"
# The legitimate person runs in a process of their own (their own event loop and CPU time), so
# their time is the server's answer, not this process's queue of 200 requests. Reads the URL
# on stdin, waits for "go", signs in from 127.0.0.2 and prints the status and the seconds.
PERSON = f"""
import asyncio, sys, time
sys.path.insert(0, {str(Path(__file__).resolve().parents[1])!r})
from tests.webserver import csrf_in, session
async def main():
    url = sys.stdin.readline().strip()
    async with session("127.0.0.2") as person:
        async with person.get(url + "/login") as page:
            own = csrf_in(await page.text())
        print("ready", flush=True)
        sys.stdin.readline()
        started = time.monotonic()
        data = {{"csrf": own, "name": {OTHER!r}, "password": {OTHER_PASSWORD!r}}}
        async with person.post(url + "/login", data=data, allow_redirects=False) as r:
            print(r.status, time.monotonic() - started, flush=True)
asyncio.run(main())
"""


async def burst(folder: Path) -> None:
    users = {NAME: "correct horse battery", OTHER: OTHER_PASSWORD}
    with served(folder, users=users, cost=Cost()) as server:
        url = server.url
        async with session() as burst_client:
            async with burst_client.get(url + "/login") as page:
                token = csrf_in(await page.text())

            async def guess(n: int) -> int | str:
                data = {"csrf": token, "name": NAME, "password": f"wrong {n}"}
                try:
                    async with burst_client.post(
                        url + "/login", data=data, allow_redirects=False
                    ) as r:
                        await r.read()
                        return r.status
                except aiohttp.ClientError:  # web.max_connections_per_address: cut at the door
                    return "connection refused"

            person = await asyncio.create_subprocess_exec(
                sys.executable,
                "-c",
                PERSON,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
            )
            assert person.stdin is not None
            assert person.stdout is not None
            person.stdin.write(url.encode() + b"\n")
            assert (await person.stdout.readline()).startswith(b"ready")
            started = time.monotonic()
            guesses = asyncio.ensure_future(asyncio.gather(*(guess(n) for n in range(200))))
            await asyncio.sleep(0.05)  # the burst is under way
            person.stdin.write(b"go\n")
            answer = (await person.stdout.readline()).split()
            await person.wait()
            status, took = int(answer[0]), float(answer[1])
            statuses = Counter(await guesses)
            whole = time.monotonic() - started
        quiet_started = time.monotonic()
        async with session("127.0.0.3") as alone:
            await sign_in(alone, url, OTHER, OTHER_PASSWORD)
        quiet = time.monotonic() - quiet_started
    outcomes = dict(sorted(statuses.items(), key=str))
    print(f"burst: 200 wrong sign-ins at once -> {outcomes} in {whole:.2f} s")
    print(f"burst: a legitimate sign-in during it -> HTTP {status} in {took:.3f} s")
    print(f"burst: a sign-in with nothing else going on (page + post): {quiet:.3f} s")


async def bombs(folder: Path) -> None:
    files = {
        "shared-strings bomb (20,000,000 strings)": shared_strings_bomb(
            folder / "strings.xlsx", 20_000_000
        ),
        "5,000,000 rows": many_rows_workbook(folder / "rows.xlsx", 5_000_000),
        "passes the bounds (500,000 long distinct strings)": shared_strings_bomb(
            folder / "dense.xlsx", 500_000, distinct=True, padding=200
        ),
    }
    for cap in (1024, 256):
        with served(folder / f"cap{cap}", f"check_memory_mb = {cap}") as server:
            async with session() as client:
                csrf = await sign_in(client, server.url)
                for label, path in files.items():
                    with RssSampler(server.process.pid) as peaks:
                        data, page, took = await upload_and_wait(
                            client, server.url, csrf, path, within_s=600
                        )
                    reason = data.get("message") or ""
                    if not reason and "alert" in page:
                        reason = page.split('id="run-message">', 1)[-1].split("<", 1)[0]
                    print(
                        f"bomb [cap {cap} MB] {label}, {path.stat().st_size / 1e6:.1f} MB: "
                        f"{data['state']} in {took:.2f} s; server peak RSS "
                        f"{peaks.server_mb:.0f} MB, worker peak RSS {peaks.worker_mb:.0f} MB"
                    )
                    print(f"    {reason[:160]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-burst", action="store_true")
    parser.add_argument("--skip-bombs", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "burst").mkdir()
        if not args.skip_burst:
            asyncio.run(burst(folder / "burst"))
        if not args.skip_bombs:
            for cap in (1024, 256):
                (folder / f"cap{cap}").mkdir()
            asyncio.run(bombs(folder))



if __name__ == "__main__":
    main()
