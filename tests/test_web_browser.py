"""A supervisor's whole visit in a real headless Chromium, in English and in Chinese: sign in,
switch the language, a header-only file that cannot be started, upload, preview (and the
Start button on a phone's first screen), start, stop (the rows not sent said, the bar not full),
resume (the job reads as all rows done), download, the history on a phone, and a check of a
200,000-row sheet that shows its progress and is cancelled.

Debian's ``chromium`` is driven by Playwright with ``executable_path`` (Playwright's own browser
download is not used). Without Chromium or Playwright the test is skipped, except under CI
(``CI`` set), where ``.ci/run`` installs both and a skip would hide a broken page.

``RESCHEDULER_SCREENSHOTS=DIR`` saves a screenshot of each step, in each language, into DIR
(the README's pictures: ``docs/screenshots``).
"""

from __future__ import annotations

import io
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from rescheduler.simulator.store import Reservation, Store
from tests.e2e import appoint_id, simple_rows, write_csv
from tests.webthread import web_thread
from tests.webtools import (
    NAME,
    PASSWORD,
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


# What the supervisor reads, in each language (the same page, the catalog's words).
WORDS: dict[str, dict[str, Any]] = {
    "en-US": {
        "sign_in": "Sign in",
        "upload": "Upload and check",
        "history": "History",
        "ready": "checked, not sent",
        "finished": "finished",
        "stopped": "stopped",
        "cancelled": "check cancelled",
        "not_sent": "Not sent",
        "nothing": "This file has no rows, only headers",
        "all_done": re.compile(r"40 of 40 rows rescheduled\s+\((\d+) in the first attempt\)"),
        "progress": re.compile(
            r"(Reading the file: [\d,]+ rows so far|Checking the rows: [\d,]+ of 200,000)"
        ),
        "other": "中文",
        "other_history": "历史记录",
    },
    "zh-CN": {
        "sign_in": "登录",
        "upload": "上传并检查",
        "history": "历史记录",
        "ready": "已检查，未发送",
        "finished": "已完成",
        "stopped": "已停止",
        "cancelled": "检查已取消",
        "not_sent": "未发送",
        "nothing": "该文件只有标题行，没有数据行",
        "all_done": re.compile(r"已改约 40 行，共 40 行\s*（其中 (\d+) 行在第一次发送时完成）"),
        "progress": re.compile(r"(正在读取文件：已读取 [\d,]+ 行|正在检查各行：[\d,]+ / 200,000)"),
        "other": "English",
        "other_history": "History",
    },
}
ROWS = 40
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1000, "height": 700}


BOOKED_MS = 1929938400000  # 2031-02-27 14:00 in Asia/Shanghai: what the server holds now


def booked(count: int) -> Store:
    """Reservations the server holds before the run, with an agent, a time and a remark (the
    preview's current -> new, as in the README's pictures)."""
    return Store(
        Reservation(
            appoint_id=appoint_id(n),
            user_account=f"agent{(n + 3) % 7}",
            appoint_time_ms=BOOKED_MS + 1_800_000 * n,
            remark="call back",
        )
        for n in range(1, count + 1)
    )


@pytest.mark.parametrize("locale", list(WORDS))
def test_a_supervisor_in_each_language(tmp_path: Path, locale: str) -> None:
    """Issue 11: the supervisor's path in zh-CN and in en, asserting what they read."""
    sync_playwright = _browser_or_skip()
    knobs = {"latency_ms": 150}
    with (
        web_thread(tmp_path, sim_knobs=knobs, concurrency=2, store=booked(ROWS)) as server,
        sync_playwright() as playwright,
    ):
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=CHROMIUM,
            args=ARGS,
            headless=True,
            accept_downloads=True,
            viewport=DESKTOP,
            locale=locale,
            timezone_id="Asia/Shanghai",
        )
        try:
            page = context.new_page()
            page.set_default_timeout(45_000)  # generous: a loaded CI machine, never a timing bar
            _visit(page, server.url, tmp_path, locale)
        finally:
            context.close()


