"""Time rows (issue 14): pending delayed work on the virtual clock.

- 10,000 delayed runs pending: one advance of the clock delivers every message (target ≤ 2 s);
- the cost per job of scheduling (the run reaching its delay) and of firing (the advance) from
  1,000 to 100,000 pending (target: flat, at most 1.5x from the smallest to the largest);
- a trigger on a workflow with a delay step against the same workflow without it: engine time
  of the trigger call (target ≤ 1.10x), and of everything (the call, the run up to the delay,
  the advance that sends the message).
"""

from __future__ import annotations

import gc
import json
import time
from typing import Any

from novu_mock import Clock, Engine
from novu_mock._core.http import Call
from novu_mock._model.scheduler import Job

from ._config import Sizes
from ._report import Row, Spread
from ._workloads import HEADERS, subscriber_ids

STEP = {"stepId": "inbox", "type": "in_app", "subject": "Hi", "body": "Order {{ payload.n }}"}
DELAYED = {
    "workflowId": "later",
    "steps": [{"stepId": "wait", "type": "delay", "amount": 5, "unit": "minutes"}, STEP],
}
PLAIN = {"workflowId": "now", "steps": [STEP]}
PEOPLE = 1_000


def _engine() -> Engine:
    ids = subscriber_ids(PEOPLE)
    doc = {"workflows": [DELAYED, PLAIN], "subscribers": [{"subscriberId": s} for s in ids]}
    return Engine([doc], clock=Clock.virtual())


def _bulk(engine: Engine, workflow: str, count: int, offset: int = 0) -> None:
    ids = subscriber_ids(PEOPLE)
    for start in range(0, count, 100):
        events = [
            {"name": workflow, "to": ids[(offset + i) % PEOPLE], "payload": {"n": offset + i}}
            for i in range(start, min(start + 100, count))
        ]
        body = json.dumps({"events": events}).encode()
        reply = engine.handle(Call("POST", "/v1/events/trigger/bulk", "", dict(HEADERS), body))
        assert reply.status == 201, reply.body[:300]


def _messages(engine: Engine) -> int:
    with engine.lock:
        engine.timeline.prepare()
        return sum(len(getattr(env, "messages", ())) for env in engine.environments.values())


def _schedule_and_fire(count: int, collector: bool = True) -> tuple[float, float]:
    """Seconds to run `count` queued triggers up to their delays, and to fire them all; without
    `collector` the cyclic garbage collector is paused while timing (its full collections walk
    every live object, pending runs included, so they grow with what is pending)."""
    engine = _engine()
    _bulk(engine, "later", count)
    gc.collect()
    if not collector:
        gc.disable()
    start = time.perf_counter()
    with engine.lock:
        engine.timeline.prepare()  # each run reaches its delay: one job scheduled per run
    scheduled = time.perf_counter() - start
    assert engine.timeline.pending() == count
    start = time.perf_counter()
    engine.timeline.advance(300)
    fired = time.perf_counter() - start
    gc.enable()
    assert engine.timeline.pending() == 0 and _messages(engine) == count
    return scheduled, fired


def _bare_jobs(count: int) -> tuple[float, float]:
    """Microseconds per job to schedule `count` bare jobs (spread over an hour, in random
    order) in one environment's scheduler and to fire them all with one advance: the heap
    alone, without the runs around it."""
    import random

    engine = Engine([], clock=Clock.virtual(0.0))
    env = engine.environment("bench-key")
    dues = [random.random() * 3600 for _ in range(count)]
    fired = [0]

    def fire(at: float) -> None:
        fired[0] += 1

    jobs = [
        Job(
            job_id=str(i),
            kind="delay",
            due=due,
            scheduled_at=0.0,
            transaction_id=f"t{i}",
            subscriber_id="s",
            step_id="wait",
            fire=fire,
        )
        for i, due in enumerate(dues)
    ]
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        with engine.lock:
            for job in jobs:
                env.scheduler.schedule(job)
        scheduled = time.perf_counter() - start
        start = time.perf_counter()
        engine.timeline.advance(3600)
        ran = time.perf_counter() - start
    finally:
        gc.enable()
    assert fired[0] == count
    return scheduled / count * 1e6, ran / count * 1e6


def _per_trigger_us(workflow: str, count: int) -> tuple[float, float]:
    """Engine microseconds per single trigger: (the trigger call alone, everything: the call,
    its run, and the advance that sends its message)."""
    engine = _engine()
    ids = subscriber_ids(PEOPLE)
    calls = [
        Call(
            "POST",
            "/v1/events/trigger",
            "",
            dict(HEADERS),
            json.dumps({"name": workflow, "to": ids[i % PEOPLE], "payload": {"n": i}}).encode(),
        )
        for i in range(count)
    ]
    gc.collect()
    start = time.perf_counter()
    for call in calls:
        engine.handle(call)
    answered = time.perf_counter() - start
    with engine.lock:
        engine.timeline.prepare()
    engine.timeline.advance(300)
    spent = time.perf_counter() - start
    assert _messages(engine) == count
    return answered * 1e6 / count, spent * 1e6 / count


