"""The last resort (issue 9, item 14): a bug ends in one line, never in a traceback.

Bugs are planted with ``monkeypatch`` in our own code (never in aiohttp) at three depths: below
the pool (the transport's answer classifier), above it (the summary, called for every row
written) and before sending (the first pass). Each time the run ends in one line saying what
happened, where the report is and where the details are; the report holds every row once
wherever sending had started; the traceback is only in the crash log or with ``--debug``;
and neither ever holds the secret key or a request signature.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import pytest

from rescheduler import cli as cli_module
from rescheduler import cliends
from rescheduler.send import answers, transport
from rescheduler.write import summary
from tests.e2e import (
    SK,
    by_line,
    invoke,
    read_results,
    serving,
    simple_rows,
    store_of,
    write_config,
    write_csv,
)

SIGNATURE = "auth-v2/test-ak/2026-01-01T00:00:00Z/host/0123456789abcdef"
COUNT = 60


def planted(after: int, real: object) -> object:
    """``real``, but the call number ``after`` raises a bug whose text holds secrets."""
    calls = {"n": 0}

    def buggy(*args: object, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] == after:
            raise ValueError(f"boom with {SK} and Authorization: {SIGNATURE}")
        return real(*args, **kwargs)  # type: ignore[operator]

    return buggy


def check_one_line(output: str, *, code_word: str) -> str:
    lines = [line for line in output.splitlines() if line.startswith("rescheduler: error:")]
    assert len(lines) == 1, output
    assert "Traceback" not in output
    assert SK not in output
    assert "0123456789abcdef" not in output
    assert code_word in lines[0]
    return lines[0]


def check_complete(path: Path) -> dict[int, dict[str, str]]:
    rows = by_line(read_results(path))
    assert sorted(rows) == list(range(2, COUNT + 2))  # every row, each once
    return rows


def check_crash_log(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert "Traceback" in text
    assert "ValueError: boom with ***" in text
    assert SK not in text
    assert "0123456789abcdef" not in text
    assert path.stat().st_mode & 0o077 == 0  # the owner's only


def test_a_bug_below_the_pool_fails_its_row_and_completes_the_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(transport, "classify", planted(10, answers.classify))
    write_csv(tmp_path / "in.csv", simple_rows(COUNT))
    with serving(store_of(COUNT)) as sim:
        config = write_config(tmp_path / "c.toml", sim.base_url, concurrency=2)
        result = invoke("run", str(tmp_path / "in.csv"), "-c", str(config))
    assert result.exit_code == 3  # requests were sent
    line = check_one_line(result.output, code_word="internal error (ValueError: boom with ***")
    assert "in.results.crash.log" in line
    assert "--debug" in line
    rows = check_complete(tmp_path / "in.results.csv")
    statuses = [r["status"] for r in rows.values()]
    assert statuses.count("succeeded") >= 9
    crashed = [r for r in rows.values() if "internal error while sending this row" in r["error"]]
    assert len(crashed) == 1
    assert "(ValueError)" in crashed[0]["error"]
    assert "boom" not in crashed[0]["error"]  # the bug's own text never reaches the report
    assert statuses.count("not_sent") > 0
    check_crash_log(tmp_path / "in.results.crash.log")


def test_a_bug_above_the_pool_still_completes_the_report_from_the_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(summary.Summary, "add", planted(20, summary.Summary.add))
    write_csv(tmp_path / "in.csv", simple_rows(COUNT))
    with serving(store_of(COUNT)) as sim:
        config = write_config(tmp_path / "c.toml", sim.base_url, concurrency=2)
        result = invoke("run", str(tmp_path / "in.csv"), "-c", str(config))
        applied = sim.store.total_updates
    assert result.exit_code == 3
    line = check_one_line(result.output, code_word="internal error (ValueError")
    assert "holds every row" in line
    assert "--resume" in line
    rows = check_complete(tmp_path / "in.results.csv")
    statuses = [r["status"] for r in rows.values()]
    assert statuses.count("succeeded") <= applied  # no row claims an update not applied
    assert "not_sent" in statuses
    filled = [r for r in rows.values() if "stopped on an internal error" in r["error"]]
    assert filled
    assert all("(ValueError)" in r["error"] and "boom" not in r["error"] for r in filled)
    check_crash_log(tmp_path / "in.results.crash.log")
    # --resume finishes the rows the bug left (the bug is gone now).
    monkeypatch.undo()
    with serving(store_of(COUNT)) as sim:
        config = write_config(tmp_path / "c.toml", sim.base_url, concurrency=2)
        again = invoke("run", str(tmp_path / "in.csv"), "-c", str(config), "--resume")
    assert again.exit_code == 0, again.output


def test_with_debug_the_traceback_is_shown_scrubbed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(transport, "classify", planted(3, answers.classify))
    write_csv(tmp_path / "in.csv", simple_rows(COUNT))
    with serving(store_of(COUNT)) as sim:
        config = write_config(tmp_path / "c.toml", sim.base_url, concurrency=2)
        result = invoke("run", str(tmp_path / "in.csv"), "-c", str(config), "--debug")
    assert result.exit_code == 3
    assert "Traceback (most recent call last)" in result.output
    assert "ValueError: boom with *** and Authorization: auth-v2/***" in result.output
    assert SK not in result.output
    assert "0123456789abcdef" not in result.output
    assert not (tmp_path / "in.results.crash.log").exists()


def test_a_bug_before_sending_says_nothing_was_sent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rescheduler import rows

    monkeypatch.setattr("rescheduler.engine.pass_one", planted(1, rows.pass_one))
    write_csv(tmp_path / "in.csv", simple_rows(COUNT))
    (tmp_path / "in.results.csv").write_bytes(b"earlier\r\n")
    with serving(store_of(COUNT)) as sim:
        config = write_config(tmp_path / "c.toml", sim.base_url)
        result = invoke("run", str(tmp_path / "in.csv"), "-c", str(config))
        sent = sim.sim.stats.total_requests
    assert result.exit_code == 2
    assert sent == 0
    line = check_one_line(result.output, code_word="nothing was sent")
    assert "internal error (ValueError" in line
    assert (tmp_path / "in.results.csv").read_bytes() == b"earlier\r\n"
    assert not list(tmp_path.glob("*.partial"))
    check_crash_log(tmp_path / "in.results.crash.log")


def test_other_commands_end_in_one_line_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import rescheduler.template

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError(f"template bug near {SK}")

    monkeypatch.setenv("RESCHEDULER_SECRET_KEY", SK)
    monkeypatch.setattr(rescheduler.template, "write_template", broken)
    monkeypatch.setattr(sys, "argv", ["rescheduler", "template", str(tmp_path / "t.xlsx")])
    monkeypatch.setitem(cliends.OWN_PROCESS, "on", False)  # main() sets it: put it back after
    handlers = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        with pytest.raises(SystemExit) as caught:
            cli_module.main()
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
    assert caught.value.code == 2
    err = capsys.readouterr().err
    check_one_line(err, code_word="internal error (RuntimeError: template bug near ***)")
    assert "--debug" in err


def test_scrub_hides_the_secret_and_any_signature(monkeypatch: pytest.MonkeyPatch) -> None:
    from rescheduler.lastresort import scrub

    monkeypatch.setenv("RESCHEDULER_SECRET_KEY", "env-secret-value")
    text = f"a {SK} b env-secret-value c '{SIGNATURE}' d"
    assert scrub(text, [SK]) == "a *** b *** c 'auth-v2/***' d"
    assert scrub("abc", ["", "ab"]) == "abc"  # empty or very short values are not secrets
