"""Cron expressions of timed digests: when the next matching moment comes (UTC).

Novu's worker takes a timed digest's `cron` (a framework digest step's output) and waits until
cron-parser's `next()` of it (add-job.usecase.ts, mapBridgeTimedDigestAmount). This reads the
common forms: five fields (minute hour day-of-month month day-of-week) or six (seconds first),
each `*`, `?`, a number, a range `a-b`, a step `*/n`, `a/n` or `a-b/n`, or a list of those;
month names (JAN-DEC) and day names (SUN-SAT); 0 or 7 for Sunday. When both day fields are
restricted, a day matching either one matches (as cron does).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import lru_cache

_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
# (low, high, names with the number of their first) of each field, seconds first.
_FIELDS = (
    ("second", 0, 59, (), 0),
    ("minute", 0, 59, (), 0),
    ("hour", 0, 23, (), 0),
    ("day of month", 1, 31, (), 0),
    ("month", 1, 12, _MONTHS, 1),
    ("day of week", 0, 7, _DAYS, 0),
)
_YEARS = 8  # an expression with no moment in this many years (31 February) has none


class CronError(ValueError):
    """A cron expression this module cannot read."""


class Cron:
    __slots__ = ("days", "dom_any", "dow_any", "hours", "minutes", "months", "seconds", "weekdays")

    def __init__(self, fields: list[tuple[frozenset[int], bool]]) -> None:
        (self.seconds, _), (self.minutes, _), (self.hours, _) = fields[:3]
        self.days, self.dom_any = fields[3]
        self.months = fields[4][0]
        weekdays, self.dow_any = fields[5]
        self.weekdays = frozenset(d % 7 for d in weekdays)

    def _day(self, dt: datetime) -> bool:
        dom = dt.day in self.days
        dow = (dt.weekday() + 1) % 7 in self.weekdays
        if self.dom_any or self.dow_any:
            return dom and dow
        return dom or dow

    def next_after(self, ts: float) -> float:
        """The first matching moment strictly after `ts` (whole seconds, UTC)."""
        dt = datetime.fromtimestamp(int(ts) + 1, tz=timezone.utc)
        last_year = dt.year + _YEARS
        while dt.year <= last_year:
            if dt.month not in self.months:
                year, month = (dt.year + 1, 1) if dt.month == 12 else (dt.year, dt.month + 1)
                dt = dt.replace(year=year, month=month, day=1, hour=0, minute=0, second=0)
            elif not self._day(dt):
                dt = dt.replace(hour=0, minute=0, second=0) + timedelta(days=1)
            elif dt.hour not in self.hours:
                dt = dt.replace(minute=0, second=0) + timedelta(hours=1)
            elif dt.minute not in self.minutes:
                dt = dt.replace(second=0) + timedelta(minutes=1)
            elif dt.second not in self.seconds:
                dt += timedelta(seconds=1)
            else:
                return dt.timestamp()
        raise CronError(f"no moment matches within {_YEARS} years")


def _value(text: str, low: int, high: int, names: tuple[str, ...], first: int) -> int:
    upper = text.upper()
    if upper in names:
        return names.index(upper) + first
    if not text.isdigit():
        raise CronError(f"{text!r} is not a number" + (" or a name" if names else ""))
    number = int(text)
    if not low <= number <= high:
        raise CronError(f"{number} is out of range {low}-{high}")
    return number


_Spec = tuple[str, int, int, tuple[str, ...], int]


def _field(text: str, spec: _Spec) -> tuple[frozenset[int], bool]:
    _, low, high, names, first = spec
    values: set[int] = set()
    for part in text.split(","):
        body, _, step_text = part.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) == 0:
                raise CronError(f"{step_text!r} is not a step")
            step = int(step_text)
        if body in ("*", "?"):
            start, end = low, high
        elif "-" in body:
            a, _, b = body.partition("-")
            start, end = (_value(a, low, high, names, first), _value(b, low, high, names, first))
            if start > end:
                raise CronError(f"{body!r} runs backwards")
        else:
            start = _value(body, low, high, names, first)
            end = high if step_text else start
        values.update(range(start, end + 1, step))
    return frozenset(values), text in ("*", "?")


@lru_cache(maxsize=256)
def parse_cron(text: str) -> Cron:
    """A compiled cron expression; CronError says what is wrong with one it cannot read."""
    parts = text.split()
    if len(parts) == 5:
        parts = ["0", *parts]
    if len(parts) != 6:
        raise CronError(f"expected 5 or 6 fields; got {len(parts)}")
    fields = []
    for part, spec in zip(parts, _FIELDS, strict=True):
        try:
            fields.append(_field(part, spec))
        except CronError as error:
            raise CronError(f"{spec[0]}: {error}") from None
    return Cron(fields)
