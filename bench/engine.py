"""Rows 1 and 7: `Engine.handle` on a 100-event bulk, and how it scales with the stores."""

from __future__ import annotations

import json

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


def engine_rows(sizes: Sizes) -> list[Row]:
    ids = subscriber_ids(EVENTS * RECIPIENTS)
    body = bulk_body(EVENTS, RECIPIENTS, ids)
    engine = Engine([*default_fixtures(), seed_doc(len(ids))])
    _check(engine, body)
    call = bulk_call(body)
    steady = samples_ms(lambda: engine.handle(call), sizes.engine_calls, warmup=5)

    first = []
    for n in range(sizes.first_calls):
        fresh_ids = subscriber_ids(EVENTS * RECIPIENTS, prefix=f"new-{n}-")
        fresh_call = bulk_call(bulk_body(EVENTS, RECIPIENTS, fresh_ids))
        fresh = Engine(default_fixtures())
        first += samples_ms(lambda fresh=fresh, c=fresh_call: fresh.handle(c), 1)  # type: ignore[misc]
    return [
        Row(
            "engine_bulk_ms",
            "1. Engine.handle, 100-event bulk x 3 recipients (steady state: recipients exist)",
            "ms",
            Spread.of(steady),
            target="≤ 1 ms",
            met=Spread.of(steady).median <= 1.0,
            context=f"body {len(body):,} B; JSON parse, checks, journal, response encoding",
        ),
        Row(
            "engine_bulk_first_ms",
            "1b. same, first call on a fresh engine (environment seeded, 300 subscribers upserted)",
            "ms",
            Spread.of(first),
            context="one sample per fresh Engine([bundled()])",
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
