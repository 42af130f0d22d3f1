"""Bounded memory on a long-running shared server (issue 11): idempotency entries expire and
are capped, oversized bodies are refused before they are read (D15), refused or unrouted bodies
are journaled as excerpts, a reset without a key drops the environments nobody configured, and
`max_environments` drops the least recently used one."""

from __future__ import annotations

import gc
import json
from typing import Any

import pytest
from conftest import Api

from novu_mock import Call, Clock, Engine, NovuMock, bundled
from novu_mock._cli import _parser
from novu_mock._core.limits import DEFAULT_LIMIT, EXCERPT, EXTENDED_LIMIT

TRIGGER = {"name": "welcome", "to": "user-1"}


def _post(engine: Engine, path: str, body: Any, key: str = "k", **headers: str) -> dict[str, Any]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    hdrs = {"authorization": f"ApiKey {key}", "content-type": "application/json", **headers}
    reply = engine.handle(Call("POST", path, "", hdrs, raw))
    return {"status": reply.status, "body": reply.payload, "reply": reply}


# -- idempotency entries ------------------------------------------------------------------------


def test_idempotency_entries_expire_on_the_clock() -> None:
    clock = Clock(frozen=1_700_000_000.0)
    engine = Engine([bundled()], clock=clock)
    for n in range(20):
        _post(engine, "/v1/events/trigger", TRIGGER, **{"idempotency-key": f"k{n}"})
    env = engine.environment("k")
    assert len(env.idempotency) == 20
    clock.advance(86_400)
    _post(engine, "/v1/events/trigger", TRIGGER, **{"idempotency-key": "fresh"})
    assert list(env.idempotency) == ["fresh"]


def test_idempotency_entries_are_capped_oldest_first() -> None:
    engine = Engine([bundled()], journal_limit=5)
    answers = [
        _post(engine, "/v1/events/trigger", TRIGGER, **{"idempotency-key": f"k{n}"})
        for n in range(8)
    ]
    env = engine.environment("k")
    assert list(env.idempotency) == ["k3", "k4", "k5", "k6", "k7"]
    newest = _post(engine, "/v1/events/trigger", TRIGGER, **{"idempotency-key": "k7"})
    assert newest["reply"].header("Idempotency-Replay") == "true"
    oldest = _post(engine, "/v1/events/trigger", TRIGGER, **{"idempotency-key": "k0"})
    assert oldest["reply"].header("Idempotency-Replay") is None
    assert oldest["body"]["data"]["transactionId"] != answers[0]["body"]["data"]["transactionId"]


# -- body limits (D15) --------------------------------------------------------------------------


def _assert_413(response: Any, path: str) -> None:
    assert response.status_code == 413, response.text
    body = response.json()
    assert body["statusCode"] == 413 and body["path"] == path
    assert body["message"] == "request entity too large" and "timestamp" in body


def test_a_body_over_100kb_is_refused_on_v2_subscribers(api: Api) -> None:
    big = {"subscriberId": "big", "data": {"blob": "x" * DEFAULT_LIMIT}}
    response = api.post("/v2/subscribers", big)
    _assert_413(response, "/v2/subscribers")
    assert "big" not in [s["subscriberId"] for s in api.state()["subscribers"]]
    record = api.get("/_mock/requests").json()["data"][-1]
    assert record["status"] == 413 and len(record["body"]) < EXCERPT + 200


def test_a_body_at_the_limit_is_read(api: Api) -> None:
    body = json.dumps({"subscriberId": "at-limit", "data": {"blob": ""}}).encode()
    padded = body.replace(b'""', b'"' + b"x" * (DEFAULT_LIMIT - len(body)) + b'"')
    assert len(padded) == DEFAULT_LIMIT
    response = api.post(
        "/v2/subscribers", content=padded, headers={"content-type": "application/json"}
    )
    assert response.status_code == 201, response.text


def test_trigger_routes_take_bodies_up_to_20mb(api: Api) -> None:
    # 150 kB is over the default limit, under the extended one: D8's 512 KB rule still passes it.
    response = api.post("/v1/events/trigger", {**TRIGGER, "payload": {"x": "y" * 150_000}})
    assert response.status_code == 201, response.text


def test_a_body_over_20mb_is_refused_on_a_trigger() -> None:
    engine = Engine([bundled()])
    answer = _post(engine, "/v1/events/trigger", b"{" + b" " * EXTENDED_LIMIT + b"}")
    assert answer["status"] == 413
    assert engine.trigger_records() == []
    (record,) = engine.request_records("k")  # journaled for its key, as an excerpt
    assert len(record["body"]) < EXCERPT + 200


def test_an_unknown_path_keeps_only_an_excerpt(api: Api) -> None:
    response = api.post("/v1/nowhere", {"blob": "z" * 50_000})
    assert response.status_code == 404
    records = api.mock.engine.request_records()
    mine = [r for r in records if r["path"] == "/v1/nowhere"]
    assert mine and len(mine[-1]["body"]) < EXCERPT + 200
    assert "50,0" in mine[-1]["body"]  # says how large the body was
    too_big = api.post("/v1/nowhere", {"blob": "z" * DEFAULT_LIMIT})
    _assert_413(too_big, "/v1/nowhere")


