"""Time rows (issue 14): pending delayed work on the virtual clock.

- 10,000 delayed runs pending: one advance of the clock delivers every message (target ≤ 2 s);
- the cost per job of scheduling (the run reaching its delay) and of firing (the advance) with
  1,000 to 100,000 others pending (target: flat, at most 1.5x from the smallest to the largest):
  the same 1,000 jobs timed at every size (CPU time, fresh state, sizes interleaved), for bare
  jobs in the scheduler (T2a, beside heapq alone as the control) and for whole runs (T2b);
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


def _schedule_and_fire(count: int) -> tuple[float, float]:
    """Wall seconds to run `count` queued triggers up to their delays, and to fire them all."""
    engine = _engine()
    _bulk(engine, "later", count)
    gc.collect()
    start = time.perf_counter()
    with engine.lock:
        engine.timeline.prepare()  # each run reaches its delay: one job scheduled per run
    scheduled = time.perf_counter() - start
    assert engine.timeline.pending() == count
    start = time.perf_counter()
    engine.timeline.advance(300)
    fired = time.perf_counter() - start
    assert engine.timeline.pending() == 0 and _messages(engine) == count
    return scheduled, fired


PROBE = 1_000  # the jobs timed at every size: the same work whatever is pending


def _bare_job(i: int, due: float, fire: Any) -> Job:
    return Job(
        job_id=str(i),
        kind="delay",
        due=due,
        scheduled_at=0.0,
        transaction_id=f"t{i}",
        subscriber_id="s",
        step_id="wait",
        fire=fire,
    )


CYCLES = 7  # probes per fresh state (each returns it to the same number pending)
RUN_CYCLES = 5
FAR = 1e9  # the others' due time: they stay pending through every probe


def _bare_probe(pending: int, seed: int) -> list[tuple[float, float]]:
    """CPU microseconds per job to schedule PROBE bare jobs in one environment's scheduler that
    already holds `pending` others, and to fire those PROBE with one advance of an hour (the
    others stay): the heap alone, without the runs around it. Fresh engine; CYCLES probes;
    cyclic GC paused while timed."""
    import random

    rng = random.Random(seed)
    engine = Engine([], clock=Clock.virtual(0.0))
    scheduler = engine.environment("bench-key").scheduler
    fired = [0]

    def fire(at: float) -> None:
        fired[0] += 1

    with engine.lock:
        for i in range(pending):
            scheduler.schedule(_bare_job(i, FAR + rng.random() * 3600, fire))
    schedule_us: list[float] = []
    fire_us: list[float] = []
    for cycle in range(CYCLES):
        now = engine.clock.now()
        probe = [
            _bare_job(pending + cycle * PROBE + i, now + rng.random() * 3600, fire)
            for i in range(PROBE)
        ]
        gc.collect()
        gc.disable()
        try:
            start = time.process_time()
            with engine.lock:
                for job in probe:
                    scheduler.schedule(job)
            scheduled = time.process_time() - start
            start = time.process_time()
            engine.timeline.advance(3600)
            ran = time.process_time() - start
        finally:
            gc.enable()
        assert scheduler.pending == pending
        schedule_us.append(scheduled / PROBE * 1e6)
        fire_us.append(ran / PROBE * 1e6)
    assert fired[0] == PROBE * CYCLES
    return list(zip(schedule_us, fire_us, strict=True))


def _heapq_probe(pending: int, seed: int) -> list[tuple[float, float]]:
    """The control: heapq alone, (due, seq, object) entries as the scheduler keeps them, PROBE
    pushed onto and popped from a heap of `pending` entries, CYCLES times. What grows here is
    the heap's log n and the memory it walks, not our code."""
    import heapq
    import random

    rng = random.Random(seed)
    heap: list[tuple[float, int, object]] = []
    for i in range(pending):
        heapq.heappush(heap, (FAR + rng.random() * 3600, i, object()))
    push_us: list[float] = []
    pop_us: list[float] = []
    for cycle in range(CYCLES):
        probe = [(rng.random() * 3600, pending + cycle * PROBE + i, object()) for i in range(PROBE)]
        gc.collect()
        gc.disable()
        try:
            start = time.process_time()
            for entry in probe:
                heapq.heappush(heap, entry)
            pushed = time.process_time() - start
            start = time.process_time()
            while heap[0][0] < FAR:
                heapq.heappop(heap)
            popped = time.process_time() - start
        finally:
            gc.enable()
        assert len(heap) == pending
        push_us.append(pushed / PROBE * 1e6)
        pop_us.append(popped / PROBE * 1e6)
    return list(zip(push_us, pop_us, strict=True))


PROBED = {
    "workflowId": "soon",
    "steps": [{"stepId": "wait", "type": "delay", "amount": 5, "unit": "minutes"}, STEP],
}
BACKGROUND = {
    "workflowId": "hour",
    "steps": [{"stepId": "wait", "type": "delay", "amount": 1, "unit": "hours"}, STEP],
}


