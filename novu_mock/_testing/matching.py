"""What the trigger and message assertions share: describing the filters, counting the matches."""

from __future__ import annotations

from typing import Any, ClassVar


class Filters:
    """The filters of one assertion: the positional one first, then those given by name."""

    _first: ClassVar[str]
    _named: ClassVar[tuple[str, ...]]

    def describe(self) -> str:
        parts = [repr(getattr(self, self._first))]
        parts += [f"{n}={v!r}" for n in self._named if (v := getattr(self, n)) is not None]
        return ", ".join(parts)


def satisfied(matched: list[Any], times: int | None) -> bool:
    """Any match when `times` is None, otherwise exactly `times` matches."""
    return bool(matched) if times is None else len(matched) == times