def test_the_asgi_adapter_stops_keeping_a_body_at_its_limit() -> None:
    import asyncio

    from novu_mock._transports.asgi import read_body

    chunks = [b"a" * 60_000, b"b" * 60_000, b"c" * 60_000]

    async def run(declared: int | None) -> Any:
        messages = iter(
            {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
            for i, c in enumerate(chunks)
        )

        async def receive() -> Any:
            return next(messages)

        return await read_body(receive, DEFAULT_LIMIT, declared)

    body, size = asyncio.run(run(None))
    assert size == 180_000 and body == b"a" * EXCERPT
    body, size = asyncio.run(run(180_000))
    assert size == 180_000 and body == b"a" * EXCERPT
    chunks = [b"a" * 60_000]
    assert asyncio.run(run(None)) == (b"a" * 60_000, None)


# -- environments -------------------------------------------------------------------------------


def test_a_reset_without_a_key_drops_environments_nobody_configured() -> None:
    engine = Engine([bundled(), {"apiKeys": ["kept"]}], api_keys=["also-kept"])
    engine2 = Engine([bundled()])
    for key in ("kept", "also-kept"):
        _post(engine, "/v1/events/trigger", TRIGGER, key=key)
    for n in range(50):
        _post(engine2, "/v1/events/trigger", TRIGGER, key=f"throwaway-{n}")
    assert len(engine2.environment_names()) == 50
    engine2.reset()
    assert engine2.environment_names() == []
    engine.reset()
    # keys shorter than 12 characters keep none in their masks, made unique in order of
    # arrival (DESIGN section 6)
    assert engine.environment_names() == ["****", "****~2"]
    assert engine.trigger_records() == []


def test_a_reset_keeps_a_configured_environment_s_ids() -> None:
    engine = Engine([bundled()], api_keys=["kept"])
    env = engine.environment("kept")
    engine.reset()
    assert engine.environment("kept").id == env.id


def test_the_least_recently_used_environment_goes_past_max_environments() -> None:
    mock = NovuMock([bundled()], max_environments=3)
    engine = mock.engine
    for key in ("k1", "k2", "k3"):
        _post(engine, "/v1/events/trigger", TRIGGER, key=key)
    _post(engine, "/v1/events/trigger", TRIGGER, key="k1")  # k1 is used again: k2 is oldest
    _post(engine, "/v1/events/trigger", TRIGGER, key="k4")
    # masks of short keys, unique in order of arrival: k1 ****, k2 ****~2, k3 ****~3, k4 ****~4
    assert engine.environment_names() == ["****", "****~3", "****~4"]
    assert [r["environment"] for r in engine.trigger_records()] == [
        "****",
        "****~3",
        "****",
        "****~4",
    ]


def test_max_environments_flag(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOVU_MOCK_MAX_ENVIRONMENTS", raising=False)
    assert _parser().parse_args(["serve"]).max_environments == 10_000
    assert _parser().parse_args(["serve", "--max-environments", "5"]).max_environments == 5
    monkeypatch.setenv("NOVU_MOCK_MAX_ENVIRONMENTS", "7")
    assert _parser().parse_args(["serve"]).max_environments == 7
    with pytest.raises(ValueError, match="max_environments"):
        Engine(max_environments=0)


def test_only_a_keyless_reset_calls_the_servers_reclaim_hook() -> None:
    # `serve` hands the memory of dropped environments back at once (gc + malloc_trim) through
    # this hook; a reset of one key drops nothing, so it does not pay for a collection.
    engine = Engine([bundled()])
    calls: list[str] = []
    engine.after_full_reset = lambda: calls.append("reclaimed")
    _post(engine, "/v1/events/trigger", {"name": "welcome", "to": "u1"}, key="a")
    engine.reset("a")
    assert calls == []
    engine.reset()
    assert calls == ["reclaimed"]


def test_a_keyless_reset_lets_go_of_the_masks_of_dropped_keys() -> None:
    # Masks are unique while their environments live; thousands of throwaway keys must not
    # leave one each behind (nor pin the memory around them), so after a reset without a key
    # a mask that named only a dropped environment may name a later one.
    engine = Engine([bundled()], api_keys=None)
    for key in ("first-key-same", "second-key-same"):
        _post(engine, "/v1/events/trigger", TRIGGER, key=key)
    assert engine.environment_names() == ["****same", "****same~2"]
    engine.reset()
    _post(engine, "/v1/events/trigger", TRIGGER, key="second-key-same")
    assert engine.environment_names() == ["****same"]


def test_a_kept_environment_s_mask_is_never_given_to_another_key() -> None:
    engine = Engine([bundled()], api_keys=["kept-key-same", "other-key-same"])
    _post(engine, "/v1/events/trigger", TRIGGER, key="other-key-same")
    _post(engine, "/v1/events/trigger", TRIGGER, key="kept-key-same")
    engine.reset()
    _post(engine, "/v1/events/trigger", TRIGGER, key="kept-key-same")
    assert engine.environment_names() == ["****same", "****same~2"]
    assert engine.request_records("kept-key-same")[0]["environment"] == "****same~2"


# -- delivery history past the journal limit -----------------------------------------------------

DELAYED = {
    "workflows": [
        {
            "workflowId": "later",
            "steps": [
                {"stepId": "wait", "type": "delay", "amount": 5, "unit": "minutes"},
                {"stepId": "note", "type": "in_app", "body": "hi {{ payload.n }}"},
            ],
        },
        {
            "workflowId": "batched",
            "steps": [
                {"stepId": "batch", "type": "digest", "amount": 10, "unit": "minutes"},
                {"stepId": "mail", "type": "in_app", "body": "{{ step.total_count }}"},
            ],
        },
    ],
    "subscribers": [{"subscriberId": f"s{n}"} for n in range(3)],
}


def _busy(engine: Engine, clock: Clock, rounds: int) -> None:
    for n in range(rounds):
        bulk = [
            {"name": name, "to": ["s0", "s1", "s2"], "payload": {"n": n}}
            for name in ("welcome", "later", "batched")
        ]
        assert _post(engine, "/v1/events/trigger/bulk", {"events": bulk})["status"] == 201
        if n % 3 == 0:
            clock.advance(3_600)
            _post(engine, "/v1/events/trigger", {"name": "welcome", "to": "s0"})


_SERVERS = ("novu_mock._transports.", "novu_mock._proxy.")


def test_delivery_history_past_the_limit_needs_no_cyclic_collector() -> None:
    # A notification, its jobs and messages point at each other, and a delay's pending job at
    # its run; `serve` freezes survivors for throughput, so whatever only the cyclic collector
    # could free stayed until its sweep (a busy server grew ~50 KB a bulk). What the journal
    # limit drops, and a finished job, must be freed by reference counting alone.
    clock = Clock(frozen=1_700_000_000.0)
    engine = Engine([bundled(), DELAYED], clock=clock, journal_limit=10)
    _busy(engine, clock, 6)
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)  # what the collector finds stays in gc.garbage to be read
    try:
        _busy(engine, clock, 12)
        gc.collect()
        # Only the engine's: other tests' servers in this process (their threads run on) may
        # close a connection meanwhile, and uvicorn's protocol objects (ours among them:
        # Guarded, OneSend) form cycles; they are no part of delivery history.
        ours = [
            type(o).__name__
            for o in gc.garbage
            if type(o).__module__.startswith("novu_mock.")
            and not type(o).__module__.startswith(_SERVERS)
        ]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert ours == []
    assert 0 < len(engine.trigger_records()) <= 10  # the newest, within the limit


def test_dropped_notifications_take_their_messages_with_them() -> None:
    # Messages and notifications count toward the journal limit; a notification that goes
    # takes its messages with it, so no message is listed whose notification is gone.
    mock = NovuMock([bundled()], journal_limit=3)
    people = [{"subscriberId": "u0", "email": "u0@example.com"}, {"subscriberId": "u1"}]
    mock.add_fixtures({"subscribers": [*people, {"subscriberId": "u2"}]})
    for to in ("u0", "u1", "u2", "u1", "u2"):  # only u0 has an address: one message
        body = {"name": "password-reset", "to": to, "payload": {"resetUrl": "https://x.test"}}
        assert _post(mock.engine, "/v1/events/trigger", body, key="k")["status"] == 201
    feed = _get(mock.engine, "/v1/notifications", key="k")["data"]
    assert [n["subscriber"]["subscriberId"] for n in feed] == ["u2", "u1", "u2"]
    assert mock.messages == []


def _get(engine: Engine, path: str, key: str = "k") -> Any:
    reply = engine.handle(Call("GET", path, "", {"authorization": f"ApiKey {key}"}))
    assert reply.status == 200, reply.body
    return reply.payload


def test_triggers_alone_never_queue_more_than_a_slice_of_runs() -> None:
    # A server fed only triggers (nothing reads) used to queue runs up to the journal limit
    # (100,000 by default) and then run them all inside one call: a 7.6 s stall for whichever
    # client sent the 1,001st bulk of 100. Under a limit the queue now runs past MAX_QUEUED.
    from novu_mock._delivery.run import MAX_QUEUED

    engine = Engine([bundled()], journal_limit=100_000)
    events = [{"name": "welcome", "to": "user-1", "payload": {}} for _ in range(100)]
    largest = 0
    for _ in range(MAX_QUEUED // 100 + 3):
        assert _post(engine, "/v1/events/trigger/bulk", {"events": events})["status"] == 201
        largest = max(largest, len(engine.environment("k").pending))
    assert MAX_QUEUED - 100 < largest <= MAX_QUEUED + 100
    assert len(engine.environment("k").pending) <= MAX_QUEUED + 100
