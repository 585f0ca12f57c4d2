"""A supervisor's whole visit in a real headless Chromium: sign in, upload, preview, start,
watch, download the results and the rows to fix, see the history.

Debian's ``chromium`` is driven by Playwright with ``executable_path`` (Playwright's own browser
download is not used). Without Chromium or Playwright the test is skipped, except under CI
(``CI`` set), where ``.ci/run`` installs both and a skip would hide a broken page.

``RESCHEDULER_SCREENSHOTS=DIR`` saves a screenshot of each step into DIR (the README's
pictures: ``docs/screenshots``); the simulator is then slowed so the progress shows.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.webthread import web_thread
from tests.webtools import (
    NAME,
    PASSWORD,
    SAMPLE,
    cheap_passwords,  # noqa: F401  (autouse fixture)
)

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = os.environ.get("RESCHEDULER_SCREENSHOTS", "")


def _browser_or_skip() -> Any:
    """Playwright's ``sync_playwright``, or a skip (a failure under CI)."""
    missing = ""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing = "playwright is not installed"
    if not missing and not (Path(CHROMIUM).is_file() or shutil.which("chromium")):
        missing = f"{CHROMIUM} is missing (apt-get install chromium)"
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"the browser test must run in CI: {missing}")
        pytest.skip(missing)
    return sync_playwright


def _shot(page: Any, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / name), full_page=True)


def test_a_supervisor_from_sign_in_to_downloaded_results(tmp_path: Path) -> None:
    sync_playwright = _browser_or_skip()
    knobs = {"latency_ms": 250} if SHOTS else {}
    concurrency = 2 if SHOTS else 4
    with (
        web_thread(tmp_path, sim_knobs=knobs, concurrency=concurrency) as server,
        sync_playwright() as playwright,
    ):
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=CHROMIUM,
            args=ARGS,
            headless=True,
            accept_downloads=True,
            viewport={"width": 1000, "height": 600},
            locale="en-US",
            timezone_id="Asia/Shanghai",
        )
        try:
            page = context.new_page()
            page.set_default_timeout(15_000)
            _visit(page, server.url, tmp_path)
        finally:
            context.close()


def _visit(page: Any, url: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    # Sign in: any page sends a stranger to the sign-in form first.
    page.goto(url + "/runs")
    assert page.url.startswith(url + "/login")
    page.fill("input[name=name]", NAME)
    page.fill("input[name=password]", PASSWORD)
    _shot(page, "1-sign-in.png")
    page.click("button:has-text('Sign in')")
    page.wait_for_url(url + "/runs")
    page.goto(url + "/upload")

    # Upload the sample.
    page.set_input_files("input[type=file]", str(SAMPLE))
    _shot(page, "2-upload.png")
    page.click("button:has-text('Upload and check')")

    # The preview: the page polls until the check is done, then shows what would be sent.
    page.wait_for_selector("#preview")
    assert page.inner_text("#encoding") == "utf-8"
    assert page.inner_text("#delimiter") == "comma"
    assert page.inner_text("#timezone") == "Asia/Shanghai"
    assert page.inner_text("#rows") == "20"
    assert page.inner_text("#to-send") == "15"
    invalid = page.inner_text("#invalid-rows")
    assert "appointTime" in invalid
    assert "is in the past" in invalid
    assert "/rest/isales/v1/openapi/campaigns/1/appoint/update" in page.inner_text(".samples")
    _shot(page, "3-preview.png")

    # Start, and watch: the page reloads itself when the run ends.
    page.click("#start-button")
    if SHOTS:  # halfway (the page's CSP forbids eval, so no wait_for_function)
        expect(page.locator("#progress [data-field=done]")).to_have_text(re.compile(r"9|1\d"))
        _shot(page, "4-sending.png")
    expect(page.locator("#state")).not_to_have_text("checked, not sent")
    page.reload()  # the page reads the run's state from the server: nothing is lost
    page.wait_for_selector("#download-results")
    assert page.inner_text("#state") == "finished"
    assert page.inner_text("[data-field=succeeded]") == "12"
    assert page.inner_text("[data-field=failed]") == "3"
    _shot(page, "5-results.png")

    # Download the results and the rows to fix; check their content.
    with page.expect_download() as download_info:
        page.click("#download-results")
    download = download_info.value
    assert download.suggested_filename == "changes.results.csv"
    results = _read_csv(Path(download.path()))
    assert len(results) == 20
    statuses = [r["status"] for r in results]
    assert statuses.count("succeeded") == 12
    assert statuses.count("failed") == 3
    assert statuses.count("invalid") == 4
    assert results[0]["appointId"] == "174729926098016859445364890001"
    assert results[0]["resultCode"] == "0200000"
    with page.expect_download() as download_info:
        page.click("#download-errors")
    errors = _read_csv(Path(download_info.value.path()))
    assert sorted(int(r["line"]) for r in errors) == [14, 15, 16, 17, 18, 19, 21]

    # The history lists the run: who, which file, the counts.
    page.click("nav >> text=History")
    row = page.inner_text("table.history tbody tr")
    assert NAME in row
    assert "changes.csv" in row
    assert "finished" in row
    _shot(page, "6-history.png")


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))
