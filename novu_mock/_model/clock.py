"""Time for the engine: the wall clock, or a virtual clock that only moves when told to."""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta, timezone
from typing import Literal

ClockMode = Literal["real", "virtual"]
CLOCK_MODES: tuple[ClockMode, ...] = ("real", "virtual")


class Clock:
    """Seconds since the epoch.

    Real (the default, `Clock()`): the wall clock plus whatever `advance()` and `set()` added.
    Virtual (`Clock(frozen=ts)` or `Clock.virtual()`): stands still at `frozen` until moved.
    Moving a clock does not run pending work by itself: the engine does that
    (`Engine.advance_clock`, `NovuMock.clock`), in due order.
    """

    __slots__ = ("_frozen", "_offset")

    def __init__(self, frozen: float | None = None) -> None:
        self._frozen = frozen
        self._offset = 0.0

    @classmethod
    def virtual(cls, start: float | None = None) -> Clock:
        """A virtual clock standing at `start` (default: the wall clock's now)."""
        return cls(time.time() if start is None else start)

    @classmethod
    def of_mode(cls, mode: str) -> Clock:
        """A fresh clock of `mode` ("real" or "virtual"); ValueError for anything else."""
        if mode == "virtual":
            return cls.virtual()
        if mode == "real":
            return cls()
        raise ValueError(f"clock: expected one of real, virtual; got {mode!r}")

    @property
    def mode(self) -> ClockMode:
        return "real" if self._frozen is None else "virtual"

    def now(self) -> float:
        base = time.time() if self._frozen is None else self._frozen
        return base + self._offset

    def advance(self, seconds: float) -> None:
        self._offset += seconds

    def set(self, ts: float) -> None:
        """Stand at `ts` (a real clock keeps running from there)."""
        if self._frozen is None:
            self._offset = ts - time.time()
        else:
            self._frozen, self._offset = ts, 0.0


def iso_utc(ts: float) -> str:
    """ISO 8601 UTC with milliseconds and `Z`, as JavaScript's `toISOString()`."""
    dt = datetime.fromtimestamp(ts, tz=timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def to_datetime(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, tz=timezone.utc)


def to_timestamp(value: datetime) -> float:
    """Seconds since the epoch; a naive datetime is taken as UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.timestamp()


# ISO 8601 as Novu's `delayPath` and `/_mock/clock` accept it: a date, optionally a time with
# seconds, fractions and an offset (`Z`, `+02:00`, `+0200`). A date alone is midnight UTC.
_ISO = re.compile(
    r"\A(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?"
    r"(Z|z|[+-]\d{2}(?::?\d{2})?)?)?\Z"
)


def parse_iso(text: object) -> float | None:
    """Seconds since the epoch of an ISO 8601 date(-time) string; None when it is not one.
    Without an offset the time is UTC (as Node's `new Date()` reads a date-only string)."""
    if not isinstance(text, str):
        return None
    found = _ISO.match(text.strip())
    if found is None:
        return None
    year, month, day, hour, minute, second, fraction, zone = found.groups()
    try:
        dt = datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            int((fraction or "0").ljust(6, "0")[:6]),
            tzinfo=timezone.utc,
        )
    except ValueError:
        return None
    if zone and zone not in ("Z", "z"):
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0))
        dt -= sign * offset
    return dt.timestamp()


_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_DURATION = re.compile(r"\A\s*(\d+(?:\.\d+)?|\.\d+)\s*([smhd]?)\s*\Z")


def parse_duration(value: object) -> float | None:
    """Seconds of `"5m"`, `"90s"`, `"2h"`, `"1d"`, `"30"` or a number; None when invalid
    (negative, not finite, or not one of these)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        seconds = float(value)
    elif isinstance(value, str):
        found = _DURATION.match(value)
        if found is None:
            return None
        seconds = float(found.group(1)) * _UNITS.get(found.group(2) or "s", 1.0)
    else:
        return None
    if seconds != seconds or seconds in (float("inf"), float("-inf")) or seconds < 0:
        return None
    return seconds
