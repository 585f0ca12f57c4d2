"""``quick_init`` builds the same objects as the dataclass's own ``__init__``, still frozen."""

from __future__ import annotations

import dataclasses
import inspect
import pickle
import typing

import pytest

from rescheduler.models import Outcome, Problem, Row, RowResult, Status, UpdateRequest, WireRequest
from rescheduler.quickinit import quick_init
from rescheduler.send.pool import Done, WorkItem

RECORDS = [Row, Problem, UpdateRequest, WireRequest, Outcome, RowResult, WorkItem, Done]


@dataclasses.dataclass(frozen=True, slots=True)
class Plain:
    """The reference: the dataclass's own ``__init__``."""

    a: int
    b: str = "b"
    c: tuple[str, ...] = ()


@quick_init
@dataclasses.dataclass(frozen=True, slots=True)
class Quick:
    a: int
    b: str = "b"
    c: tuple[str, ...] = ()


@pytest.mark.parametrize("cls", RECORDS, ids=lambda c: c.__name__)
def test_the_per_row_records_use_it(cls: type) -> None:
    init = vars(cls)["__init__"]
    assert init.__qualname__ == f"{cls.__qualname__}.__init__"
    assert "_set_" in " ".join(init.__code__.co_freevars)  # the slot setters, not setattr


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [((1,), {}), ((1, "x"), {}), ((1,), {"c": ("y",)}), ((), {"a": 2, "b": "z", "c": ()})],
)
def test_it_builds_what_the_dataclass_builds(
    args: tuple[object, ...], kwargs: dict[str, object]
) -> None:
    mine, theirs = Quick(*args, **kwargs), Plain(*args, **kwargs)  # type: ignore[arg-type]
    assert dataclasses.astuple(mine) == dataclasses.astuple(theirs)
    assert repr(mine).replace("Quick", "Plain") == repr(theirs)
    again = Quick(*args, **kwargs)  # type: ignore[arg-type]
    assert mine == again
    assert hash(mine) == hash(again)


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [((), {}), ((1, "x", (), 4), {}), ((1,), {"d": 1}), ((1,), {"a": 1})],
)
def test_it_refuses_what_the_dataclass_refuses(
    args: tuple[object, ...], kwargs: dict[str, object]
) -> None:
    with pytest.raises(TypeError):
        Plain(*args, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Quick(*args, **kwargs)  # type: ignore[arg-type]


def test_the_objects_stay_frozen() -> None:
    result = RowResult(2, Status.SUCCEEDED, ("1",), error="e")
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.line = 3  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del result.error
    assert dataclasses.replace(result, line=3) == RowResult(3, Status.SUCCEEDED, ("1",), error="e")
    assert pickle.loads(pickle.dumps(result)) == result  # the page's check worker pickles rows
    assert {Row(2, ("a",)), Row(2, ("a",))} == {Row(2, ("a",))}


def test_shapes_it_cannot_copy_are_refused_when_the_class_is_defined() -> None:
    with pytest.raises(TypeError, match="plain fields"):

        @quick_init
        @dataclasses.dataclass(frozen=True, slots=True)
        class Factory:
            a: list[int] = dataclasses.field(default_factory=list)

    with pytest.raises(TypeError, match="__post_init__"):

        @quick_init
        @dataclasses.dataclass(frozen=True, slots=True)
        class Post:
            a: int

            def __post_init__(self) -> None:
                pass

    with pytest.raises(TypeError, match="frozen dataclasses with slots"):

        @quick_init
        @dataclasses.dataclass(slots=True)
        class Thawed:
            a: int


def test_its_signature_is_the_dataclass_s_types_included() -> None:
    """``inspect.signature``, ``help()`` and ``typing.get_type_hints`` see the same ``__init__``
    (the first version of quick_init dropped the annotations: no types in either)."""
    assert inspect.signature(Quick) == inspect.signature(Plain)
    assert typing.get_type_hints(Quick.__init__) == typing.get_type_hints(Plain.__init__)
    hints = typing.get_type_hints(RowResult.__init__)  # names from the record's own module
    assert hints["status"] is Status
    assert typing.get_type_hints(Done.__init__)["result"] is RowResult
