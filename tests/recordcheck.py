"""Checking run records against the schema shipped in the package (rescheduler/schemas/)."""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema

SCHEMA_NAME = "run-record.v1.json"


@cache
def schema() -> dict[str, Any]:
    text = (files("rescheduler") / "schemas" / SCHEMA_NAME).read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def valid_record(source: Path | str | dict[str, Any]) -> dict[str, Any]:
    """The record (from a file, JSON text or a dict), after validating it against the schema."""
    if isinstance(source, Path):
        source = source.read_text(encoding="utf-8")
    record: dict[str, Any] = json.loads(source) if isinstance(source, str) else source
    jsonschema.Draft202012Validator(
        schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    ).validate(record)
    assert record["exit"]["ok"] == (record["exit"]["code"] == 0)
    return record