def _run_probe(pending: int) -> list[tuple[float, float]]:
    """CPU microseconds per run, with `pending` delayed runs already waiting (an hour), to run
    PROBE queued triggers up to their 5-minute delays (one job scheduled each) and to fire them
    (one advance of 5 minutes: their messages sent, the others still pending). Fresh engine;
    RUN_CYCLES probes; cyclic GC paused while timed."""
    ids = subscriber_ids(PEOPLE)
    doc = {
        "workflows": [PROBED, BACKGROUND],
        "subscribers": [{"subscriberId": s} for s in ids],
    }
    engine = Engine([doc], clock=Clock.virtual())
    _bulk(engine, "hour", pending)
    with engine.lock:
        engine.timeline.prepare()
    schedule_us: list[float] = []
    fire_us: list[float] = []
    for cycle in range(RUN_CYCLES):  # 25 minutes in all: the others (due in an hour) stay pending
        _bulk(engine, "soon", PROBE, offset=pending + cycle * PROBE)
        gc.collect()
        gc.disable()
        try:
            start = time.process_time()
            with engine.lock:
                engine.timeline.prepare()  # each probe run reaches its delay: one job each
            scheduled = time.process_time() - start
            start = time.process_time()
            engine.timeline.advance(300)
            fired = time.process_time() - start
        finally:
            gc.enable()
        assert engine.timeline.pending() == pending
        assert _messages(engine) == PROBE * (cycle + 1)
        schedule_us.append(scheduled / PROBE * 1e6)
        fire_us.append(fired / PROBE * 1e6)
    return list(zip(schedule_us, fire_us, strict=True))


def _interleaved(
    probe: Any, scales: tuple[int, ...], rounds: int
) -> dict[int, tuple[Spread, Spread]]:
    """`probe(n, seed)` (a list of per-job samples) at every size, `rounds` times, the sizes in a
    rotated order each round, so that a busy moment of a shared machine does not land on one
    size; every size gets the same number of samples."""
    seen: dict[int, list[tuple[float, float]]] = {n: [] for n in scales}
    for r in range(rounds):
        order = scales[r % len(scales) :] + scales[: r % len(scales)]
        for n in order:
            seen[n].extend(probe(n, r))
    return {
        n: (Spread.of([v[0] for v in runs]), Spread.of([v[1] for v in runs]))
        for n, runs in seen.items()
    }


def _ratio(spreads: dict[int, tuple[Spread, Spread]]) -> float:
    """Largest over smallest per-job cost, the worse of schedule and fire. Each size's cost is
    its lowest sample: other work on the machine only ever adds time, and every size had the
    same number of tries (the medians are in the row's context)."""
    ratios = []
    for part in (0, 1):
        lows = [s[part].low for s in spreads.values()]
        ratios.append(max(lows) / min(lows))
    return max(ratios)


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

    t2_rounds = 3 if sizes.smoke else 5
    heap_only = _interleaved(_heapq_probe, scales, t2_rounds)
    bare = _interleaved(_bare_probe, scales, t2_rounds)
    runs = _interleaved(lambda n, seed: _run_probe(n), scales, t2_rounds)
    heap_ratio, bare_ratio, flat = _ratio(heap_only), _ratio(bare), _ratio(runs)

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

    def _each(spreads: dict[int, tuple[Spread, Spread]]) -> str:
        return "; ".join(
            f"{n:,}: schedule {s.low:.2f} µs, fire {f.low:.2f} µs (median {s.median:.2f}, "
            f"{f.median:.2f})"
            for n, (s, f) in spreads.items()
        )

    detail: dict[str, Any] = {
        name: {
            str(n): {
                "schedule_us": round(s.low, 3),
                "fire_us": round(f.low, 3),
                "schedule_us_median": round(s.median, 3),
                "fire_us_median": round(f.median, 3),
            }
            for n, (s, f) in spreads.items()
        }
        for name, spreads in (("heapq", heap_only), ("scheduler", bare), ("runs", runs))
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
            f"T2a. the scheduler alone: CPU time per job to schedule {PROBE:,} bare jobs and "
            f"fire them (one advance) with {scales[0]:,} to {scales[-1]:,} others pending, "
            "largest over smallest (the worse of the two)",
            "x",
            Spread.of([bare_ratio]),
            target="≤ 1.5x (a heap, not a scan)",
            met=bare_ratio <= 1.5,
            context=_each(bare)
            + f"; control, heapq alone with as many entries: {heap_ratio:.2f}x ({_each(heap_only)})"
            f"; {t2_rounds} interleaved rounds, fresh state, cyclic GC paused while timed",
            extra={"per_job": detail, "heapq_ratio": heap_ratio},
        ),
        Row(
            "time_per_job_flat_x",
            f"T2b. same for delayed runs: CPU time per run to take {PROBE:,} queued triggers to "
            f"their delays and fire them (their messages sent) with {scales[0]:,} to "
            f"{scales[-1]:,} other runs pending, largest over smallest (the worse of the two)",
            "x",
            Spread.of([flat]),
            target="≤ 1.5x (flat: a heap, not a scan)",
            met=flat <= 1.5,
            context=_each(runs)
            + f"; {t2_rounds} interleaved rounds, fresh engine, cyclic GC paused while timed",
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
