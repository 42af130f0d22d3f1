"""Rows of the results table, their statistics and how they are printed."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Spread:
    """Median and quartiles (plus extremes) of repeated measurements."""

    median: float
    p25: float
    p75: float
    low: float
    high: float
    n: int

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread:
        data = sorted(values)
        if len(data) == 1:
            v = data[0]
            return cls(v, v, v, v, v, 1)
        q1, q2, q3 = statistics.quantiles(data, n=4, method="inclusive")
        return cls(q2, q1, q3, data[0], data[-1], len(data))


@dataclass
class Row:
    """One line of the table: a measure's spread, its target and whether the median meets it."""

    key: str
    measure: str
    unit: str
    spread: Spread | None
    target: str = ""
    met: bool | None = None
    context: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        doc = asdict(self)
        return doc


def fmt(value: float, unit: str) -> str:
    if unit == "x":
        return f"{value:.2f}x"
    if unit == "ms":
        return f"{value:.3f} ms" if value < 10 else f"{value:.1f} ms"
    if unit == "us":
        return f"{value:.1f} µs"
    if unit == "s":
        return f"{value:.2f} s"
    if unit == "req/s":
        return f"{value:,.0f} req/s"
    if unit == "MB":
        return f"{value:.1f} MB"
    if unit == "B":
        return f"{value:,.0f} B"
    return f"{value:.3g} {unit}"


def table(rows: Sequence[Row]) -> str:
    """A Markdown table (readable in a terminal too)."""
    head = ["measure", "median", "spread (p25-p75, n)", "target", "met", "context"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        if row.spread is None:
            median, spread = "n/a", ""
        else:
            s = row.spread
            median = fmt(s.median, row.unit)
            spread = f"{fmt(s.p25, row.unit)} - {fmt(s.p75, row.unit)} (n={s.n})"
        met = {True: "yes", False: "**no**", None: ""}[row.met]
        cells = [row.measure, median, spread, row.target, met, row.context]
        lines.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    return "\n".join(lines)
