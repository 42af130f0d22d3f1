"""Row 6: bytes per recorded trigger, unbounded and with a journal cap."""

from __future__ import annotations

import json
import subprocess
import sys

from ._config import Sizes
from ._report import Row, Spread


def _run(triggers: int, traced: int, limit: int) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-m", "bench._memory", str(triggers), str(traced), str(limit)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def memory_rows(sizes: Sizes) -> list[Row]:
    n = sizes.memory_triggers
    free = _run(n, sizes.memory_traced, 0)
    limit = max(1, n // 400)  # small enough that the request journal is full by half-time
    capped = _run(n, 0, limit)
    per = free["rss_per_trigger"]
    return [
        Row(
            "memory_bytes_per_trigger",
            f"6. RSS growth per trigger after {n:,} single-recipient triggers (unbounded)",
            "B",
            Spread.of([per]),
            target="≤ 2 KB",
            met=per <= 2048,
            context="counts everything kept: trigger record + 1/100 of its bulk's request record "
            f"(parsed body, response); tracemalloc at {sizes.memory_traced:,}: "
            f"{free['traced_per_trigger']:,.0f} B all-in, "
            f"{free['traced_trigger_only']:,.0f} B without request records",
        ),
        Row(
            "memory_capped_bytes_per_trigger",
            f"6b. same with journal_limit={limit:,}: RSS growth per trigger, second half",
            "B",
            Spread.of([capped["rss_per_trigger"]]),
            context=f"{int(capped['journal']):,} trigger and {int(capped['requests']):,} request "
            "records kept at the end: memory stays bounded",
        ),
    ]
