"""Small timing helpers: per-call samples in milliseconds, with the garbage collector's pauses
left in (a user's test suite pays them too)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def samples_ms(fn: Callable[[], Any], count: int, warmup: int = 0) -> list[float]:
    for _ in range(warmup):
        fn()
    out = []
    clock = time.perf_counter
    for _ in range(count):
        start = clock()
        fn()
        out.append((clock() - start) * 1000.0)
    return out


def batch_ms(fn: Callable[[], Any], count: int) -> float:
    """Mean milliseconds per call over `count` back-to-back calls."""
    start = time.perf_counter()
    for _ in range(count):
        fn()
    return (time.perf_counter() - start) * 1000.0 / count


def median(values: list[float]) -> float:
    data = sorted(values)
    mid = len(data) // 2
    return data[mid] if len(data) % 2 else (data[mid - 1] + data[mid]) / 2
