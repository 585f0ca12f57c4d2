"""Results back in input order, with bounded waiting (used by the pool's writer side)."""

from __future__ import annotations

import heapq
from collections.abc import Callable
from typing import Generic, Protocol, TypeVar


class _Sequenced(Protocol):
    @property
    def seq(self) -> int: ...


T = TypeVar("T", bound=_Sequenced)


class Reorder(Generic[T]):
    """Hands results to ``sink`` in input order, holding at most ``window`` of them.

    Workers finish out of order. Results wait here until every earlier row is out, so the
    report follows the input; when one slow row (a hang, a long backoff) would make more than
    ``window`` results wait, the waiting ones go out and the slow row is written when it ends.
    ``seq`` numbers the items 0, 1, 2, ... in input order.
    """

    def __init__(self, sink: Callable[[T], None], window: int) -> None:
        self._sink = sink
        self._window = window
        self._next = 0
        self._held: dict[int, T] = {}
        self._heap: list[int] = []

    def add(self, item: T) -> None:
        if item.seq < self._next:  # a late row whose turn was given away
            self._sink(item)
            return
        self._held[item.seq] = item
        heapq.heappush(self._heap, item.seq)
        self._release()
        if len(self._held) > self._window:
            self._next = self._heap[0]
            self._release()

    def _release(self) -> None:
        while self._heap and self._heap[0] == self._next:
            heapq.heappop(self._heap)
            self._sink(self._held.pop(self._next))
            self._next += 1

    def drain(self) -> None:
        while self._heap:
            self._next = self._heap[0]
            self._release()
