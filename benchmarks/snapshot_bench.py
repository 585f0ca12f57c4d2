"""What the snapshot before ``rescheduler run`` costs: filtered vs whole-VDN listing.

    .venv/bin/python benchmarks/snapshot_bench.py                 # 1,000 and 100,000 rows
    .venv/bin/python benchmarks/snapshot_bench.py --vdn 20000 --rows 1000

The simulator serves ``--vdn`` generated reservations (100 agents, ``agent000``..``agent099``,
one minute apart, all in the future) in its own process. For each size a change file is made
the way a nightly job makes one (``export --set userAccount=zhao.lei``: 1,000 rows are one
agent's reservations, ``--agent agent001``; 100,000 rows, or any size not below ``--vdn``, the
whole VDN) and run, as a
separate process at concurrency 8, three ways:

- ``list.snapshot = "filtered"`` (the default): listed by the file's agents and times;
- ``list.snapshot = "vdn"``: the whole VDN listed;
- ``--no-snapshot``: nothing listed (the baseline).

After each run with a snapshot, its undo file is run to put the store back, so every run sends
the same updates. Printed per run: the listing's requests and seconds
(from the run record), the run's wall time, CPU and peak RSS; the bar is at most one listing
request per page of reservations touched (rows / ``list.page_size``, rounded up), for the
default (``filtered``); ``vdn`` lists every reservation by design.
Numbers move with other load on the machine (2 shared cores at the time of writing).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from tempfile import TemporaryDirectory

sys.path.insert(0, str(Path(__file__).resolve().parent))

from export_bench import PY, measured, start_simulator, stop

AK, SK = "bench-ak", "bench-secret-key"
PAGE = 100


def write_config(path: Path, base_url: str, scope: str) -> Path:
    path.write_text(
        "\n".join([
            "[server]", f'base_url = "{base_url}"', "vdn_id = 1", "timeout_s = 30",
            "[auth]", f'access_key = "{AK}"', "[send]", "concurrency = 8",
            "[input]", 'timezone = "Asia/Shanghai"', "max_days_ahead = 3660",
            "[list]", f"page_size = {PAGE}", f'snapshot = "{scope}"', "",
        ]),
        encoding="utf-8",
    )  # fmt: skip
    return path


def run(workdir: Path, config: Path, source: Path, *flags: str) -> tuple[str, dict[str, object]]:
    code, wall, cpu, rss, output = measured(
        [PY, "-m", "rescheduler", "run", source, "-c", config, "-q", *flags], workdir
    )
    if code != 0:
        raise SystemExit(f"run {source.name} {flags} exited {code}:\n{output[-2000:]}")
    record = json.loads(source.with_name(f"{source.stem}.run.json").read_text("utf-8"))
    snap = record.get("snapshot") or {}
    text = f"run {wall:6.1f} s, CPU {cpu:5.1f} s, peak RSS {rss:4.0f} MB"
    if snap:
        text = (
            f"snapshot {snap['requests']:>5,} requests, {snap['listed']:>7,} listed, "
            f"{snap['seconds']:5.1f} s; " + text
        )
    return text, snap


def one_size(workdir: Path, base_url: str, rows: int, vdn: int) -> bool:
    configs = {scope: write_config(workdir / f"{scope}.toml", base_url, scope)
               for scope in ("filtered", "vdn")}  # fmt: skip
    change = workdir / f"change-{rows}.csv"
    agent = [] if rows >= vdn else ["--agent", "agent001"]
    code, *_rest, output = measured(
        [PY, "-m", "rescheduler", "export", "-c", configs["filtered"], *agent,
         "--set", "userAccount=zhao.lei", "--out", change, "-q"], workdir,
    )  # fmt: skip
    if code != 0:
        raise SystemExit(f"export exited {code}:\n{output}")
    with change.open(encoding="utf-8-sig") as handle:
        rows = sum(1 for _line in handle) - 1
    pages = math.ceil(rows / PAGE)
    ok = True
    print(f"{rows:,} rows to change in a VDN of {vdn:,} (pages touched: {pages:,})")
    for scope in ("filtered", "vdn"):
        text, snap = run(workdir, configs[scope], change)
        within = int(snap["requests"]) <= pages  # type: ignore[call-overload]
        if scope == "filtered":  # the default; "vdn" lists everything by design
            ok &= within
        print(f"  {scope:<12} {text}; {pages:,} pages touched: "
              f"{'within' if within else 'OVER'}")  # fmt: skip
        undo = change.with_name(f"{change.stem}.undo.csv")
        back, _snap = run(workdir, configs["filtered"], undo)
        print(f"    its undo file: {back}")
    text, _ = run(workdir, configs["filtered"], change, "--no-snapshot")
    print(f"  {'no snapshot':<12} {text}")
    return ok


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="1000,100000", help="comma-separated sizes")
    parser.add_argument("--vdn", type=int, default=100_000, help="reservations on the VDN")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.rows.split(",") if s.strip()]
    print(f"rescheduler snapshot benchmark: concurrency 8, pages of {PAGE}, {os.cpu_count()} CPUs")
    all_ok = True
    with TemporaryDirectory(prefix="snapshot-bench-") as tmp:
        workdir = Path(tmp)
        proc, base_url = start_simulator(workdir, args.vdn)
        try:
            for rows in sizes:
                all_ok &= one_size(workdir, base_url, min(rows, args.vdn), args.vdn)
        finally:
            stop(proc)
    print(f"bar (the default, filtered): at most one listing request per page touched: "
          f"{'MET' if all_ok else 'MISSED'}")  # fmt: skip
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
