"""Time for the engine: a wall clock that tests can replace or move forward."""

from __future__ import annotations

import time
from datetime import datetime, timezone


class Clock:
    """Seconds since the epoch; `advance()` moves a test's clock without sleeping."""

    __slots__ = ("_frozen", "_offset")

    def __init__(self, frozen: float | None = None) -> None:
        self._frozen = frozen
        self._offset = 0.0

    def now(self) -> float:
        base = time.time() if self._frozen is None else self._frozen
        return base + self._offset

    def advance(self, seconds: float) -> None:
        self._offset += seconds


def iso_utc(ts: float) -> str:
    """ISO 8601 UTC with milliseconds and `Z`, as JavaScript's `toISOString()`."""
    dt = datetime.fromtimestamp(ts, tz=timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"
