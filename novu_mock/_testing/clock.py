"""`mock.clock`: the clock of a mock as a test holds it (DESIGN section 10)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from .._model.clock import ClockMode, to_datetime, to_timestamp

if TYPE_CHECKING:
    from .._core.engine import Engine


class MockClock:
    """The mock's clock: `now()`, `advance(...)`, `set(...)`.

    Moving it runs the pending delay and digest work that comes due, inside the call, in due
    order, each at its own moment. Virtual by default in Python: it stands still between calls.
    """

    __slots__ = ("_engine",)

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @property
    def mode(self) -> ClockMode:
        """ "virtual" (moves only when told to) or "real" (the wall clock)."""
        return self._engine.clock.mode

    def now(self) -> datetime:
        """The mock's now, an aware UTC datetime."""
        return to_datetime(self._engine.clock.now())

    def advance(
        self,
        delta: timedelta | float | None = None,
        *,
        seconds: float = 0,
        minutes: float = 0,
        hours: float = 0,
        days: float = 0,
    ) -> datetime:
        """Move forward by `delta` (a timedelta or seconds) plus the keyword amounts; due work
        runs on the way. Returns the new now. ValueError for a negative amount."""
        total = seconds + minutes * 60 + hours * 3600 + days * 86400
        if isinstance(delta, timedelta):
            total += delta.total_seconds()
        elif delta is not None:
            total += float(delta)
        if total < 0:
            raise ValueError("clock.advance: the clock only moves forward; use set() to go back")
        self._engine.timeline.advance(total)
        return self.now()

    def set(self, when: datetime) -> datetime:
        """Stand at `when` (a naive datetime is UTC); work due by then runs. Returns it."""
        self._engine.timeline.set(to_timestamp(when))
        return self.now()

    @property
    def pending(self) -> int:
        """How many delay and digest jobs wait, in every environment."""
        with self._engine.lock:
            self._engine.timeline.prepare()  # queued triggers reach their delays first
            return self._engine.timeline.pending()

    def pending_jobs(self) -> list[dict[str, Any]]:
        """The waiting jobs (type, stepId, subscriberId, transactionId, dueAt ...), due first."""
        with self._engine.lock:
            self._engine.timeline.prepare()
            return [job.to_dict() for job in self._engine.timeline.pending_jobs()]

    def __repr__(self) -> str:
        return f"<MockClock {self.mode} {self.now().isoformat()} pending={self.pending}>"
