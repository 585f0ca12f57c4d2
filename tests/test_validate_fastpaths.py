"""The fast paths in validate.py and times.py give exactly what the plain definitions give."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from rescheduler.read.columns import INVISIBLE, strip_edges
from rescheduler.read.validate import check_appoint_id, clean_cell

EDGES = " \t\n\u00a0\u3000'" + INVISIBLE
texts = st.text(alphabet=st.sampled_from(EDGES) | st.characters(), max_size=12)


def slow_clean_cell(text: str) -> str:
    text = strip_edges(text)
    if text.startswith("'"):
        text = strip_edges(text[1:])
    return text


@given(st.tuples(texts, texts, texts).map("".join))
def test_clean_cell_matches_the_plain_definition(text: str) -> None:
    assert clean_cell(text) == slow_clean_cell(text)


EXCEL = re.compile(r"[1-9]\d{0,14}0+")


@given(st.text(alphabet="0123456789", min_size=1, max_size=40))
def test_excel_check_needs_a_trailing_zero(text: str) -> None:
    why = check_appoint_id(text, "appointId")
    lost = len(text) > 15 and EXCEL.fullmatch(text) is not None
    assert (why is not None and "Excel" in why) == lost


@given(st.integers(min_value=-62_135_596_800_000, max_value=253_402_300_799_999))
def test_format_utc_matches_datetime(ms: int) -> None:
    from datetime import UTC, datetime, timedelta

    from rescheduler.read.times import format_utc

    moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)
    expected = moment.strftime("%Y-%m-%dT%H:%M:%S")
    expected += f".{ms % 1000:03d}Z" if ms % 1000 else "Z"
    assert format_utc(ms) == expected
