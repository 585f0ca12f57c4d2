"""The simulator's reservations from a file (``Store.from_file``, ``simulate --from-file``):
a JSON list of objects or a CSV with a header row, each record checked and named in its error.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from rescheduler.simulator.store import AUTOMATIC, MANUAL, Reservation


def read_records(path: Path) -> Iterator[Reservation]:
    """The reservations in ``path`` (``.json``, or JSON starting with ``[``; else CSV).
    Raises ``ValueError`` naming the record on bad data."""
    data = path.read_bytes()
    records: list[dict[str, Any]]
    if path.suffix.lower() == ".json" or data.lstrip()[:1] == b"[":
        loaded = orjson.loads(data)
        if not isinstance(loaded, list) or not all(isinstance(x, dict) for x in loaded):
            raise ValueError(f"{path}: expected a JSON list of objects")
        records = loaded
    else:
        text = data.decode("utf-8-sig")
        records = list(csv.DictReader(io.StringIO(text, newline="")))
    return (_record(path, n, rec) for n, rec in enumerate(records, 1))


def _optional_int(value: object) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError("not an integer")
    return int(value)


def _flag(value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value or "").strip().lower()
    if text in ("", "0", "false", "no"):
        return False
    if text in ("1", "true", "yes"):
        return True
    raise ValueError("not true/false")


def _record(path: Path, number: int, rec: dict[str, Any]) -> Reservation:
    where = f"{path}: record {number}"
    appoint_id = str(rec.get("appointId") or "").strip()
    if not appoint_id:
        raise ValueError(f"{where}: appointId is missing")
    try:
        call_type = int(rec.get("callType") or MANUAL)
        appoint_time = _optional_int(rec.get("appointTime")) or 0
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{where}: callType and appointTime must be integers") from exc
    try:
        begin, end = _optional_int(rec.get("beginTime")), _optional_int(rec.get("endTime"))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{where}: beginTime and endTime must be integers (epoch ms)") from exc
    try:
        timeout = _flag(rec.get("timeout"))
    except ValueError as exc:
        raise ValueError(f"{where}: timeout must be true or false") from exc
    if call_type not in (MANUAL, AUTOMATIC):
        raise ValueError(f"{where}: callType must be 1 (manual) or 2 (automatic)")
    text = {key: str(rec.get(key) or "") for key in _TEXT_KEYS}
    return Reservation(
        appoint_id=appoint_id,
        call_type=call_type,
        user_account=text["userAccount"],
        work_no=text["workNo"],
        appoint_time_ms=appoint_time,
        remark=text["remark"],
        called_no=text["calledNo"],
        task_id=text["taskId"],
        task_name=text["taskName"],
        task_status=text["taskStatus"],
        timeout=timeout,
        user_name=text["userName"],
        begin_time_ms=begin,
        end_time_ms=end,
    )


_TEXT_KEYS = (
    "userAccount", "workNo", "remark", "calledNo", "taskId", "taskName", "taskStatus", "userName"
)  # fmt: skip
