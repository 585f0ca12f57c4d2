"""The process ends with its exit code even when a library thread would hold it at shutdown.

Once a run's outcome stands, Ctrl-C and SIGTERM are ignored (``cliends.ignore_signals``), so a
non-daemon thread that never ends (an idle AnyIO worker left by an interrupted event loop was
seen) used to keep the process alive for ever: only SIGKILL could end it.
"""

from __future__ import annotations

import subprocess
import sys
import time

SCRIPT = """
import threading
from rescheduler import cliends

cliends.OWN_PROCESS["on"] = True
cliends.EXIT_GRACE_S = {grace}
threading.Thread(target=threading.Event().wait, name="stuck").start()  # never ends
cliends.leave(3)
"""


def test_a_thread_that_never_ends_does_not_hold_the_exit() -> None:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(grace=0.2)], capture_output=True, timeout=60
    )
    assert done.returncode == 3, done.stderr
    assert time.monotonic() - started < 60


def test_without_a_stuck_thread_the_exit_is_immediate_and_the_code_stands() -> None:
    script = SCRIPT.format(grace=30).replace(
        'threading.Thread(target=threading.Event().wait, name="stuck").start()  # never ends\n', ""
    )
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert done.returncode == 3, done.stderr
    assert time.monotonic() - started < 25  # did not sit out the 30 s grace
