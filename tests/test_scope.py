"""Which listing a snapshot asks for, from what the file says (pure)."""

from __future__ import annotations

from rescheduler.state.listing import ListFilter
from rescheduler.state.scope import Hints


def test_agents_and_a_time_window_from_every_row() -> None:
    hints = Hints()
    hints.add(1, ("zhao.lei", "li.na"), (300, 100))
    hints.add(1, ("zhao.lei",), (200,))
    hints.add(2, ("x",), (5,))
    assert hints.vdns == [1, 2]
    assert hints.rows(1) == 2
    assert hints.query(1) == ListFilter(agents=("li.na", "zhao.lei"), begin_ms=100, end_ms=300)
    assert hints.query(2) == ListFilter(agents=("x",), begin_ms=5, end_ms=5)
    assert hints.query(3) is None


def test_a_row_without_a_time_says_nothing_about_where_its_time_is() -> None:
    hints = Hints()
    hints.add(1, ("a",), (100,))
    hints.add(1, ("b",), ())
    assert hints.query(1) == ListFilter(agents=("a", "b"))


def test_too_many_agents_drop_the_agent_filter_and_nothing_left_means_the_whole_vdn() -> None:
    hints = Hints(max_agents=2)
    for name in ("a", "b", "c"):
        hints.add(1, (name,), (10,))
    assert hints.query(1) == ListFilter(begin_ms=10, end_ms=10)
    hints.add(1, ("d",), ())
    assert hints.query(1) is None
