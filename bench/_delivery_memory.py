"""Row D3 in a subprocess of its own: `python -m bench._delivery_memory TRIGGERS` prints one JSON
line: traced bytes per trigger before delivery, and per message once runs are settled and every
message rendered (what a read leaves in memory)."""

from __future__ import annotations

import gc
import json
import sys
import tracemalloc

from novu_mock._core.engine import Engine

from .delivery import bulk_call, fixtures


def main(triggers: int) -> dict[str, float]:
    people = 300
    engine = Engine(fixtures(people))
    call = bulk_call(100, 1, people)
    engine.handle(call)
    from novu_mock._delivery.records import message_records

    message_records(engine)  # the environment, its plan and templates exist before measuring
    env = engine.delivered()[0]
    before = len(env.messages)
    gc.collect()
    tracemalloc.start()
    start = tracemalloc.get_traced_memory()[0]
    for _ in range(triggers // 100):
        engine.handle(call)
    gc.collect()
    queued = tracemalloc.get_traced_memory()[0]
    message_records(engine)  # settle and render
    gc.collect()
    done = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    messages = len(env.messages) - before
    return {
        "per_trigger": (queued - start) / triggers,
        "per_message": (done - queued) / messages,
        "messages": messages,
    }


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]))))
