"""Small pure-ish pieces of unattended runs: is the input there, where the record goes, the config
as the record shows it (no secrets), JSON log lines and their rotation, the files registry."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from rescheduler import logs
from rescheduler.config import load_config
from rescheduler.errors import InputFileError, InputMissing
from rescheduler.read.presence import require_input
from rescheduler.write.outputs import Outputs
from rescheduler.write.recordfile import record_path_for
from rescheduler.write.runrecord import config_view

SK = "sk-never-shown-0451"


@pytest.mark.parametrize(
    "content", [b"", b"\xef\xbb\xbf", b"\r\n\r\n  \t\n", b"\xff\xfe \x00\r\x00\n\x00"]
)
def test_empty_inputs_are_missing(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes(content)
    with pytest.raises(InputMissing) as caught:
        require_input(path)
    assert caught.value.exit_code == 4
    assert str(caught.value) == (
        f"the input file {path} is empty — the upstream export did not arrive whole?"
    )


def test_absent_input_is_missing_and_a_header_only_file_is_not(tmp_path: Path) -> None:
    with pytest.raises(InputMissing, match=r"does not exist — the upstream export did not"):
        require_input(tmp_path / "nope.csv")
    (tmp_path / "header.csv").write_text("appointId,userAccount\n", encoding="utf-8")
    assert require_input(tmp_path / "header.csv") == 22
    with pytest.raises(InputFileError) as caught:
        require_input(tmp_path)
    assert caught.value.exit_code == 2


def test_record_sits_beside_the_results() -> None:
    assert record_path_for(Path("/in/changes.csv"), None) == Path("/in/changes.run.json")
    assert record_path_for(Path("/in/c.csv"), Path("/out/r.xlsx")) == Path("/out/r.run.json")
    assert record_path_for(Path("/in/c.csv"), Path("/o/x.Results.csv")) == Path("/o/x.run.json")
    dry = record_path_for(Path("/in/changes.csv"), None, dry_run=True)
    assert dry == Path("/in/changes.validation.run.json")  # never the run's record


def test_config_view_hides_every_secret(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(
        '[auth]\naccess_key = "the-ak"\n[notify]\nformat = "dingtalk"\n'
        'url = "https://oapi.dingtalk.com/robot/send?access_token=tok-123"\nsecret = "SEC-456"\n',
        encoding="utf-8",
    )
    config = load_config(path, environ={"RESCHEDULER_SECRET_KEY": SK})
    view = config_view(config)
    text = json.dumps(view)
    for secret in (SK, "tok-123", "SEC-456"):
        assert secret not in text
    assert view["auth"]["access_key"] == "the-ak"
    assert view["auth"]["secret_key"] == "***"
    assert view["notify"]["url_shown"] == "https://oapi.dingtalk.com/***"
    assert view["notify"]["secret"] == "***"
    assert config_view(config, hide_access_key=True)["auth"]["access_key"] == "***"


def test_secret_key_file_from_the_systemd_credentials_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "secret_key").write_text(SK, encoding="utf-8")
    (tmp_path / "secret_key").chmod(0o400)
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(tmp_path))
    path = tmp_path / "c.toml"
    path.write_text('[auth]\nsecret_key_file = "${CREDENTIALS_DIRECTORY}/secret_key"\n', "utf-8")
    config = load_config(path, environ={})
    assert config.auth.secret_key is not None
    assert config.auth.secret_key.reveal() == SK


def test_outputs_lists_existing_files_once(tmp_path: Path) -> None:
    outputs = Outputs()
    (tmp_path / "a").write_text("x", encoding="utf-8")
    outputs.add("results", tmp_path / "a")
    outputs.add("results", tmp_path / "a")
    outputs.add("journal", None)
    outputs.add("errors", tmp_path / "never-written")
    assert outputs.existing() == [("results", tmp_path / "a")]


def test_json_log_lines_and_rotation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(logs, "MAX_BYTES", 2000)
    log_file = tmp_path / "nightly.log"
    logs.setup_logging(stderr=False, log_file=log_file, fmt="json")
    try:
        log = logging.getLogger("rescheduler")
        log.info("run %s: exit %d", "c.csv", 1, extra={"event": "run.ended", "rows": {"x": 1}})
        first = json.loads(log_file.read_text(encoding="utf-8").splitlines()[0])
        assert first["event"] == "run.ended"
        assert first["message"] == "run c.csv: exit 1"
        assert first["level"] == "info"
        assert first["rows"] == {"x": 1}
        assert first["time"].endswith("Z")
        for n in range(100):
            log.warning("line %d", n)
    finally:
        logs.teardown_logging()
    rotated = sorted(p.name for p in tmp_path.iterdir())
    assert rotated[:2] == ["nightly.log", "nightly.log.1"]
    assert len(rotated) <= 1 + logs.BACKUPS
    for path in tmp_path.iterdir():
        for line in path.read_text(encoding="utf-8").splitlines():
            assert json.loads(line)["logger"] == "rescheduler"


def test_a_command_without_an_input_file_gets_a_record_too(tmp_path: Path) -> None:
    """The hook for `rescheduler export` (not on main yet): no input, its own files."""
    from rescheduler.finish import RunReporter
    from tests.recordcheck import valid_record

    out = tmp_path / "export.csv"
    out.write_text("appointId\n", encoding="utf-8")
    reporter = RunReporter(
        "export", None, record_path=tmp_path / "export.run.json", metrics_path=tmp_path / "m.prom"
    )
    reporter.measure_input()
    reporter.outputs.add("export", out)
    record = valid_record(reporter.complete_sync(reporter.facts(0, requests=3)))
    assert record == valid_record(tmp_path / "export.run.json")
    assert record["input"] is None
    assert record["command"] == "export"
    assert record["requests"] == {"sent": 3, "retries": None}
    assert [f["kind"] for f in record["files"]] == ["export", "metrics", "run_record"]
    assert (tmp_path / "m.prom").read_text(encoding="utf-8").count('command="export"') == 1
    with pytest.raises(ValueError, match="needs a record_path"):
        RunReporter("export", None)
