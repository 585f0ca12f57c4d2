"""The secret key, held so that it cannot show itself by accident."""

from __future__ import annotations

ENV_SECRET = "RESCHEDULER_SECRET_KEY"
ENV_ACCESS = "RESCHEDULER_ACCESS_KEY"


class Secret:
    """A string that does not show itself."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__
