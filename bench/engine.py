"""Rows 1 and 7: `Engine.handle` on a 100-event bulk, and how it scales with the stores."""

from __future__ import annotations

import json
import time
from typing import Any

from novu_mock._core.engine import Engine
from novu_mock._model.clock import iso_utc
from novu_mock._model.entities import Topic, new_subscriber

from ._config import Sizes
from ._report import Row, Spread
from ._timing import samples_ms
from ._workloads import (
    API_KEY,
    WORKFLOW,
    bulk_body,
    bulk_call,
    bulk_events,
    default_fixtures,
    seed_doc,
    single_call,
    subscriber_ids,
)

EVENTS, RECIPIENTS = 100, 3


def _check(engine: Engine, body: bytes) -> None:
    reply = engine.handle(bulk_call(body))
    data = json.loads(reply.body)["data"]
    assert reply.status == 201 and all(d["status"] == "processed" for d in data), reply.body[:300]


# Row 1's workflow: one in_app step without content, so the row measures the trigger path alone.
PLAIN: dict[str, Any] = {
    "workflows": [{"workflowId": "plain", "name": "Plain", "steps": [{"type": "in_app"}]}]
}


def plain_bulk(ids: list[str]) -> bytes:
    events = bulk_events(EVENTS, RECIPIENTS, ids)
    return json.dumps({"events": [{**e, "name": "plain"} for e in events]}).encode()


def engine_rows(sizes: Sizes) -> list[Row]:
    from .delivery import bulk_call as content_call
    from .delivery import fixtures as content_fixtures

    ids = subscriber_ids(EVENTS * RECIPIENTS)
    body = plain_bulk(ids)
    engine = Engine([PLAIN, seed_doc(len(ids))])
    _check(engine, body)
    call = bulk_call(body)
    content = Engine(content_fixtures(EVENTS * RECIPIENTS))
    ccall = content_call(EVENTS, RECIPIENTS, EVENTS * RECIPIENTS)
    _check(content, ccall.body)
    # The two bulks interleaved (order alternating), so that the machine's load weighs on both.
    plain_ms: list[float] = []
    content_ms: list[float] = []
    clock = time.perf_counter
    for n in range(sizes.engine_calls + 5):
        pair = [(engine, call, plain_ms), (content, ccall, content_ms)]
        for eng, c, out in pair if n % 2 else reversed(pair):
            start = clock()
            eng.handle(c)
            if n >= 5:
                out.append((clock() - start) * 1000.0)

    first = []
    for n in range(sizes.first_calls):
        fresh_ids = subscriber_ids(EVENTS * RECIPIENTS, prefix=f"new-{n}-")
        fresh_call = bulk_call(plain_bulk(fresh_ids))
        fresh = Engine([PLAIN])
        first += samples_ms(lambda fresh=fresh, c=fresh_call: fresh.handle(c), 1)  # type: ignore[misc]
    steady, rich = Spread.of(plain_ms), Spread.of(content_ms)
    return [
        Row(
            "engine_bulk_ms",
            "1. Engine.handle, 100-event bulk x 3 recipients, one in_app step without content "
            "(steady state: recipients exist)",
            "ms",
            steady,
            target="≤ 0.40 ms",
            met=steady.median <= 0.40,
            context=f"body {len(body):,} B; JSON parse, checks, journal, response encoding; "
            "journals kept (unbounded, as in a test), garbage collector on",
        ),
        Row(
            "engine_content_bulk_ms",
            "1c. same bulk on the in_app + email + sms Liquid workflow (delivery's D1)",
            "ms",
            rich,
            target="≤ 1.0 ms",
            met=rich.median <= 1.0,
            context=f"interleaved with row 1 (x{rich.median / steady.median:.2f} of it); runs "
            "are queued, steps run and render at the next read (row D1b)",
        ),
        Row(
            "engine_bulk_first_ms",
            "1b. row 1's bulk, first call on a fresh engine (300 subscribers created)",
            "ms",
            Spread.of(first),
            context="one sample per fresh Engine",
        ),
    ]


def _engine_with(subscribers: int) -> tuple[Engine, list[str]]:
    engine = Engine(default_fixtures())
    env = engine.environment(API_KEY)
    stamp = iso_utc(engine.clock.now())
    ids = subscriber_ids(subscribers, prefix="s")
    # The store's own constructor, without a fixture document's validation and deep copy.
    env.subscribers.update((sid, new_subscriber(sid, {}, stamp)) for sid in ids)
    return engine, ids


def scaling_rows(sizes: Sizes) -> list[Row]:
    rows = []
    per_size: dict[int, float] = {}
    for count in sizes.store_sizes:
        engine, ids = _engine_with(count)
        step = max(1, count // (EVENTS * RECIPIENTS))
        picked = [ids[(i * step) % count] for i in range(EVENTS * RECIPIENTS)]
        body = bulk_body(EVENTS, RECIPIENTS, picked)
        _check(engine, body)
        call = bulk_call(body)
        spread = Spread.of(samples_ms(lambda e=engine, c=call: e.handle(c), sizes.scaling_calls, 3))  # type: ignore[misc]
        per_size[count] = spread.median
        rows.append(
            Row(
                f"scaling_bulk_{count}_ms",
                f"7. bulk of 100x3 with {count:,} subscribers stored",
                "ms",
                spread,
                context="recipients spread over the store",
            )
        )
        del engine, ids
    small, large = min(per_size), max(per_size)
    flat = per_size[large] / per_size[small]
    rows.append(
        Row(
            "scaling_flat_ratio",
            f"7. bulk time at {large:,} ÷ at {small:,} subscribers",
            "x",
            Spread.of([flat]),
            target="≤ 1.5 (flat)",
            met=flat <= 1.5,
            context="ratio of the two medians above",
        )
    )
    per_member: dict[int, float] = {}
    for members in sizes.topic_sizes:
        engine, ids = _engine_with(members)
        env = engine.environment(API_KEY)
        env.topics["big"] = Topic("big", "Big", ids, iso_utc(engine.clock.now()))
        body = json.dumps({"name": WORKFLOW, "to": {"type": "Topic", "topicKey": "big"}}).encode()
        call = single_call(body)
        reply = engine.handle(call)
        assert reply.status == 201 and len(engine.trigger_journal()[-1].recipients) == members
        calls = max(3, sizes.scaling_calls * 1000 // members)
        spread = Spread.of(samples_ms(lambda e=engine, c=call: e.handle(c), calls, 1))  # type: ignore[misc]
        per_member[members] = spread.median / members * 1000.0
        rows.append(
            Row(
                f"topic_{members}_ms",
                f"7. trigger to a topic of {members:,} members",
                "ms",
                spread,
                context=f"{per_member[members]:.3f} µs per member",
            )
        )
        del engine, ids, env
    a, b = min(per_member), max(per_member)
    linear = per_member[b] / per_member[a]
    rows.append(
        Row(
            "topic_linear_ratio",
            f"7. per-member cost at {b:,} ÷ at {a:,} members",
            "x",
            Spread.of([linear]),
            target="0.67-1.5 (linear)",
            met=0.67 <= linear <= 1.5,
        )
    )
    return rows
