"""Shared helpers for the simulator tests (no tests here): a signed loopback client."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import orjson

from rescheduler.send.auth import format_timestamp, sign
from rescheduler.simulator.config import DEMO_ACCESS_KEY, DEMO_SECRET_KEY, SimConfig
from rescheduler.simulator.server import RunningSimulator, running_simulator
from rescheduler.simulator.store import AUTOMATIC, MANUAL, Reservation, Store

JSON = "application/json; charset=UTF-8"


def api_path(vdn: int | str = 1, op: str = "update") -> str:
    return f"/rest/isales/v1/openapi/campaigns/{vdn}/appoint/{op}"


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any  # decoded JSON if the answer was JSON, else the raw bytes
    headers: dict[str, str]


class Client:
    """Signs every request afresh, as the real client must, for a server at ``base_url``."""

    def __init__(self, session: aiohttp.ClientSession, host: str, port: int) -> None:
        self.session = session
        self.authority = f"{host}:{port}"
        self.base_url = f"http://{host}:{port}"
        self.access_key = DEMO_ACCESS_KEY
        self.secret_key = DEMO_SECRET_KEY

    async def post(
        self,
        body: bytes | dict[str, Any] | list[Any],
        *,
        vdn: int | str = 1,
        op: str = "update",
        access_key: str | None = None,
        secret_key: str | None = None,
        age_s: float = 0.0,
        content_type: str = JSON,
        authorization: str | None = None,
        timeout_s: float = 5.0,
    ) -> Answer:
        raw = body if isinstance(body, bytes) else orjson.dumps(body)
        path = api_path(vdn, op)
        if authorization is None:
            authorization = sign(
                access_key=access_key or self.access_key,
                secret_key=secret_key or self.secret_key,
                method="POST",
                path=path,
                headers={"host": self.authority},
                body=raw,
                timestamp=format_timestamp(datetime.now(UTC) - timedelta(seconds=age_s)),
            )
        headers = {"Authorization": authorization, "Content-Type": content_type}
        timeout = aiohttp.ClientTimeout(total=timeout_s)
        async with self.session.post(
            self.base_url + path, data=raw, headers=headers, timeout=timeout
        ) as response:
            data = await response.read()
            decoded: Any = data
            if response.content_type == "application/json":
                decoded = orjson.loads(data)
            return Answer(response.status, decoded, dict(response.headers))

    async def update(self, appoint_id: str, **fields: Any) -> Answer:
        """An update with a userAccount (standard deployment) unless ``fields`` says otherwise."""
        body: dict[str, Any] = {"appointId": appoint_id, "userAccount": "agent007", **fields}
        return await self.post({k: v for k, v in body.items() if v is not None})

    async def get(self, path: str) -> tuple[int, Any]:
        async with self.session.get(self.base_url + path) as response:
            return response.status, orjson.loads(await response.read())


class SimClient(Client):
    """A ``Client`` for an in-process simulator, whose store and stats tests can inspect."""

    def __init__(self, session: aiohttp.ClientSession, sim: RunningSimulator) -> None:
        super().__init__(session, sim.host, sim.port)
        self.sim = sim


def envelope(code: str, desc: str) -> dict[str, str]:
    return {"returnCode": code, "resultCode": code, "resultDesc": desc, "returnDesc": desc}


SUCCESS = envelope("0200000", "update success")
# A reservation's read-only list fields when none were given (``Reservation.to_json``).
NO_CONTEXT = {
    "calledNo": "",
    "taskId": "",
    "taskName": "",
    "taskStatus": "",
    "timeout": False,
    "userName": "",
    "beginTime": None,
    "endTime": None,
}


MANUAL_ID = "174729926098016859445364892091"  # the API reference's example ID
AUTOMATIC_ID = "174729926098016859445364892092"


def sample_store() -> Store:
    """Two known reservations: one manual, one automatic."""
    return Store(
        [
            Reservation(MANUAL_ID, MANUAL, "agent001", "101", 1_749_204_000_000, "first"),
            Reservation(AUTOMATIC_ID, AUTOMATIC, "agent002", "102", 1_749_204_060_000),
        ]
    )


@contextlib.asynccontextmanager
async def serve(
    config: SimConfig | None = None, store: Store | None = None
) -> AsyncIterator[SimClient]:
    """A simulator on a free loopback port and a client session for it."""
    cfg = config if config is not None else SimConfig()
    async with (
        running_simulator(cfg, store if store is not None else sample_store()) as sim,
        aiohttp.ClientSession() as session,
    ):
        yield SimClient(session, sim)
