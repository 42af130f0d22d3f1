"""Delivery rows (issue 13): a 100-event bulk of 3 recipients on an in_app + email + sms workflow
with Liquid content, through the engine and through novu-py in-process, and the memory each
delivered message adds on top of its trigger."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import Any

import httpx
import respx

from novu_mock import NovuMock
from novu_mock._core.engine import Engine
from novu_mock._core.http import Call

from ._config import Sizes
from ._report import Row, Spread
from ._workloads import HEADERS, novu_client

EVENTS, RECIPIENTS = 100, 3
BULK_URL = "https://api.novu.co/v1/events/trigger/bulk"
WORKFLOW: dict[str, Any] = {
    "workflowId": "order-update",
    "name": "Order update",
    "steps": [
        {
            "stepId": "inbox",
            "type": "in_app",
            "subject": "Order {{ payload.orderId }} for {{ subscriber.firstName }}",
            "body": "Hi {{ subscriber.firstName | default: 'there' }}, your total is "
            "{{ payload.total }}.",
            "redirect": {"url": "https://shop.example/orders/{{ payload.orderId }}"},
        },
        {
            "stepId": "mail",
            "type": "email",
            "subject": "Your order {{ payload.orderId }}",
            "body": "<h1>Thanks, {{ subscriber.firstName }}</h1><p>Total: {{ payload.total }}</p>",
        },
        {"stepId": "text", "type": "sms", "body": "Order {{ payload.orderId }} confirmed"},
    ],
}


def subscribers(count: int) -> list[dict[str, Any]]:
    return [
        {
            "subscriberId": f"d-{i}",
            "firstName": f"Person{i}",
            "email": f"p{i}@example.com",
            "phone": f"+1555{i:07d}",
        }
        for i in range(count)
    ]


def fixtures(count: int) -> list[Any]:
    return [{"workflows": [WORKFLOW], "subscribers": subscribers(count)}]


def events(count: int, recipients: int, people: int) -> list[dict[str, Any]]:
    return [
        {
            "name": WORKFLOW["workflowId"],
            "to": [f"d-{(i * recipients + j) % people}" for j in range(recipients)],
            "payload": {"orderId": i, "total": 42.5},
        }
        for i in range(count)
    ]


def bulk_call(count: int, recipients: int, people: int) -> Call:
    body = json.dumps({"events": events(count, recipients, people)}).encode()
    return Call("POST", "/v1/events/trigger/bulk", "", dict(HEADERS), body)


def _read(engine: Engine) -> int:
    """Every read path sees rendered text: settle the queued runs and render every message."""
    from novu_mock._delivery.records import message_records

    return len(message_records(engine))


def _engine_rows(sizes: Sizes) -> list[Row]:
    from novu_mock._delivery.run import flush

    from ._workloads import bulk_body, default_fixtures, seed_doc, subscriber_ids
    from ._workloads import bulk_call as plain_call

    people = EVENTS * RECIPIENTS
    engine = Engine(fixtures(people))
    call = bulk_call(EVENTS, RECIPIENTS, people)
    reply = engine.handle(call)
    assert reply.status == 201 and b'"error"' not in reply.body, reply.body[:300]
    assert _read(engine) == EVENTS * RECIPIENTS * 3
    # Row 1's plain bulk, interleaved in the same run, says what the machine's load adds.
    ids = subscriber_ids(people)
    plain = Engine([*default_fixtures(), seed_doc(people)])
    pcall = plain_call(bulk_body(EVENTS, RECIPIENTS, ids))
    ours: list[float] = []
    theirs: list[float] = []
    for n in range(sizes.engine_calls + 5):
        pair = [(engine, call, ours), (plain, pcall, theirs)]
        for eng, c, out in pair if n % 2 else reversed(pair):
            start = time.perf_counter()
            eng.handle(c)
            if n >= 5:
                out.append((time.perf_counter() - start) * 1000)
    steady, base = Spread.of(ours), Spread.of(theirs)
    env = engine.delivered()[0]
    # What the first read after a bulk costs: 300 runs, 900 messages made and rendered.
    reads = []
    for _ in range(max(2, sizes.engine_calls // 20)):
        flush(env)
        env.messages.clear()
        env.notifications.clear()
        engine.handle(call)
        start = time.perf_counter()
        flush(env)
        for message in env.messages:
            message.rendered()
        reads.append((time.perf_counter() - start) * 1000)
    read = Spread.of(reads)
    # What a server pays in-stream per bulk of row 4 (welcome: in_app + email, 300 seeded
    # subscribers without an email): the queue run alone, nothing rendered, in CPU time.
    penv = plain.delivered()[0]
    runs: list[float] = []
    for _ in range(max(2, sizes.engine_calls // 10)):
        penv.messages.clear()
        penv.notifications.clear()
        plain.handle(pcall)
        start = time.thread_time()
        flush(penv)
        runs.append((time.thread_time() - start) * 1e6 / (EVENTS * RECIPIENTS))
    per_run = Spread.of(runs)
    return [
        Row(
            "delivery_engine_bulk_ms",
            "D1. Engine.handle, 100-event bulk x 3 recipients, in_app + email + sms Liquid steps",
            "ms",
            steady,
            target="≤ 1.5 ms",
            met=steady.median <= 1.5,
            context=f"row 1's plain bulk interleaved in the same run: {base.median:.3f} ms "
            f"(x{steady.median / base.median:.2f}); the trigger queues each run, steps run and "
            "render at the next read",
        ),
        Row(
            "delivery_settle_ms",
            "D1b. the first read after such a bulk: 300 runs, 900 messages made and rendered",
            "ms",
            read,
            context="paid once per bulk by whatever reads first (mock.messages, an API read)",
        ),
        Row(
            "delivery_flush_us_per_run",
            "D1c. the queue run of row 4's bulk (welcome, in_app + email), CPU per recipient run",
            "us",
            per_run,
            context="what `serve` pays in-stream for each run (two jobs, one message, one "
            "skip): no rendering; thread CPU time",
        ),
    ]


def _ratio_rows(sizes: Sizes) -> list[Row]:
    people = EVENTS * RECIPIENTS
    dto: Any = {
        "events": [
            {"workflow_id": e["name"], "to": e["to"], "payload": e["payload"]}
            for e in events(EVENTS, RECIPIENTS, people)
        ]
    }
    canned = Engine(fixtures(people)).handle(bulk_call(EVENTS, RECIPIENTS, people))
    client = novu_client()
    mock = NovuMock(fixtures(people))
    bare = respx.MockRouter(assert_all_called=False)
    bare.post(BULK_URL).mock(
        return_value=httpx.Response(canned.status, headers=canned.headers, content=canned.body)
    )

    def timed(router: Any, out: list[float]) -> None:
        with router:
            for _ in range(sizes.sdk_calls):
                t0 = time.perf_counter()
                res = client.trigger_bulk(bulk_trigger_event_dto=dto)
                out.append((time.perf_counter() - t0) * 1000)
        assert len(res.result) == EVENTS and res.result[0].status == "processed"

    ratios, mocks, bares = [], [], []
    for n in range(sizes.rounds + 1):
        on_mock: list[float] = []
        on_bare: list[float] = []
        pair = [(mock.intercept(), on_mock), (bare, on_bare)]
        for router, out in pair if n % 2 else reversed(pair):
            timed(router, out)
        if n == 0:
            continue
        m, b = Spread.of(on_mock).median, Spread.of(on_bare).median
        mocks.append(m)
        bares.append(b)
        ratios.append(m / b)
    ratio = Spread.of(ratios)
    return [
        Row(
            "delivery_inprocess_ratio",
            "D2. novu-py trigger_bulk(100) on that workflow via NovuMock ÷ via a bare respx route",
            "x",
            ratio,
            target="≤ 1.10",
            met=ratio.median <= 1.10,
            context=f"mock {Spread.of(mocks).median:.2f} ms vs bare "
            f"{Spread.of(bares).median:.2f} ms per call",
        )
    ]


def _memory_rows(sizes: Sizes) -> list[Row]:
    triggers = max(1_000, sizes.memory_traced)
    done = subprocess.run(
        [sys.executable, "-m", "bench._delivery_memory", str(triggers)],
        capture_output=True,
        text=True,
        check=True,
    )
    out = json.loads(done.stdout)
    per = out["per_message"]
    return [
        Row(
            "delivery_memory_bytes_per_message",
            f"D3. memory per delivered message (tracemalloc, {out['messages']:,} messages of "
            f"{triggers:,} triggers, rendered), on top of the per-trigger figure",
            "B",
            Spread.of([per]),
            target="≤ 1 KB",
            met=per <= 1024,
            context=f"per trigger before delivery {out['per_trigger']:,.0f} B; each message's "
            "notification and job included, shared with its trigger's other steps",
        )
    ]


def delivery_rows(sizes: Sizes) -> list[Row]:
    return [*_engine_rows(sizes), *_ratio_rows(sizes), *_memory_rows(sizes)]
