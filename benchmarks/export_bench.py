"""``rescheduler export`` against the simulator: complete, memory flat, and its file runs back.

    .venv/bin/python benchmarks/export_bench.py                     # 10,000 and 100,000 rows
    .venv/bin/python benchmarks/export_bench.py --rows 2000,20000 --xlsx

For each size: the simulator (``rescheduler simulate``, one process, that many generated
reservations, all in the future) is started in its own process; ``rescheduler export`` runs as a
child process at concurrency 8 and is measured from the outside (wall time, CPU time and peak
RSS from ``os.wait4``). Then the checks of issue 12's quality bar:

- complete: the summary says ``totalCount N = rows written`` and the file has N data rows;
- memory flat: peak RSS of the export for each size (the bar: < 150 MB at 100,000);
- runs back as a no-op: ``rescheduler run FILE`` on the exported file, unchanged, exits 0,
  every row is "already so" (the snapshot before the run lists them), and the simulator counts
  zero updates; the snapshot's requests and seconds are printed (from the run record).

Numbers move with other load on the machine (2 shared cores at the time of writing).
Exit status 0 when every check holds.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from tempfile import TemporaryDirectory

PY = sys.executable
AK, SK = "bench-ak", "bench-secret-key"
FIRST_TIME_MS = 1_900_000_000_000  # 2030-03-17: every reservation is in the future
BAR_RSS_MB = 150.0


def start_simulator(workdir: Path, rows: int) -> tuple[subprocess.Popen[bytes], str]:
    log = workdir / f"simulator-{rows}.log"
    cmd = [
        PY, "-m", "rescheduler", "simulate", "--host", "127.0.0.1", "--port", "0",
        "--reservations", str(rows), "--first-time", str(FIRST_TIME_MS), "--seed", "7",
        "--access-key", AK, "--secret-key-env", "BENCH_SIM_SECRET",
    ]  # fmt: skip
    with log.open("wb") as out:
        proc = subprocess.Popen(
            cmd, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "BENCH_SIM_SECRET": SK}
        )
    deadline = time.monotonic() + 120
    while True:
        text = log.read_text(encoding="utf-8", errors="replace")
        if found := re.search(r"on (http://\S+) ", text):
            return proc, found.group(1)
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise SystemExit(f"the simulator did not start:\n{text}")
        time.sleep(0.1)


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def write_config(path: Path, base_url: str) -> Path:
    path.write_text(
        "\n".join([
            "[server]", f'base_url = "{base_url}"', "vdn_id = 1", "timeout_s = 30",
            "[auth]", f'access_key = "{AK}"', "[send]", "concurrency = 8",
            "[input]", 'timezone = "Asia/Shanghai"',
            "max_days_ahead = 3660",  # FIRST_TIME_MS (2030) lies years ahead
            "[list]", "page_size = 100", "",
        ]),
        encoding="utf-8",
    )  # fmt: skip
    return path


def measured(cmd: Sequence[str | Path], workdir: Path) -> tuple[int, float, float, float, str]:
    """``(exit code, wall s, cpu s, peak RSS MB, output)`` of one child process."""
    log = workdir / "client.log"
    env = {**os.environ, "RESCHEDULER_SECRET_KEY": SK}
    with log.open("wb") as out:
        started = time.perf_counter()
        proc = subprocess.Popen([str(c) for c in cmd], stdout=out, stderr=out, env=env, cwd=workdir)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
    output = log.read_text(encoding="utf-8", errors="replace")
    cpu = usage.ru_utime + usage.ru_stime
    return os.waitstatus_to_exitcode(status), wall, cpu, usage.ru_maxrss / 1024, output


def sim_stats(base_url: str) -> dict[str, object]:
    with urllib.request.urlopen(f"{base_url}/_sim/stats", timeout=10) as answer:
        data: dict[str, object] = json.loads(answer.read())
        return data


def data_rows(path: Path) -> int:
    if path.suffix == ".xlsx":
        import openpyxl

        book = openpyxl.load_workbook(path, read_only=True)
        return sum(1 for _ in book.worksheets[0].iter_rows()) - 1
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return sum(1 for _ in csv.reader(handle)) - 1


def one_size(workdir: Path, rows: int, suffix: str) -> tuple[bool, str]:
    proc, base_url = start_simulator(workdir, rows)
    try:
        config = write_config(workdir / "bench.toml", base_url)
        out = workdir / f"export-{rows}{suffix}"
        code, wall, cpu, rss, output = measured(
            [PY, "-m", "rescheduler", "export", "-c", config, "--out", out], workdir
        )
        if code != 0:
            return False, f"export of {rows} exited {code}:\n{output[-2000:]}"
        written = data_rows(out)
        complete = f"complete: totalCount {rows} = rows written" in output and written == rows
        before = sim_stats(base_url)
        run_code, run_wall, _cpu, run_rss, run_output = measured(
            [PY, "-m", "rescheduler", "run", out, "-c", config, "-q"], workdir
        )
        after = sim_stats(base_url)
        updates = int(after["updates"]["total_updates"]) - int(before["updates"]["total_updates"])  # type: ignore[index]
        record = json.loads((workdir / f"export-{rows}.run.json").read_text(encoding="utf-8"))
        snapshot = record.get("snapshot") or {}
        same = (snapshot.get("verdicts") or {}).get("already_so", 0)
        runs_back = run_code == 0 and updates == 0 and same == rows
        ok = complete and runs_back and rss < BAR_RSS_MB
        line = (
            f"{rows:>8,} rows {suffix:<5}  export {wall:6.2f} s = {rows / wall:7,.0f} rows/s, "
            f"CPU {cpu:5.2f} s, peak RSS {rss:5.1f} MB; complete: {'yes' if complete else 'NO'} "
            f"({written:,} rows written); run back: exit {run_code}, {same:,} already so, "
            f"{updates:,} updates, {run_wall:.1f} s (snapshot {snapshot.get('requests')} "
            f"requests, {snapshot.get('seconds', 0):.1f} s), peak RSS {run_rss:.0f} MB"
        )
        if not runs_back:
            line += f"\n{run_output[-1500:]}"
        return ok, line
    finally:
        stop(proc)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="10000,100000", help="comma-separated sizes")
    parser.add_argument("--xlsx", action="store_true", help="export .xlsx instead of .csv")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.rows.split(",") if s.strip()]
    suffix = ".xlsx" if args.xlsx else ".csv"
    print(f"rescheduler export benchmark: concurrency 8, pages of 100, {os.cpu_count()} CPUs")
    all_ok = True
    with TemporaryDirectory(prefix="export-bench-") as tmp:
        for rows in sizes:
            ok, line = one_size(Path(tmp), rows, suffix)
            all_ok &= ok
            print(line, flush=True)
    print(f"bars: complete, runs back as a no-op, peak RSS < {BAR_RSS_MB:.0f} MB: "
          f"{'MET' if all_ok else 'MISSED'}")  # fmt: skip
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
