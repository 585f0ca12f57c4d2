"""Shared fixtures. Async tests use anyio's pytest plugin on the asyncio backend."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import settings

# Property tests run the same examples every time (CI must not find a new case on its own:
# a failure is reproduced by running the suite again); a developer can still explore with
# HYPOTHESIS_PROFILE=explore.
settings.register_profile("repeatable", derandomize=True, database=None)
settings.register_profile("explore", max_examples=2_000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def english(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test starts in English, whatever the machine's locale (the CLI reads LANG), and
    a test that switches language (``--lang``, ``set_language``) cannot leak it to the next."""
    from rescheduler.i18n import use_language

    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    with use_language("en"):
        yield


@pytest.fixture(autouse=True)
def signals_left_as_found() -> Iterator[None]:
    """A test that leaves Ctrl-C or SIGTERM handled otherwise fails (and the handlers are put
    back): a leaked ``SIG_IGN`` is inherited by every process a later test starts, which then
    cannot be stopped."""
    import signal

    watched = (signal.SIGINT, signal.SIGTERM)
    before = {signum: signal.getsignal(signum) for signum in watched}
    yield
    after = {signum: signal.getsignal(signum) for signum in watched}
    for signum, handler in before.items():
        signal.signal(signum, handler)
    assert after == before, f"signal handlers changed by the test: {before} -> {after}"
