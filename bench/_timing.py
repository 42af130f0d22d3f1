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
