"""Where the time goes: `python -m bench.profile {plain,content,fixture,inprocess} [N]`.

cProfile (on CPU time of this thread, which other work on a shared machine disturbs least) of
the rows of issue 18, plus how much of the engine's time the garbage collector takes. The
findings are written down in bench/PROFILE.md.
"""

from __future__ import annotations

import cProfile
import gc
import pstats
import sys
import time
from collections.abc import Callable
from typing import Any

from novu_mock._core.engine import Engine

from ._workloads import bulk_call, seed_doc, subscriber_ids
from .delivery import bulk_call as content_call
from .delivery import fixtures as content_fixtures
from .engine import EVENTS, PLAIN, RECIPIENTS, plain_bulk
from .inprocess import _fixture_cycle


def _engine_call(kind: str) -> Callable[[], Any]:
    people = EVENTS * RECIPIENTS
    if kind == "plain":
        ids = subscriber_ids(people)
        engine = Engine([PLAIN, seed_doc(people)])
        call = bulk_call(plain_bulk(ids))
    else:
        engine = Engine(content_fixtures(people))
        call = content_call(EVENTS, RECIPIENTS, people)
    return lambda: engine.handle(call)


def _inprocess_call() -> Callable[[], Any]:
    from novu_mock import NovuMock

    from ._workloads import novu_client, sdk_events

    ids = subscriber_ids(EVENTS * RECIPIENTS)
    mock = NovuMock([PLAIN, seed_doc(len(ids))])
    client = novu_client()
    dto: Any = {"events": [{**e, "workflow_id": "plain"} for e in sdk_events(100, 3, ids)]}
    interception = mock.intercept()
    interception.__enter__()
    return lambda: client.trigger_bulk(bulk_trigger_event_dto=dto)


def _cpu_ms(fn: Callable[[], Any], count: int) -> float:
    start = time.thread_time()
    for _ in range(count):
        fn()
    return (time.thread_time() - start) * 1000.0 / count


def _survivors(fn: Callable[[], Any]) -> int:
    """Objects the garbage collector tracks that one call leaves behind (what it walks)."""
    gc.collect()
    before = len(gc.get_objects())
    fn()
    gc.collect()
    return len(gc.get_objects()) - before


def _collector_ms(fn: Callable[[], Any], count: int) -> tuple[float, list[float], list[int]]:
    """CPU ms per call with the collector on, and its ms per call and runs, by generation."""
    spent, runs, started = [0.0, 0.0, 0.0], [0, 0, 0], [0.0]

    def watch(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started[0] = time.thread_time()
        else:
            spent[info["generation"]] += (time.thread_time() - started[0]) * 1000.0 / count
            runs[info["generation"]] += 1

    gc.callbacks.append(watch)
    try:
        return _cpu_ms(fn, count), spent, runs
    finally:
        gc.callbacks.remove(watch)


def main(argv: list[str]) -> int:
    kind = argv[0] if argv else "plain"
    count = int(argv[1]) if len(argv) > 1 else 200
    if kind in ("plain", "content"):
        fn = _engine_call(kind)
    elif kind == "fixture":
        fn = _fixture_cycle
    elif kind == "inprocess":
        fn = _inprocess_call()
    else:
        print(__doc__, file=sys.stderr)
        return 2
    for _ in range(20):
        fn()
    left = _survivors(fn)
    # Collector on first: measured after a disabled stretch, it would also pay that backlog.
    on, spent, runs = _collector_ms(fn, count)
    gc.disable()
    off = _cpu_ms(fn, count)
    gc.enable()
    print(f"{kind}: {on:.3f} ms CPU per call, {off:.3f} ms with the garbage collector off")
    by_generation = ", ".join(f"gen{g} {spent[g]:.3f} ms ({runs[g]} runs)" for g in range(3))
    print(f"  collector per call: {by_generation}; {left} tracked objects left per call")
    profile = cProfile.Profile(time.thread_time)
    profile.enable()
    for _ in range(count):
        fn()
    profile.disable()
    stats = pstats.Stats(profile)
    stats.sort_stats("tottime").print_stats(25)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