def time_rows(sizes: Sizes) -> list[Row]:
    big = 1_000 if sizes.smoke else 10_000
    scales = (100, 1_000, 10_000) if sizes.smoke else (1_000, 10_000, 100_000)
    rounds = 2 if sizes.smoke else 5
    triggers = 200 if sizes.smoke else 2_000

    deliver = [_schedule_and_fire(big)[1] for _ in range(rounds)]
    spread = Spread.of(deliver)

    per_job: dict[int, tuple[float, float]] = {}
    with_gc: dict[int, tuple[float, float]] = {}
    for n in scales:
        repeats = 1 if n >= 100_000 else 3
        runs = [_schedule_and_fire(n, collector=False) for _ in range(repeats)]
        per_job[n] = (min(r[0] for r in runs) / n * 1e6, min(r[1] for r in runs) / n * 1e6)
        seen = _schedule_and_fire(n)
        with_gc[n] = (seen[0] / n * 1e6, seen[1] / n * 1e6)
    schedule_ratio = max(v[0] for v in per_job.values()) / min(v[0] for v in per_job.values())
    fire_ratio = max(v[1] for v in per_job.values()) / min(v[1] for v in per_job.values())
    flat = max(schedule_ratio, fire_ratio)

    bare: dict[int, tuple[float, float]] = {}
    for n in scales:
        runs = [_bare_jobs(n) for _ in range(3)]
        bare[n] = (min(r[0] for r in runs), min(r[1] for r in runs))
    bare_ratio = max(
        max(v[0] for v in bare.values()) / min(v[0] for v in bare.values()),
        max(v[1] for v in bare.values()) / min(v[1] for v in bare.values()),
    )

    calls: list[float] = []
    totals: list[float] = []
    sides: dict[str, list[tuple[float, float]]] = {"now": [], "later": []}
    for _ in range(rounds):  # interleaved, so that both sides see the same machine
        plain = _per_trigger_us("now", triggers)
        delayed = _per_trigger_us("later", triggers)
        sides["now"].append(plain)
        sides["later"].append(delayed)
        calls.append(delayed[0] / plain[0])
        totals.append(delayed[1] / plain[1])
    call_cost, total_cost = Spread.of(calls), Spread.of(totals)

    def _median(side: str, part: int) -> float:
        return Spread.of([v[part] for v in sides[side]]).median

    detail: dict[str, Any] = {
        str(n): {
            "schedule_us": round(s, 2),
            "fire_us": round(f, 2),
            "schedule_us_gc": round(with_gc[n][0], 2),
            "fire_us_gc": round(with_gc[n][1], 2),
        }
        for n, (s, f) in per_job.items()
    }
    return [
        Row(
            "time_deliver_10k_s",
            f"T1. one clock advance delivers {big:,} pending delayed runs (every message sent)",
            "s",
            spread,
            target="≤ 2 s",
            met=spread.median <= 2.0,
            context="virtual clock; runs queued by 100-event bulks, scheduled before timing",
        ),
        Row(
            "time_heap_flat_x",
            f"T2a. the scheduler alone: cost per job, largest over smallest, {scales[0]:,} to "
            f"{scales[-1]:,} pending bare jobs (schedule, and fire in one advance)",
            "x",
            Spread.of([bare_ratio]),
            target="≤ 1.5x (a heap, not a scan)",
            met=bare_ratio <= 1.5,
            context="; ".join(
                f"{n:,}: schedule {a:.2f} µs, fire {b:.2f} µs" for n, (a, b) in bare.items()
            )
            + "; cyclic GC paused while timed",
        ),
        Row(
            "time_per_job_flat_x",
            f"T2b. cost per pending delayed run, largest over smallest, {scales[0]:,} to "
            f"{scales[-1]:,} "
            "pending (schedule and fire, the worse of the two; cyclic GC paused while timed)",
            "x",
            Spread.of([flat]),
            target="≤ 1.5x (flat: a heap, not a scan)",
            met=flat <= 1.5,
            context="; ".join(
                f"{n:,}: schedule {s:.1f} µs, fire {f:.1f} µs per job "
                f"(with the GC: {with_gc[n][0]:.1f}, {with_gc[n][1]:.1f})"
                for n, (s, f) in per_job.items()
            ),
            extra={"per_job": detail},
        ),
        Row(
            "time_delay_trigger_ratio",
            "T3. engine time of a trigger call, workflow with a delay step over the same "
            "without (Engine.handle of POST /v1/events/trigger)",
            "x",
            call_cost,
            target="≤ 1.10x",
            met=call_cost.median <= 1.10,
            context=f"{triggers:,} single triggers per side and round; median "
            f"{_median('later', 0):.0f} µs vs {_median('now', 0):.0f} µs",
        ),
        Row(
            "time_delay_pipeline_ratio",
            "T3b. same, everything the engine does for the trigger: the call, its run up to "
            "the delay, and the advance that sends the message",
            "x",
            total_cost,
            target="≤ 1.10x",
            met=total_cost.median <= 1.10,
            context=f"median {_median('later', 1):.0f} µs vs {_median('now', 1):.0f} µs per "
            "trigger; the held run pays a scheduled job and a second walk of its steps",
        ),
    ]
