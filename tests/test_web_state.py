"""The page reads the server: current -> new in the preview, "Get current reservations"."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from rescheduler.simulator.store import MANUAL, Reservation
from tests.e2e import AK, SK
from tests.webtools import (
    PASSWORD,
    add_user,
    cheap_passwords,  # noqa: F401  (autouse fixture)
    csrf_in,
    page_text,
    sign_in,
    site,
    table_rows,
    upload,
)

pytestmark = pytest.mark.anyio


async def test_the_preview_shows_what_the_server_has_now(tmp_path: Path) -> None:
    async with site(tmp_path, sim_knobs={"list_work_no": True}) as (client, simulator, _config):
        same = simulator.store.get("174729926098016859445364890002")  # line 3: already so
        assert same is not None
        same.user_account, same.work_no = "agent.li", "1001"
        same.appoint_time_ms, same.remark = 1894672800000, "Callback requested after 10:00"
        csrf = await sign_in(client)
        run_path = await upload(client, csrf)
        page = await (await client.get(run_path)).text()
        updates = simulator.store.total_updates
    assert updates == 0  # reading is all the check does
    assert "Current values as the iSales server has them now: 10 of these 10 rows found" in (
        page_text(page)
    )
    rows = table_rows(page, "sample")
    assert rows[0][:6] == [
        "Line", "appointId", "Agent (userAccount)", "New time", "Remark", "On the server now"
    ]  # fmt: skip
    assert rows[1][2] == "agent.old → agent.li"
    assert rows[1][3] == "2030-01-01 08:00:00 → 2030-01-15 09:30 CST"
    assert rows[1][4] == "— → 客户要求改到上午回访"  # the remark was empty
    assert rows[1][5] == "will change"
    assert rows[2][5] == "already so: not sent"
    assert SK not in page
    assert AK not in page


async def test_get_current_reservations_downloads_an_export(tmp_path: Path) -> None:
    async with site(tmp_path) as (client, simulator, config):
        simulator.store.add(
            Reservation("900", MANUAL, "zhao.lei", "", 1894672800000, "call back")
        )
        csrf = await sign_in(client)
        upload_page = await (await client.get("/upload")).text()
        assert "Get current reservations" in upload_page
        response = await client.post(
            "/export", data={"csrf": csrf, "agents": "zhao.lei, nobody", "format": "xlsx"}
        )
        assert response.status == 200, await response.text()
        data = await response.read()
        bad = await client.post("/export", data={"csrf": csrf, "from": "2030-02-30 10:00"})
        bad_text = page_text(await bad.text())
        add_user(config, "vera")
        assert config.web.data_dir is not None
        from rescheduler.web.roles import Role
        from rescheduler.web.store import Store

        store = Store(config.web.data_dir)
        store.set_role("vera", Role.VIEWER)
        store.close()
        await client.post("/logout", data={"csrf": csrf})
        login = csrf_in(await (await client.get("/login")).text())
        signed = await client.post(
            "/login", data={"csrf": login, "name": "vera", "password": PASSWORD, "next": "/runs"}
        )
        viewer = csrf_in(await signed.text())
        refused = await client.post("/export", data={"csrf": viewer, "agents": "zhao.lei"})
        exports = config.web.data_dir / "exports"
        assert simulator.store.total_updates == 0
    assert response.headers["Content-Disposition"].startswith('attachment; filename="reservat')
    sheet = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert [row[0] for row in rows[1:]] == ["900"]
    assert rows[1][header.index("remark")] == "call back"
    assert rows[1][header.index("can_reschedule")] == "yes"
    assert bad.status == 400
    assert "From: '2030-02-30 10:00' is not a real date and time" in bad_text
    assert refused.status == 403
    assert list(exports.iterdir()) == []  # streamed, then removed


async def test_an_export_that_never_holds_still_is_not_handed_out(tmp_path: Path) -> None:
    """hostile2 H2-14: the page streamed an INCOMPLETE listing as an ordinary download."""
    page_of_two = "\n[list]\npage_size = 2\n"
    async with site(tmp_path, web=page_of_two) as (client, simulator, config):
        added = 0

        def keep_adding(_query: object) -> None:  # every page: one more reservation in front
            nonlocal added
            added += 1
            simulator.store.add(Reservation(f"{added:030d}", MANUAL, "zhao.lei", "", 1, ""))

        simulator.simulator.on_list = keep_adding
        csrf = await sign_in(client)
        response = await client.post("/export", data={"csrf": csrf, "format": "csv"})
        text = page_text(await response.text())
    assert response.status == 409
    assert "changed while they were read" in text
    assert "Content-Disposition" not in response.headers
    assert config.web.data_dir is not None
    assert list((config.web.data_dir / "exports").iterdir()) == []
