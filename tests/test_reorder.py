"""Results back in input order through a bounded window."""

from __future__ import annotations

from dataclasses import dataclass

from rescheduler.write.reorder import Reorder


@dataclass(frozen=True)
class Item:
    seq: int


def feed(order: list[int], window: int) -> list[int]:
    out: list[Item] = []
    reorder = Reorder[Item](out.append, window)
    for seq in order:
        reorder.add(Item(seq))
    reorder.drain()
    return [item.seq for item in out]


def test_out_of_order_arrivals_leave_in_order() -> None:
    assert feed([2, 0, 1, 4, 3], window=10) == [0, 1, 2, 3, 4]


def test_a_slow_item_lets_the_window_through_and_comes_late() -> None:
    assert feed([1, 2, 3, 4, 0], window=2) == [1, 2, 3, 4, 0]
    assert feed([1, 2, 0, 3], window=5) == [0, 1, 2, 3]


def test_drain_releases_everything_left_in_order() -> None:
    assert feed([5, 3, 9], window=100) == [3, 5, 9]
