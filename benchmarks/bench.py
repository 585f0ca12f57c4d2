"""rescheduler against a bare aiohttp loop, on this machine, in one run (design.md section 7).

    .venv/bin/python benchmarks/bench.py            # every scenario, ~3 minutes on 2 cores
    .venv/bin/python benchmarks/bench.py --quick    # smoke run, ~40 s
    .venv/bin/python benchmarks/bench.py --scenarios a,d --rows-a 20000

Every client runs as its own process and is measured from the outside: wall time from spawn
to exit, CPU time (user + system) and peak RSS from ``os.wait4``'s rusage of that child.
The simulator (``rescheduler simulate --processes K --accept-any``) runs in its own processes;
its CPU time is read with psutil, and so is the whole machine's, so each table shows how the
cores were shared (client, simulator, anything else running on the machine).

Clients, all at the same concurrency against the same simulator and the same CSV:

- ``rescheduler``: ``python -m rescheduler run`` (through ``timed_run.py``, which only records
  each request's latency; it runs on uvloop when installed, as the engine chooses);
- ``bare/asyncio`` and ``bare/uvloop``: ``bare.py``, the same signed requests from the same
  file with nothing else (no validation, no duplicate pass, no journal, no report).

Rows/s is rows / wall time of the whole process (start-up included). Latency is measured in the
client around sign + POST + read (the same span for both). The bars compare rescheduler with
the plain-asyncio bare loop; the ratio to the uvloop bare loop is printed too.

Scenarios: (a) no added latency, concurrency 64: the client's CPU is the limit; (b) 50 ms
latency, concurrency 64 (ideal 1,280 rows/s); (c) peak RSS: ``validate`` of a 1,000,000-row
CSV and a 200,000-row full run (and a tenth of each, to show it is flat); (d) wall time of a
10-row run, start-up included; (x) ``validate`` of a 100,000-row XLSX workbook against the 0.1
reader's reading alone (openpyxl read-only, two passes: ``xlsx_openpyxl.py``) and against the same
rows as CSV, and with ``--xlsx-big`` the peak RSS of validating a 1,048,576-row sheet (slow: the
workbook takes minutes to write); (r) the rate limit: the rate achieved at 10, 100, 1,000 and
5,000/s, and what a limit far above reach costs against none.

Input: appointId from the simulator's ``generated_id(i, seed)``, userAccount, appointTime as
epoch milliseconds (a form rescheduler accepts, so the bare loop sends the same bytes without
parsing anything) in 2030, and a remark with Chinese text; every row is valid and unique, so
every request succeeds. Clients run without ``PYTHONDONTWRITEBYTECODE``, as an installed
package would. Exit status: 0 when every bar is met (the "aim" line is not a bar).
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import re
import secrets
import signal
import statistics
import subprocess
import sys
import time
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import psutil

from rescheduler.simulator.store import generated_id

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PY = sys.executable
AK = "bench-ak"
SEED = 7
FUTURE_MS = 1_900_000_000_000  # 2030-03-17: every appointTime is in the future
IDEAL_LATENCY_S = 0.05
BAR_A, BAR_B, BAR_RSS_MB, BAR_START_S = 0.8, 0.95, 200.0, 1.5
BAR_XLSX_SPEEDUP, BAR_XLSX_RSS_MB, XLSX_MAX_ROWS = 5.0, 400.0, 1_048_575  # + header = 1,048,576
BACKGROUND_CORES = 0.15  # more CPU than this used by other processes: say so

RESCHEDULER = "rescheduler"
BARE_ASYNCIO = "bare/asyncio"
BARE_UVLOOP = "bare/uvloop"


# -- input files ----------------------------------------------------------------------------


def dataset(workdir: Path, rows: int) -> Path:
    """A CSV of ``rows`` valid rows (cached in ``workdir``): IDs the simulator generates."""
    path = workdir / f"rows-{rows}-seed{SEED}.csv"
    if path.exists():
        return path
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(("appointId", "userAccount", "appointTime", "remark"))
        batch: list[tuple[str, str, int, str]] = []
        for i in range(rows):
            remark = f"bench 改约 #{i}"
            batch.append(
                (generated_id(i, SEED), f"agent{i % 100:03d}", FUTURE_MS + 60_000 * i, remark)
            )
            if len(batch) == 10_000:
                writer.writerows(batch)
                batch.clear()
        writer.writerows(batch)
    tmp.replace(path)
    return path


def xlsx_dataset(workdir: Path, rows: int) -> Path:
    """The CSV dataset as an XLSX workbook (cached): text IDs, real date-and-time cells."""
    from datetime import UTC, datetime

    import openpyxl
    from openpyxl.cell import WriteOnlyCell

    path = workdir / f"rows-{rows}-seed{SEED}.xlsx"
    if path.exists():
        return path
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("changes")
    with dataset(workdir, rows).open(encoding="utf-8", newline="") as handle:
        records = csv.reader(handle)
        sheet.append(next(records))
        for appoint_id, agent, ms, remark in records:
            moment = datetime.fromtimestamp(int(ms) / 1000, UTC).replace(tzinfo=None)
            when = WriteOnlyCell(sheet, moment)
            when.number_format = "yyyy-mm-dd hh:mm:ss"
            sheet.append([appoint_id, agent, when, remark])
    tmp = path.with_suffix(".tmp.xlsx")
    book.save(tmp)
    tmp.replace(path)
    return path


def write_config(path: Path, base_url: str, concurrency: int) -> Path:
    path.write_text(
        "\n".join(
            [
                "[server]",
                f'base_url = "{base_url}"',
                "vdn_id = 1",
                'deployment = "standard"',
                "timeout_s = 30",
                "[auth]",
                f'access_key = "{AK}"',
                "[send]",
                f"concurrency = {concurrency}",
                "[input]",
                'timezone = "UTC"',
                "max_days_ahead = 3660",  # FUTURE_MS (2030) lies years ahead
                "",
            ]
        ),
        encoding="utf-8",
    )
    return path


# -- the simulator --------------------------------------------------------------------------


class Simulator:
    """``rescheduler simulate`` in its own process group; ``cpu_s()`` sums all its processes."""

    def __init__(self, workdir: Path, processes: int, latency_ms: float, secret: str) -> None:
        self.workdir, self.processes, self.latency_ms = workdir, processes, latency_ms
        self.secret = secret
        self.base_url = ""
        self._proc: subprocess.Popen[bytes] | None = None
        self._members: list[psutil.Process] = []

    def __enter__(self) -> Simulator:
        log = self.workdir / f"simulator-{self.latency_ms:g}ms.log"
        cmd = [
            PY, "-m", "rescheduler", "simulate", "--host", "127.0.0.1", "--port", "0",
            "--processes", str(self.processes), "--accept-any", "--reservations", "0",
            "--seed", str(SEED), "--access-key", AK, "--secret-key-env", "BENCH_SIM_SECRET",
            "--latency-ms", f"{self.latency_ms:g}",
        ]  # fmt: skip
        env = {**os.environ, "BENCH_SIM_SECRET": self.secret}
        with log.open("wb") as out:
            self._proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + 30
        while not self.base_url:
            text = log.read_text(encoding="utf-8", errors="replace")
            if found := re.search(r"on (http://\S+) ", text):
                self.base_url = found.group(1)
            elif self._proc.poll() is not None or time.monotonic() > deadline:
                self.__exit__(None, None, None)
                raise RuntimeError(f"the simulator did not start:\n{text}")
            else:
                time.sleep(0.05)
        parent = psutil.Process(self._proc.pid)
        self._members = [parent, *parent.children(recursive=True)]
        return self

    def cpu_s(self) -> float:
        total = 0.0
        for member in self._members:
            try:
                times = member.cpu_times()
            except psutil.NoSuchProcess:
                continue
            total += times.user + times.system
        return total

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGTERM)  # the supervisor forwards it to its workers
            try:
                self._proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                for member in self._members:
                    member.kill()
                self._proc.wait()


# -- measuring one client process -----------------------------------------------------------


@dataclass
class Measured:
    label: str
    rows: int
    wall_s: float
    cpu_s: float
    maxrss_mb: float
    exit_code: int
    sim_cpu_s: float = 0.0
    machine_busy_s: float = 0.0
    ok: int | None = None
    latencies: array[float] = field(default_factory=lambda: array("d"))
    output: str = ""

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.wall_s

    def latency_ms(self, q: float) -> float | None:
        if not self.latencies:
            return None
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _busy(times: Any) -> float:
    return float(sum(times)) - float(times.idle) - float(getattr(times, "iowait", 0.0))


def measure(
    label: str,
    cmd: Sequence[str | Path],
    rows: int,
    workdir: Path,
    env: dict[str, str],
    sim: Simulator | None = None,
    latency_file: Path | None = None,
) -> Measured:
    """Run ``cmd`` to its end; wall, CPU and peak RSS of that child from ``os.wait4``."""
    log = workdir / "client.log"
    sim_before = sim.cpu_s() if sim else 0.0
    machine_before = _busy(psutil.cpu_times())
    with log.open("wb") as out:
        started = time.perf_counter()
        proc = subprocess.Popen([str(c) for c in cmd], stdout=out, stderr=out, env=env, cwd=workdir)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    result = Measured(
        label=label,
        rows=rows,
        wall_s=wall,
        cpu_s=usage.ru_utime + usage.ru_stime,
        maxrss_mb=usage.ru_maxrss / 1024,  # KiB on Linux
        exit_code=proc.returncode,
        sim_cpu_s=(sim.cpu_s() - sim_before) if sim else 0.0,
        machine_busy_s=_busy(psutil.cpu_times()) - machine_before,
        output=log.read_text(encoding="utf-8", errors="replace"),
    )
    if latency_file is not None and latency_file.exists():
        result.latencies.frombytes(latency_file.read_bytes())
        latency_file.unlink()
    found = re.search(r'"ok": ?(\d+)', result.output) or re.search(
        r"^\s*succeeded\s+(\d+)", result.output, re.MULTILINE
    )
    if found:
        result.ok = int(found.group(1))
    return result


def check(result: Measured, *, all_ok: bool = True) -> None:
    """Refuse to report a run that did not do its job."""
    if result.exit_code != 0 or (all_ok and result.ok != result.rows):
        raise SystemExit(
            f"bench: {result.label} failed (exit {result.exit_code}, {result.ok} of {result.rows}"
            f" rows succeeded):\n{result.output[-3000:]}"
        )


# ``rescheduler run``'s extra flags (--run-flags). The snapshot before a run lists the server's
# reservations; the simulator here runs as several processes, each with its own store, so a
# listing is not meaningful: the bars compare the sending path, without it. Its cost is
# measured by benchmarks/snapshot_bench.py against one simulator process.
RUN_FLAGS: list[str] = ["--no-snapshot"]


def rescheduler_cmd(
    command: str, csv_path: Path, config: Path, out: Path, latency_file: Path | None
) -> list[str | Path]:
    cli: list[str | Path] = [PY, "-m", "rescheduler"]
    if latency_file is not None:
        cli = [PY, HERE / "timed_run.py", latency_file]
    flags = RUN_FLAGS if command == "run" else []
    return [*cli, command, csv_path, "-c", config, "--out", out, *flags]


def bare_cmd(
    loop: str, url: str, csv_path: Path, concurrency: int, latency_file: Path
) -> list[str | Path]:
    return [
        PY, HERE / "bare.py", "--url", url, "--input", csv_path, "--concurrency", str(concurrency),
        "--loop", loop, "--access-key", AK, "--latency-out", latency_file,
    ]  # fmt: skip


def clean_outputs(workdir: Path) -> None:
    for path in workdir.glob("out*"):
        path.unlink()


# -- reporting ------------------------------------------------------------------------------


def mark(met: bool) -> str:
    return "MET" if met else "MISSED"


def fmt_ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def table(rows: Sequence[Sequence[str]], header: Sequence[str]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join(f"{{:>{w}}}" if i else f"{{:<{w}}}" for i, w in enumerate(widths))
    out = [line.format(*header), line.format(*("-" * w for w in widths))]
    out += [line.format(*r) for r in rows]
    return "\n".join("  " + x for x in out)


def throughput_table(results: dict[str, list[Measured]], ncpu: int) -> str:
    header = (
        "client", "rows/s", "range", "CPU s/1k rows", "p50 ms", "p99 ms", "peak RSS MB",
        "cores: client", "simulator", "other", "idle",
    )  # fmt: skip
    rows = []
    for label, runs in results.items():
        m = median_run(runs)
        rates = [r.rows_per_s for r in runs]
        span = f"{min(rates):,.0f}-{max(rates):,.0f}" if len(runs) > 1 else "-"
        other = m.machine_busy_s - m.cpu_s - m.sim_cpu_s
        idle = ncpu * m.wall_s - m.machine_busy_s
        rows.append(
            (
                label, f"{m.rows_per_s:,.0f}", span, f"{m.cpu_s / m.rows * 1000:.3f}",
                fmt_ms(m.latency_ms(0.50)), fmt_ms(m.latency_ms(0.99)), f"{m.maxrss_mb:.0f}",
                f"{m.cpu_s / m.wall_s:.2f}", f"{m.sim_cpu_s / m.wall_s:.2f}",
                f"{max(other, 0) / m.wall_s:.2f}", f"{max(idle, 0) / m.wall_s:.2f}",
            )
        )  # fmt: skip
    text = table(rows, header)
    others = [
        (r.machine_busy_s - r.cpu_s - r.sim_cpu_s) / r.wall_s
        for runs in results.values()
        for r in runs
    ]
    if max(others) > BACKGROUND_CORES:
        text += (
            f"\n  NOTE: other processes used up to {max(others):.2f} cores during these runs: "
            "the machine was not quiet, rows/s ratios are less reliable than CPU per row"
        )
    return text


def median_run(runs: Sequence[Measured]) -> Measured:
    ordered = sorted(runs, key=lambda r: r.rows_per_s)
    return ordered[(len(ordered) - 1) // 2]


@dataclass
class Bar:
    scenario: str
    text: str
    met: bool
    measured: str


# -- scenarios ------------------------------------------------------------------------------


@dataclass
class Bench:
    workdir: Path
    sim_processes: int
    concurrency: int
    secret: str = field(default_factory=lambda: secrets.token_hex(16))
    bars: list[Bar] = field(default_factory=list)
    latency_wrapper: bool = True

    @property
    def env(self) -> dict[str, str]:
        env = {
            **os.environ,
            "RESCHEDULER_SECRET_KEY": self.secret,
            "RESCHEDULER_ACCESS_KEY": AK,
            "PYTHONPATH": str(ROOT),
        }
        # As installed (pip compiles bytecode): start-up must not include compiling sources.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        return env

    def simulator(self, latency_ms: float, processes: int | None = None) -> Simulator:
        return Simulator(self.workdir, processes or self.sim_processes, latency_ms, self.secret)

    def throughput(self, sim: Simulator, rows: int, repeat: int) -> dict[str, list[Measured]]:
        """Each client ``repeat`` times, interleaved, the order rotating every round."""
        path = dataset(self.workdir, rows)
        config = write_config(self.workdir / "bench.toml", sim.base_url, self.concurrency)
        latency_file = self.workdir / "latencies.bin"
        warm = dataset(self.workdir, min(rows, 2000))
        out = self.workdir / "out.csv"
        mine = rescheduler_cmd(
            "run", path, config, out, latency_file if self.latency_wrapper else None
        )
        clients: dict[str, list[str | Path]] = {
            RESCHEDULER: mine,
            BARE_ASYNCIO: bare_cmd("asyncio", sim.base_url, path, self.concurrency, latency_file),
            BARE_UVLOOP: bare_cmd("uvloop", sim.base_url, path, self.concurrency, latency_file),
        }
        # warm up the simulator (imports, connections) and the page cache
        check(
            measure(
                "warm-up",
                bare_cmd("uvloop", sim.base_url, warm, self.concurrency, latency_file),
                min(rows, 2000), self.workdir, self.env,
            )
        )  # fmt: skip
        results: dict[str, list[Measured]] = {label: [] for label in clients}
        labels = list(clients)
        for round_ in range(repeat):
            order = labels[round_ % len(labels) :] + labels[: round_ % len(labels)]
            for label in order:
                clean_outputs(self.workdir)
                result = measure(
                    label, clients[label], rows, self.workdir, self.env, sim, latency_file
                )
                check(result)
                results[label].append(result)
                progress(
                    f"    {label:<13} {result.rows_per_s:8,.0f} rows/s  {result.wall_s:6.2f} s"
                )
        clean_outputs(self.workdir)
        return results

    def ratios(self, results: dict[str, list[Measured]]) -> tuple[float, float, float, float]:
        mine, plain, fast = (
            median_run(results[k]) for k in (RESCHEDULER, BARE_ASYNCIO, BARE_UVLOOP)
        )
        return (
            mine.rows_per_s / plain.rows_per_s,
            mine.rows_per_s / fast.rows_per_s,
            (mine.cpu_s / mine.rows) / (plain.cpu_s / plain.rows),
            (mine.cpu_s / mine.rows) / (fast.cpu_s / fast.rows),
        )

    def scenario_a(self, rows: int, repeat: int) -> None:
        title = f"(a) no added latency, concurrency {self.concurrency}, {rows:,} rows"
        heading(title + f", median of {repeat}")
        with self.simulator(0) as sim:
            results = self.throughput(sim, rows, repeat)
        print(throughput_table(results, ncpus()))
        vs_plain, vs_uv, cpu_plain, cpu_uv = self.ratios(results)
        print(
            f"\n  rescheduler / bare-asyncio: rows/s x{vs_plain:.2f}, CPU per row x{cpu_plain:.2f}"
            f"\n  rescheduler / bare-uvloop:  rows/s x{vs_uv:.2f}, CPU per row x{cpu_uv:.2f}"
        )
        self.bar("a", f"rows/s >= {BAR_A}x bare-asyncio", vs_plain >= BAR_A, f"x{vs_plain:.2f}")
        self.bar(
            "a", "aim: beat bare-asyncio outright (> 1.0x)", vs_plain > 1.0, f"x{vs_plain:.2f}"
        )

    def scenario_b(self, rows: int, repeat: int) -> None:
        ideal = self.concurrency / IDEAL_LATENCY_S
        title = f"(b) 50 ms latency, concurrency {self.concurrency}, {rows:,} rows"
        heading(title + f", median of {repeat} (ideal {ideal:,.0f} rows/s)")
        with self.simulator(IDEAL_LATENCY_S * 1000) as sim:
            results = self.throughput(sim, rows, repeat)
        print(throughput_table(results, ncpus()))
        vs_plain, vs_uv, _, _ = self.ratios(results)
        mine = median_run(results[RESCHEDULER])
        print(
            f"\n  rescheduler / bare-asyncio: rows/s x{vs_plain:.2f}"
            f"\n  rescheduler / bare-uvloop:  rows/s x{vs_uv:.2f}"
            f"\n  rescheduler / ideal:        rows/s x{mine.rows_per_s / ideal:.2f}"
        )
        self.bar("b", f"rows/s >= {BAR_B}x bare-asyncio", vs_plain >= BAR_B, f"x{vs_plain:.2f}")

    def scenario_c(self, validate_rows: int, run_rows: int) -> None:
        heading(f"(c) peak RSS: validate {validate_rows:,} rows, full run {run_rows:,} rows")
        runs: list[tuple[str, Measured]] = []
        for n in (validate_rows // 10, validate_rows):
            path = dataset(self.workdir, n)
            config = write_config(self.workdir / "bench.toml", "http://127.0.0.1:9", 64)
            clean_outputs(self.workdir)
            cmd = rescheduler_cmd("validate", path, config, self.workdir / "out.csv", None)
            result = measure(f"validate {n:,}", cmd, n, self.workdir, self.env)
            check(result, all_ok=False)
            runs.append(("validate", result))
            progress(f"    validate {n:>9,}  {result.wall_s:6.2f} s  {result.maxrss_mb:5.0f} MB")
        with self.simulator(0) as sim:
            for n in (run_rows // 10, run_rows):
                path = dataset(self.workdir, n)
                config = write_config(self.workdir / "bench.toml", sim.base_url, self.concurrency)
                clean_outputs(self.workdir)
                cmd = rescheduler_cmd("run", path, config, self.workdir / "out.csv", None)
                result = measure(f"run {n:,}", cmd, n, self.workdir, self.env, sim)
                check(result)
                runs.append(("run", result))
                progress(
                    f"    run      {n:>9,}  {result.wall_s:6.2f} s  {result.maxrss_mb:5.0f} MB"
                )
        clean_outputs(self.workdir)
        header = ("command", "rows", "wall s", "rows/s", "CPU s", "peak RSS MB", "bar")
        rows = [
            (
                kind, f"{m.rows:,}", f"{m.wall_s:.2f}", f"{m.rows_per_s:,.0f}", f"{m.cpu_s:.2f}",
                f"{m.maxrss_mb:.0f}", f"< {BAR_RSS_MB:.0f} MB: {mark(m.maxrss_mb < BAR_RSS_MB)}",
            )
            for kind, m in runs
        ]  # fmt: skip
        print(table(rows, header))
        for kind, m in (runs[1], runs[3]):
            self.bar(
                "c", f"peak RSS < {BAR_RSS_MB:.0f} MB, {kind} {m.rows:,} rows",
                m.maxrss_mb < BAR_RSS_MB, f"{m.maxrss_mb:.0f} MB",
            )  # fmt: skip

    def scenario_d(self, repeat: int) -> None:
        heading(f"(d) a 10-row run, start-up included, {repeat} runs")
        path = dataset(self.workdir, 10)
        walls: list[Measured] = []
        with self.simulator(0, processes=1) as sim:
            config = write_config(self.workdir / "bench.toml", sim.base_url, self.concurrency)
            for _ in range(repeat):
                clean_outputs(self.workdir)
                cmd = rescheduler_cmd("run", path, config, self.workdir / "out.csv", None)
                result = measure("run 10", cmd, 10, self.workdir, self.env, sim)
                check(result)
                walls.append(result)
        clean_outputs(self.workdir)
        times = [m.wall_s for m in walls]
        worst, median = max(times), statistics.median(times)
        print(
            f"  wall s: median {median:.2f}, min {min(times):.2f}, max {worst:.2f};"
            f" CPU s (median) {statistics.median(m.cpu_s for m in walls):.2f};"
            f" peak RSS {max(m.maxrss_mb for m in walls):.0f} MB"
        )
        self.bar("d", f"10-row run < {BAR_START_S} s (slowest of {repeat})", worst < BAR_START_S,
                 f"{worst:.2f} s")  # fmt: skip

    def scenario_x(self, rows: int, big: bool, baseline: Path | None, repeat: int) -> None:
        big_text = f"; peak RSS at {XLSX_MAX_ROWS + 1:,} rows" if big else ""
        heading(f"(x) XLSX: validate {rows:,} rows, median of {repeat} runs each{big_text}")
        config = write_config(self.workdir / "bench.toml", "http://127.0.0.1:9", 64)
        progress("    writing the workbook")
        book, csv_path = xlsx_dataset(self.workdir, rows), dataset(self.workdir, rows)
        out = self.workdir / "out.csv"
        runs: list[Measured] = []
        clients: list[tuple[str, list[str | Path]]] = [
            ("rescheduler validate .xlsx", rescheduler_cmd("validate", book, config, out, None)),
            ("rescheduler validate .csv", rescheduler_cmd("validate", csv_path, config, out, None)),
            ("0.1 reader: openpyxl x2", [PY, HERE / "xlsx_openpyxl.py", book]),
        ]
        if baseline is not None:  # 0.1 knows no input.max_days_ahead
            text = config.read_text(encoding="utf-8").replace("max_days_ahead", "# max_days_ahead")
            old_config = self.workdir / "bench-0.1.toml"
            old_config.write_text(text, encoding="utf-8")
            old_cmd = rescheduler_cmd("validate", book, old_config, out, None)
            clients.append(("0.1 validate .xlsx", old_cmd))
        tries: dict[str, list[Measured]] = {label: [] for label, _cmd in clients}
        for _round in range(repeat):  # round-robin: a busy spell hits every client alike
            for label, cmd in clients:
                clean_outputs(self.workdir)
                env = self.env
                if label.startswith("0.1 validate"):  # the same command, from the 0.1 sources
                    env = {**env, "PYTHONPATH": str(baseline)}
                result = measure(label, cmd, rows, self.workdir, env)
                check(result, all_ok=False)
                tries[label].append(result)
                progress(f"    {label:<28} {result.wall_s:6.2f} s  {result.maxrss_mb:5.0f} MB")
        for measured in tries.values():  # the median run of each (by wall time)
            runs.append(sorted(measured, key=lambda m: m.wall_s)[len(measured) // 2])
        if big:
            progress(f"    writing the {XLSX_MAX_ROWS:,}-row workbook (minutes)")
            huge = xlsx_dataset(self.workdir, XLSX_MAX_ROWS)
            clean_outputs(self.workdir)
            cmd = rescheduler_cmd("validate", huge, config, out, None)
            label = "rescheduler validate .xlsx"
            runs.append(measure(label, cmd, XLSX_MAX_ROWS, self.workdir, self.env))
            check(runs[-1], all_ok=False)
        clean_outputs(self.workdir)
        header = ("client", "rows", "wall s", "rows/s", "CPU s", "peak RSS MB")
        print(table([(m.label, f"{m.rows:,}", f"{m.wall_s:.2f}", f"{m.rows_per_s:,.0f}",
                      f"{m.cpu_s:.2f}", f"{m.maxrss_mb:.0f}") for m in runs], header))  # fmt: skip
        mine, as_csv, old = runs[:3]
        speedup, cpu_speedup = old.wall_s / mine.wall_s, old.cpu_s / mine.cpu_s
        print(
            f"\n  0.1 reader's reading alone / rescheduler validate: wall x{speedup:.1f}, CPU "
            f"x{cpu_speedup:.1f} (0.1's validate took longer than its reading: a lower bound)"
            f"\n  XLSX / CSV validate of the same rows: wall x{mine.wall_s / as_csv.wall_s:.2f}, "
            f"CPU x{mine.cpu_s / as_csv.cpu_s:.2f}"
        )
        against = "0.1's reading alone"
        if baseline is not None:
            full = runs[3]
            speedup, cpu_speedup = full.wall_s / mine.wall_s, full.cpu_s / mine.cpu_s
            against = "0.1 validate"
            print(f"  0.1 validate / rescheduler: wall x{speedup:.1f}, CPU x{cpu_speedup:.1f}")
        self.bar("x", f"{rows:,}-row XLSX validate >= {BAR_XLSX_SPEEDUP:g}x faster ({against})",
                 speedup >= BAR_XLSX_SPEEDUP, f"x{speedup:.1f}")  # fmt: skip
        self.bar("x", "the same, in CPU time (steadier on a busy machine)",
                 cpu_speedup >= BAR_XLSX_SPEEDUP, f"x{cpu_speedup:.1f}")  # fmt: skip
        if big:
            rss = runs[-1].maxrss_mb
            text = f"peak RSS < {BAR_XLSX_RSS_MB:.0f} MB, {XLSX_MAX_ROWS + 1:,}-row XLSX"
            self.bar("x", text, rss < BAR_XLSX_RSS_MB, f"{rss:.0f} MB")

    def bar(self, scenario: str, text: str, met: bool, measured: str) -> None:
        self.bars.append(Bar(scenario, text, met, measured))


# -- scenario (r): the rate limit -----------------------------------------------------------
#
# Self-contained (its own constants and function) so other scenarios merge around it.
# Each limit runs a few seconds; its achieved rate is the send rate between the first and the
# last request start (recorded by timed_run.py with BENCH_STARTS_FILE), so start-up and the
# report do not count against the limiter. A limit is "reachable" when the unlimited run's
# send rate reaches it. The far-above-reach limit is compared with no limit, interleaved.

RATE_LIMITS = ((10, 100), (100, 400), (1_000, 4_000), (5_000, 20_000))  # (per s, rows)
RATE_FAR = 100_000  # the most send.rate_per_s accepts; 10x what this machine reaches
RATE_COST_ROWS = 20_000
BAR_RATE, BAR_RATE_COST = 0.97, 0.05


def _rate_config(path: Path, base_url: str, concurrency: int, rate: float | None) -> Path:
    write_config(path, base_url, concurrency)
    if rate is not None:
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("[send]\n", f"[send]\nrate_per_s = {rate}\n"), "utf-8")
    return path


def _send_rate(starts: array[float]) -> float:
    span = max(starts) - min(starts) if len(starts) > 1 else 0.0
    return (len(starts) - 1) / span if span > 0 else 0.0


def scenario_r(bench: Bench, quick: bool, repeat: int) -> None:
    scale = 10 if quick else 1
    limits = [(rate, max(rows // scale, 20)) for rate, rows in RATE_LIMITS]
    cost_rows = RATE_COST_ROWS // scale
    heading(
        f"(r) rate limits {', '.join(f'{r:,}' for r, _ in limits)}/s; {RATE_FAR:,}/s vs none, "
        f"{cost_rows:,} rows, median of {repeat}; concurrency {bench.concurrency}"
    )
    workdir, env = bench.workdir, bench.env
    starts_file = workdir / "starts.bin"
    latency_file = workdir / "latencies.bin"
    env = {**env, "BENCH_STARTS_FILE": str(starts_file)}

    def one(sim: Simulator, label: str, rate: float | None, rows: int) -> tuple[Measured, float]:
        config = _rate_config(workdir / "rate.toml", sim.base_url, bench.concurrency, rate)
        clean_outputs(workdir)
        cmd = rescheduler_cmd("run", dataset(workdir, rows), config, workdir / "out.csv",
                              latency_file)  # fmt: skip
        result = measure(label, cmd, rows, workdir, env, sim, latency_file)
        check(result)
        starts: array[float] = array("d")
        starts.frombytes(starts_file.read_bytes())
        starts_file.unlink()
        sent = _send_rate(starts)
        progress(f"    {label:<16} {sent:9,.0f} sent/s  {result.rows_per_s:8,.0f} rows/s  "
                 f"{result.wall_s:6.2f} s  CPU {result.cpu_s:5.2f} s")  # fmt: skip
        return result, sent

    with bench.simulator(0) as sim:
        check(
            measure(
                "warm-up",
                bare_cmd("uvloop", sim.base_url, dataset(workdir, 2000), bench.concurrency,
                         latency_file),
                2000, workdir, bench.env,
            )
        )  # fmt: skip
        cost: dict[str, list[tuple[Measured, float]]] = {"no limit": [], f"{RATE_FAR:,}/s": []}
        for round_ in range(repeat):
            order = [("no limit", None), (f"{RATE_FAR:,}/s", float(RATE_FAR))]
            for label, rate in order[round_ % 2 :] + order[: round_ % 2]:
                cost[label].append(one(sim, label, rate, cost_rows))
        limited = [one(sim, f"{rate:,}/s", float(rate), rows) for rate, rows in limits]
    clean_outputs(workdir)

    def median_of(runs: list[tuple[Measured, float]]) -> tuple[Measured, float]:
        return sorted(runs, key=lambda run: run[0].rows_per_s)[(len(runs) - 1) // 2]

    free, free_sent = median_of(cost["no limit"])
    far, far_sent = median_of(cost[f"{RATE_FAR:,}/s"])
    header = ("limit", "rows", "wall s", "rows/s", "sent/s", "x limit", "CPU s/1k", "bar")
    rows: list[tuple[str, ...]] = [
        ("none", f"{free.rows:,}", f"{free.wall_s:.2f}", f"{free.rows_per_s:,.0f}",
         f"{free_sent:,.0f}", "-", f"{free.cpu_s / free.rows * 1000:.3f}", "reference"),
        (f"{RATE_FAR:,}/s", f"{far.rows:,}", f"{far.wall_s:.2f}", f"{far.rows_per_s:,.0f}",
         f"{far_sent:,.0f}", "-", f"{far.cpu_s / far.rows * 1000:.3f}", "vs none, below"),
    ]  # fmt: skip
    for (rate, _), (m, sent) in zip(limits, limited, strict=True):
        ratio = sent / rate
        reachable = free_sent >= rate
        verdict = (
            f">= {BAR_RATE}x: {mark(ratio >= BAR_RATE)}"
            if reachable
            else f"unreachable (none: {free_sent:,.0f}/s); x{sent / free_sent:.2f} of none"
        )
        rows.append(
            (f"{rate:,}/s", f"{m.rows:,}", f"{m.wall_s:.2f}", f"{m.rows_per_s:,.0f}",
             f"{sent:,.0f}", f"x{ratio:.3f}", f"{m.cpu_s / m.rows * 1000:.3f}", verdict)
        )  # fmt: skip
        if reachable:
            bench.bar("r", f"{rate:,}/s: sent >= {BAR_RATE}x the limit", ratio >= BAR_RATE,
                      f"x{ratio:.3f}")  # fmt: skip
    print(table(rows, header))
    # Each round ran the two back to back: the ratio within a round shares the machine's
    # load of that moment, so the median of the rounds' ratios is steadier than the ratio of
    # the medians on a busy machine.
    pairs = list(zip(cost["no limit"], cost[f"{RATE_FAR:,}/s"], strict=True))
    speeds = [capped.rows_per_s / base.rows_per_s for (base, _), (capped, _) in pairs]
    cpus = [capped.cpu_s / base.cpu_s for (base, _), (capped, _) in pairs]  # same rows
    speed, cpu = statistics.median(speeds), statistics.median(cpus)
    print(
        f"\n  {RATE_FAR:,}/s vs no limit, median of {repeat} rounds' ratios: rows/s x{speed:.3f}"
        f" (rounds: {', '.join(f'{x:.2f}' for x in speeds)}), CPU per row x{cpu:.3f}"
        f" (rounds: {', '.join(f'{x:.2f}' for x in cpus)})"
    )
    print(
        "  sent/s = (requests - 1) / (last start - first start), starts timed in the client;"
        " rows/s over the whole process (start-up included)"
    )
    everything = [m for runs in cost.values() for m, _ in runs] + [m for m, _ in limited]
    other = max((m.machine_busy_s - m.cpu_s - m.sim_cpu_s) / m.wall_s for m in everything)
    if other > BACKGROUND_CORES:
        print(
            f"  NOTE: other processes used up to {other:.2f} cores during these runs: the machine"
            " was not quiet; the far-limit ratios are per round, back to back, for that reason"
        )
    bench.bar("r", f"{RATE_FAR:,}/s costs < 5% rows/s vs none", speed > 1 - BAR_RATE_COST,
              f"x{speed:.3f}")  # fmt: skip
    bench.bar("r", f"{RATE_FAR:,}/s costs < 5% CPU/row vs none", cpu < 1 + BAR_RATE_COST,
              f"x{cpu:.3f}")  # fmt: skip


# -- main -----------------------------------------------------------------------------------


def ncpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def heading(text: str) -> None:
    print(f"\n{text}\n{'=' * len(text)}", flush=True)


def progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def machine_facts(args: argparse.Namespace) -> str:
    from importlib.metadata import version

    model = ""
    with_cpuinfo = Path("/proc/cpuinfo")
    if with_cpuinfo.exists():
        found = re.search(r"model name\s*:\s*(.+)", with_cpuinfo.read_text(encoding="utf-8"))
        model = found.group(1).strip() if found else ""
    try:
        import uvloop  # noqa: F401

        engine_loop = "uvloop (engine.run_sync picks it when installed)"
    except ImportError:
        engine_loop = "asyncio (uvloop not installed)"
    packages = ", ".join(
        f"{name} {version(name)}"
        for name in ("aiohttp", "anyio", "orjson", "uvloop", "rescheduler")
    )
    return "\n".join(
        [
            f"machine: {ncpus()} cores ({model or platform.processor() or '?'}), "
            f"{psutil.virtual_memory().total / 2**30:.1f} GiB, "
            f"{platform.system()} {platform.release()}",
            f"python:  {platform.python_version()} ({sys.executable})",
            f"         {packages}",
            f"loops:   rescheduler: {engine_loop}; bare: plain asyncio and uvloop",
            f"setup:   concurrency {args.concurrency}; simulator: {args.sim_processes} processes "
            "(SO_REUSEPORT, --accept-any), same machine, loopback",
            "measure: rows/s = rows / wall time of the client process (start-up included); CPU "
            "and peak RSS from wait4() of that process;",
            "         latency per request in the client around sign + POST + read (rescheduler: "
            "timed_run.py wraps Transport.send)",
        ]
    )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    parser.add_argument(
        "--scenarios", default="a,b,c,d,x,r", help="comma-separated subset of a,b,c,d,x,r"
    )
    parser.add_argument("--rows-x", type=int, help="rows for (x) (default 100,000; quick 10,000)")
    parser.add_argument(
        "--xlsx-big", action="store_true",
        help=f"(x) also validate a {XLSX_MAX_ROWS + 1:,}-row sheet for peak RSS (slow)",
    )  # fmt: skip
    parser.add_argument(
        "--xlsx-baseline", type=Path, metavar="DIR",
        help="(x) also run 0.1's validate from this source checkout (e.g. a worktree of v0.1)",
    )  # fmt: skip
    parser.add_argument("--rows-a", type=int, help="rows for (a) (default 50,000; quick 5,000)")
    parser.add_argument("--rows-b", type=int, help="rows for (b) (default 20,000; quick 2,000)")
    parser.add_argument("--rows-c-validate", type=int, help="rows for (c) validate (1,000,000)")
    parser.add_argument("--rows-c-run", type=int, help="rows for (c) full run (200,000)")
    parser.add_argument("--repeat-a", type=int, help="runs per client in (a) (default 3)")
    parser.add_argument("--repeat-b", type=int, help="runs per client in (b) (default 1)")
    parser.add_argument(
        "--repeat-x", type=int, help="runs per client in (x), taking the median (default 3)"
    )
    parser.add_argument("--repeat-r", type=int, help="far limit vs none in (r) (default 5)")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--sim-processes", type=int, default=2, help="simulator processes")
    parser.add_argument(
        "--no-latency-wrapper",
        action="store_true",
        help="run rescheduler as plain 'python -m rescheduler' (no latency percentiles)",
    )
    parser.add_argument("--workdir", type=Path, default=ROOT / "bench-out")
    parser.add_argument("--keep", action="store_true", help="keep the generated CSV files")
    parser.add_argument(
        "--run-flags",
        default="--no-snapshot",
        help="flags for rescheduler run (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    RUN_FLAGS[:] = args.run_flags.split()
    quick = args.quick
    defaults = {
        "rows_a": 5_000 if quick else 50_000,
        "rows_b": 2_000 if quick else 20_000,
        "rows_c_validate": 100_000 if quick else 1_000_000,
        "rows_c_run": 20_000 if quick else 200_000,
        "rows_x": 10_000 if quick else 100_000,
        "repeat_a": 1 if quick else 3,
        "repeat_b": 1,
        "repeat_r": 1 if quick else 5,
        "repeat_x": 1 if quick else 3,
    }
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    args.scenarios = {s.strip() for s in args.scenarios.split(",") if s.strip()}
    unknown = args.scenarios - set("abcdxr")
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    bench = Bench(
        args.workdir.resolve(),
        args.sim_processes,
        args.concurrency,
        latency_wrapper=not args.no_latency_wrapper,
    )
    started = time.monotonic()
    print(machine_facts(args), flush=True)
    try:
        if "a" in args.scenarios:
            bench.scenario_a(args.rows_a, args.repeat_a)
        if "b" in args.scenarios:
            bench.scenario_b(args.rows_b, args.repeat_b)
        if "c" in args.scenarios:
            bench.scenario_c(args.rows_c_validate, args.rows_c_run)
        if "d" in args.scenarios:
            bench.scenario_d(5 if not args.quick else 3)
        if "x" in args.scenarios:
            bench.scenario_x(args.rows_x, args.xlsx_big, args.xlsx_baseline, args.repeat_x)
        if "r" in args.scenarios:
            scenario_r(bench, args.quick, args.repeat_r)
    finally:
        if not args.keep:
            for path in [*bench.workdir.glob("rows-*.csv"), *bench.workdir.glob("rows-*.xlsx")]:
                path.unlink()
    heading("bars")
    if args.quick:
        print("  --quick: sizes too small to judge the bars (start-up dominates); a smoke run only")
    for b in bench.bars:
        print(f"  ({b.scenario}) {b.text:<48} {b.measured:>10}  {mark(b.met)}")
    print(f"\n  total bench time {time.monotonic() - started:.0f} s")
    return 0 if all(b.met for b in bench.bars if not b.text.startswith("aim")) else 1


if __name__ == "__main__":
    sys.exit(main())
