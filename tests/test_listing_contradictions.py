"""A listing that contradicts itself (hostile2 H2-1, H2-3), over real sockets.

A server (or a list moving under the pager) can list one reservation twice with different
values while ``totalCount`` still adds up (a page longer than asked). The export took the values
last seen and said "complete"; the snapshot took them for the server's state, so a row became
"already so" (not sent) and the undo file put back the stale values. Now such a sweep is not
complete, and the snapshot takes neither set of values: the row is sent, the undo row is held.

Without ``totalCount`` a short page ended the listing even when a later page had items.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import orjson
from aiohttp import web

from tests.e2e import invoke, read_results, write_config, write_csv
from tests.fakeserver import Fake, fake_server

T0 = 1_925_000_000_000  # 2030-12-31, inside the tests' horizon
OK = {"resultCode": "0200000", "returnCode": "0200000", "resultDesc": "ok", "returnDesc": "ok"}


def reservations(count: int) -> list[dict[str, object]]:
    return [
        {
            "appointId": f"81{n:05d}29926098016859445364892",
            "callType": "1",
            "appointTime": T0 + n * 60_000,
            "userAccount": f"agent{n % 3}",
            "timeout": False,
        }
        for n in range(count)
    ]


@contextmanager
def lister(
    items: list[dict[str, object]], *, stale_copy: bool = False, total: bool = True,
    short: bool = False, cap: int | None = None,
) -> Iterator[tuple[Fake, list[dict[str, object]]]]:  # fmt: skip
    """A list/update server. ``stale_copy``: every page after the first also carries item 0
    with another agent and time; ``short``: pages after the first come back half full;
    ``cap``: no page holds more items than that, whatever was asked."""
    updates: list[dict[str, object]] = []

    async def handle(request: web.Request) -> web.Response:
        body = orjson.loads(await request.read())
        if request.path.endswith("/update"):
            updates.append(body)
            return web.json_response(OK)
        offset, limit = int(body["offset"]), int(body["limit"])
        page = items[offset : offset + min(limit, cap or limit)]
        if short and offset:
            page = page[: len(page) // 2]
        if stale_copy and offset:
            old = copy.deepcopy(items[0])
            old["userAccount"], old["appointTime"] = "stale.agent", T0 + 3_600_000
            page = [*page, old]
        answer: dict[str, object] = {**OK, "data": page}
        if total:
            answer["totalCount"] = len(items)
        return web.json_response(answer)

    with fake_server(handle) as fake:
        yield fake, updates


def test_an_export_whose_listing_contradicts_itself_is_incomplete(tmp_path: Path) -> None:
    with lister(reservations(250), stale_copy=True) as (fake, _updates):
        config = write_config(tmp_path / "c.toml", fake.base_url)
        result = invoke("export", "-c", str(config), "--out", str(tmp_path / "x.csv"))
    assert result.exit_code == 1, result.output
    assert "INCOMPLETE" in result.output


def test_the_snapshot_takes_no_side_when_the_listing_contradicts_itself(tmp_path: Path) -> None:
    items = reservations(250)
    first = str(items[0]["appointId"])
    # the row asks for exactly what the stale copy shows
    rows = [[first, "stale.agent", "", "2031-01-01 11:13:20", ""]]
    write_csv(tmp_path / "in.csv", rows)
    with lister(items, stale_copy=True) as (fake, updates):
        config = write_config(tmp_path / "c.toml", fake.base_url)
        result = invoke("run", str(tmp_path / "in.csv"), "-c", str(config))
    assert result.exit_code == 0, result.output
    [row] = read_results(tmp_path / "in.results.csv")
    assert (row["status"], row["error_code"]) == ("succeeded", "")  # sent, not "already so"
    assert [u["appointId"] for u in updates] == [first]
    undo = read_results(tmp_path / "in.undo.csv") if (tmp_path / "in.undo.csv").exists() else []
    assert all(u["userAccount"] != "stale.agent" for u in undo)  # never the stale values
    assert all(u["can_reschedule"] == "no" for u in undo)  # its earlier values are unknown


def test_without_total_count_a_short_page_followed_by_items_is_incomplete(
    tmp_path: Path,
) -> None:
    with lister(reservations(250), total=False, short=True) as (fake, _updates):
        config = write_config(tmp_path / "c.toml", fake.base_url)
        result = invoke("export", "-c", str(config), "--out", str(tmp_path / "x.csv"))
    assert result.exit_code == 1, result.output
    assert "INCOMPLETE" in result.output


def test_without_total_count_a_listing_that_ends_short_is_still_unchecked(tmp_path: Path) -> None:
    with lister(reservations(250), total=False) as (fake, _updates):
        config = write_config(tmp_path / "c.toml", fake.base_url)
        result = invoke("export", "-c", str(config), "--out", str(tmp_path / "x.csv"))
    assert result.exit_code == 0, result.output
    assert "completeness could not be checked" in result.output
    assert len(read_results(tmp_path / "x.csv")) == 250


def test_without_total_count_a_server_that_caps_its_pages_is_followed(tmp_path: Path) -> None:
    """A server that gives 40 items to a page of 100 and no totalCount: the listing stopped
    after the first page (40 of 250 written, exit 0)."""
    with lister(reservations(250), total=False, cap=40) as (fake, _updates):
        config = write_config(tmp_path / "c.toml", fake.base_url)
        result = invoke("export", "-c", str(config), "--out", str(tmp_path / "x.csv"))
    assert result.exit_code == 0, result.output
    assert "pages of 40" in result.output  # the summary: "listing: 8 requests, pages of 40"
    assert len(read_results(tmp_path / "x.csv")) == 250
