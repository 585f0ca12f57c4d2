"""What the check and the run workers share: how they are started, bounded and heard.

The server process never reads an uploaded file: a check (``checkjob.py``) and a run
(``runjob.py``) each run in a process of their own, started by ``spawn`` with

* an environment made from an allow-list (``worker_env``): the secret key, the access key and
  whatever else the server's environment holds stay out of ``/proc/<pid>/environ`` of a
  process that parses hostile files (a run gets its credentials through its stdin pipe);
* the request pickled on stdin, JSON lines back on stdout (``lines`` reads them without
  trusting their length), stderr read as it comes so a chatty worker never blocks.

In the worker, ``limit_self`` caps the address space, the size of any file it writes
(``RLIMIT_FSIZE``: a write past it fails with ``EFBIG``, the worker is not killed), optionally
CPU seconds, and lowers its priority (nice 5), so the pages stay responsive.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

MB = 1_000_000
NICENESS = 5  # the server (nice 0) gets about three times the CPU of a worker when both want it
LINE_LIMIT = 1 << 20  # one line of a worker's stdout or stderr
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])
# What a worker may inherit from the server's environment; nothing else (no keys, no tokens).
_KEEP = frozenset(
    {"PATH", "HOME", "LANG", "LANGUAGE", "TZ", "TMPDIR", "TEMP", "TMP", "USER", "LOGNAME",
     "VIRTUAL_ENV", "SYSTEMROOT", "PYTHONHASHSEED", "PYTHONIOENCODING", "PYTHONUTF8",
     "PYTHONDONTWRITEBYTECODE", "PYTHONPATH"}
)  # fmt: skip


def worker_env(environ: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a worker: the allow-listed variables and the locale's LC_*."""
    source = os.environ if environ is None else environ
    env = {k: v for k, v in source.items() if k in _KEEP or k.startswith("LC_")}
    env["MALLOC_ARENA_MAX"] = "2"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [_PACKAGE_ROOT, env.get("PYTHONPATH")]))
    return env


async def spawn(module: str) -> asyncio.subprocess.Process:
    """``python -m <module>`` with pipes on all three streams and the scrubbed environment."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        module,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=worker_env(),
        limit=LINE_LIMIT,
    )


async def lines(stream: asyncio.StreamReader) -> AsyncIterator[bytes]:
    """The lines of ``stream`` until its end; a line longer than ``LINE_LIMIT`` is skipped."""
    while True:
        try:
            line = await stream.readline()
        except ValueError:  # longer than the limit: asyncio drops what it buffered
            continue
        if not line:
            return
        yield line


def message(line: bytes) -> dict[str, Any]:
    """One JSON object line of a worker, or {} if it is not one."""
    try:
        data = json.loads(line.decode("utf-8", "replace"))
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


async def kill(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.kill()
    await process.wait()


def killed_by(process: asyncio.subprocess.Process, sig: signal.Signals) -> bool:
    return process.returncode == -sig


# -- in the worker --------------------------------------------------------------------------------
def limit_self(memory_mb: int, file_bytes: int, cpu_s: int | None = None) -> None:
    """Bound this process: memory, the size of each file it writes, CPU time, priority."""
    memory = memory_mb * MB
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_FSIZE, (file_bytes, file_bytes))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG)
    if cpu_s is not None:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + 5))
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C at the server's terminal: its call
    os.nice(NICENESS)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / MB  # Linux: KiB