def _visit(page: Any, url: str, tmp_path: Path, locale: str) -> None:
    from playwright.sync_api import expect

    words = WORDS[locale]
    shot = _shots(page, locale)
    # Sign in, in the browser's language: any page sends a stranger to the sign-in form first.
    page.goto(url + "/runs")
    assert page.url.startswith(url + "/login")
    assert page.inner_text("#sign-in") == words["sign_in"]
    page.fill("input[name=name]", NAME)
    page.fill("input[name=password]", PASSWORD)
    shot("1-sign-in")
    page.click("#sign-in")
    page.wait_for_url(url + "/runs")
    # Switchable on every page, kept with the account.
    page.click("#lang-" + ("zh-CN" if locale == "en-US" else "en"))
    expect(page.locator("header nav")).to_contain_text(words["other_history"])
    page.click("#lang-" + ("en" if locale == "en-US" else "zh-CN"))
    expect(page.locator("header nav")).to_contain_text(words["history"])

    # A header-only file cannot be started.
    header_only = write_csv(tmp_path / "empty.csv", [])
    page.goto(url + "/upload")
    page.set_input_files("input[type=file]", str(header_only))
    page.click("#upload-button")
    expect(page.locator("#nothing-to-send")).to_contain_text(words["nothing"])
    assert page.locator("#start-button").count() == 0

    # A clean file of 40 rows: the preview, and at 390 px the Start button before the data.
    changes = write_csv(tmp_path / "changes.csv", simple_rows(ROWS))
    page.goto(url + "/upload")
    page.set_input_files("input[type=file]", str(changes))
    shot("2-upload")
    page.click("#upload-button")
    expect(page.locator("#state")).to_have_text(words["ready"])
    assert page.inner_text("#to-send") == str(ROWS)
    sample = page.locator("#sample tbody tr").first
    assert appoint_id(1) in sample.inner_text()
    assert sample.locator("time").get_attribute("title") == "2031-03-04 01:30:00 UTC"
    shot("3-preview")
    _primary_action_on_a_phone(page, "#start-button", "#rows-detail")

    # Start, Stop: the rows not sent are said, and the bar is not full.
    page.click("#start-button")
    expect(page.locator("#progress-live, [data-field=rescheduled]").first).not_to_have_text("0")
    shot("4-sending")
    page.click("#stop")
    expect(page.locator("#state")).to_have_text(words["stopped"])
    not_sent = page.locator("#not-sent")
    expect(not_sent).to_be_visible()
    assert words["not_sent"] in not_sent.inner_text()
    assert int(not_sent.locator("dd").inner_text().replace(",", "")) > 0
    bar = page.locator("#bar")
    assert float(bar.get_attribute("value") or 0) < float(bar.get_attribute("max") or 0)

    # Resume: the job reads as all rows done, the bar full.
    page.click("#start-button")
    expect(page.locator("#state")).to_have_text(words["finished"])
    expect(page.locator("#headline")).to_have_text(words["all_done"])
    assert bar.get_attribute("value") == bar.get_attribute("max") == str(ROWS)
    assert page.locator("#download-errors").count() == 0  # nothing to fix: not offered
    shot("5-results")
    _primary_action_on_a_phone(page, "#download-results", "#rows-detail")
    with page.expect_download() as download_info:
        page.click("#download-results")
    download = download_info.value
    assert download.suggested_filename == "changes.results.xlsx"
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(Path(download.path()).read_bytes()), read_only=True)
    cells = list(book.worksheets[0].iter_rows(values_only=True))
    assert len(cells) == 1 + ROWS
    assert cells[1][0] == appoint_id(1)  # all 30 digits, a text cell

    # The history at 390 px: every column there, each cell labelled (no hidden sideways scroll).
    page.click("header nav >> text=" + words["history"])
    shot("6-history")
    page.set_viewport_size(PHONE)
    first = page.locator("table.history tbody tr").first
    assert first.locator("td").count() == 9
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    for cell in first.locator("td").all():
        assert cell.get_attribute("data-label")
    page.set_viewport_size(DESKTOP)

    # A 200,000-row sheet: the check shows its progress and can be cancelled.
    big = write_csv(tmp_path / "big.csv", simple_rows(200_000))
    page.goto(url + "/upload")
    page.set_input_files("input[type=file]", str(big))
    page.click("#upload-button")
    expect(page.locator("#check-progress")).to_have_text(words["progress"], timeout=30_000)
    page.click("#cancel-check")
    expect(page.locator("#state")).to_have_text(words["cancelled"])


def _primary_action_on_a_phone(page: Any, action: str, data: str) -> None:
    """At 390 x 844 the page's primary action is on the first screen, above the data."""
    page.set_viewport_size(PHONE)
    page.evaluate("window.scrollTo(0, 0)")
    button = page.locator(action).bounding_box()
    rows = page.locator(data).bounding_box()
    assert button is not None
    assert rows is not None
    assert button["y"] + button["height"] <= PHONE["height"], button
    assert button["y"] < rows["y"]
    page.set_viewport_size(DESKTOP)


def _shots(page: Any, locale: str) -> Any:
    """``shot(name)``: a screenshot for the README (only with RESCHEDULER_SCREENSHOTS)."""
    prefix = "en" if locale == "en-US" else "zh"

    def shot(name: str) -> None:
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            full = name == "3-preview"  # its table is below the first screen
            page.screenshot(path=str(Path(SHOTS) / f"{prefix}-{name}.png"), full_page=full)

    return shot
