"""Row 6, in a subprocess of its own so that its memory is clean and given back afterwards.

`python -m bench._memory TRIGGERS TRACED LIMIT` prints one JSON line. The engine gets
single-recipient triggers in bulks of 100 (100 trigger records and 1 request record each)."""

from __future__ import annotations

import gc
import json
import os
import sys
import tracemalloc

from novu_mock._core.engine import Engine

from ._workloads import API_KEY, bulk_body, bulk_call, default_fixtures, seed_doc, subscriber_ids


def _rss() -> int:
    with open("/proc/self/statm", encoding="ascii") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _engine(limit: int | None) -> tuple[Engine, object]:
    ids = subscriber_ids(300)
    engine = Engine([*default_fixtures(), seed_doc(len(ids))], journal_limit=limit)
    call = bulk_call(bulk_body(100, 1, ids))
    engine.handle(call)  # the environment and its stores exist before the first measure
    return engine, call


def main(triggers: int, traced: int, limit: int | None) -> dict[str, float]:
    out: dict[str, float] = {}
    if traced:
        engine, call = _engine(None)
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(traced // 100):
            engine.handle(call)  # type: ignore[arg-type]
        gc.collect()
        total = tracemalloc.get_traced_memory()[0] - before
        engine.environment(API_KEY).journal.requests.clear()
        gc.collect()
        without_requests = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.stop()
        out["traced_per_trigger"] = total / traced
        out["traced_trigger_only"] = without_requests / traced
        del engine
        gc.collect()
    engine, call = _engine(limit)
    if limit:
        # With a cap, measure the second half only: by then both journals are full.
        for _ in range(triggers // 200):
            engine.handle(call)  # type: ignore[arg-type]
        triggers -= triggers // 200 * 100
    gc.collect()
    before = _rss()
    for _ in range(triggers // 100):
        engine.handle(call)  # type: ignore[arg-type]
    gc.collect()
    out["rss_per_trigger"] = (_rss() - before) / triggers
    out["requests"] = len(engine.request_journal())
    out["journal"] = len(engine.trigger_journal())
    return out


if __name__ == "__main__":
    n, t, lim = (int(a) for a in sys.argv[1:4])
    print(json.dumps(main(n, t, lim or None)))
