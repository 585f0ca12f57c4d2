"""TLS: the server's certificate is verified by default; ``server.ca_file`` trusts a private CA."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from pathlib import Path

import anyio
import pytest

from rescheduler.config import AuthConfig, Config, InputConfig, Secret, SendConfig, ServerConfig
from rescheduler.engine import run
from rescheduler.errors import CertificateRejected
from rescheduler.job import Job, RunResult
from rescheduler.simulator.server import running_simulator
from tests.e2e import AK, SK, read_results, sim, simple_rows, store_of, write_csv

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")


def self_signed(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def run_against_tls(
    tmp_path: Path, ca_file: Path | None, verify: bool = True, rows: int = 3, attempts: int = 1
) -> tuple[RunResult, int]:
    """Run ``rows`` rows against the simulator over HTTPS; (result, requests it answered)."""
    cert, key = self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    write_csv(tmp_path / "in.csv", simple_rows(rows))

    async def main() -> tuple[RunResult, int]:
        async with running_simulator(sim(), store_of(rows), ssl_context=context) as server:
            assert server.base_url.startswith("https://127.0.0.1:")
            config = Config(
                server=ServerConfig(
                    base_url=server.base_url,
                    verify_tls=verify,
                    ca_file=cert if ca_file is not None else None,
                    timeout_s=5,
                ),
                auth=AuthConfig(access_key=AK, secret_key=Secret(SK)),
                send=SendConfig(
                    concurrency=2, max_attempts=attempts, backoff_base_s=0.01, backoff_cap_s=0.02
                ),
                input=InputConfig(timezone="UTC", max_days_ahead=3660),
            )
            result = await run(Job(input_path=tmp_path / "in.csv", config=config))
            return result, server.stats.total_requests

    return anyio.run(main)


def test_untrusted_certificate_stops_the_run_at_once_with_a_hint(tmp_path: Path) -> None:
    """Issue 9, item 13: not retried as if transient; every other row would fail the same way,
    so the run stops like on a 401 (exit 3), the rest of the rows ``not_sent``."""
    result, answered = run_against_tls(tmp_path, ca_file=None, rows=40, attempts=5)
    rows = read_results(tmp_path / "in.results.csv")
    assert len(rows) == 40
    failed = [r for r in rows if r["status"] == "failed"]
    assert 1 <= len(failed) <= 2  # the rows already on their way (concurrency 2)
    assert all(r["attempts"] == "1" for r in failed)  # final at once: never retried
    assert all("set server.ca_file" in r["error"] for r in failed)
    assert [r["status"] for r in rows].count("not_sent") == 40 - len(failed)
    assert answered == 0  # no request got through
    assert isinstance(result.aborted, CertificateRejected)
    assert "server.ca_file" in str(result.aborted)
    assert result.exit_code == 3


def test_private_ca_file_is_trusted(tmp_path: Path) -> None:
    result, _ = run_against_tls(tmp_path, ca_file=tmp_path / "cert.pem")
    rows = read_results(tmp_path / "in.results.csv")
    assert {r["status"] for r in rows} == {"succeeded"}
    assert result.exit_code == 0
