"""Idempotency-Key (contract section 6, decision D11), on both transports."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from conftest import FIXTURES, Api

from novu_mock import Call, Clock, NovuMock, Reply
from novu_mock._core.request import Request
from novu_mock._policies.idempotency import Idempotency

TRIGGER = "/v1/events/trigger"
BODY = {"name": "welcome", "to": "user-1", "payload": {"n": 1}}
LINK = "https://docs.novu.co/additional-resources/idempotency"


def _post(api: Api, key: str, body: object = BODY) -> httpx.Response:
    return api.post(TRIGGER, body, headers={"Idempotency-Key": key})


def test_same_key_and_body_replays_without_running_the_handler(api: Api) -> None:
    first = _post(api, "k-1")
    again = _post(api, "k-1")
    assert first.status_code == again.status_code == 201
    assert first.headers["Idempotency-Key"] == again.headers["Idempotency-Key"] == "k-1"
    assert "Idempotency-Replay" not in first.headers
    assert again.headers["Idempotency-Replay"] == "true"
    assert again.content == first.content
    assert len(api.triggers()) == 1


def test_body_formatting_does_not_count_but_content_does(api: Api) -> None:
    assert _post(api, "k-2").status_code == 201
    spaced = api.post(
        TRIGGER,
        content=b'{ "name": "welcome",  "to": "user-1", "payload": {"n": 1} }',
        headers={"Idempotency-Key": "k-2", "Content-Type": "application/json"},
    )
    assert spaced.headers.get("Idempotency-Replay") == "true"
    other = _post(api, "k-2", {**BODY, "to": "user-2"})
    assert other.status_code == 422
    assert other.json()["message"] == 'Request with key "k-2" is being reused for a different body'
    assert other.json()["error"] == "Unprocessable Entity"
    assert other.headers["Idempotency-Key"] == "k-2"
    assert other.headers["Link"] == LINK
    assert len(api.triggers()) == 1


def test_key_over_255_characters_is_refused(api: Api) -> None:
    long_key = "k" * 256
    response = _post(api, long_key)
    assert response.status_code == 400
    assert response.json()["message"] == (
        f'idempotencyKey "{long_key}" has exceeded the maximum allowed length of 255 characters'
    )
    assert api.triggers() == []
    assert _post(api, "k" * 255).status_code == 201


def test_errors_are_replayed_too(api: Api) -> None:
    body = {"name": "not-yet-there", "to": "user-1"}
    first = _post(api, "k-err", body)
    assert first.status_code == 422
    api.seed({"workflows": [{"workflowId": "not-yet-there"}]})
    again = _post(api, "k-err", body)
    assert again.status_code == 422
    assert again.json()["message"] == "workflow_not_found"
    assert again.headers["Idempotency-Replay"] == "true"
    assert api.triggers() == []


def test_only_post_and_patch_use_the_key(api: Api) -> None:
    response = api.delete(f"{TRIGGER}/txn-1", headers={"Idempotency-Key": "k-3"})
    assert response.status_code == 200
    assert "Idempotency-Key" not in response.headers
    assert "Idempotency-Key" not in api.get("/_mock/health").headers


def test_keys_are_scoped_per_environment(api: Api) -> None:
    other_key = api.key + "-other"
    assert _post(api, "shared").status_code == 201
    response = api.post(TRIGGER, BODY, headers={"Idempotency-Key": "shared"}, key=other_key)
    assert response.status_code == 201
    assert "Idempotency-Replay" not in response.headers
    assert len(api.triggers()) == 1
    assert len(api.mock.engine.trigger_records(other_key)) == 1


def test_overlapping_calls_get_409_while_the_first_is_in_flight(api: Api) -> None:
    api.post("/_mock/faults", {"latency": 0.6, "when": {"path": TRIGGER}})
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(_post, api, "k-slow")
        time.sleep(0.2)
        second = pool.submit(_post, api, "k-slow")
        responses = sorted([first.result(), second.result()], key=lambda r: r.status_code)
    assert [r.status_code for r in responses] == [201, 409]
    conflict = responses[1]
    assert conflict.json()["message"] == (
        'Request with key "k-slow" is currently being processed. Please retry after 1 second'
    )
    assert conflict.json()["error"] == "Conflict"
    assert conflict.headers["Retry-After"] == "1"
    assert conflict.headers["Link"] == LINK
    assert conflict.headers["Idempotency-Key"] == "k-slow"
    assert _post(api, "k-slow").headers["Idempotency-Replay"] == "true"
    assert len(api.triggers()) == 1


def test_results_expire_after_24_hours_of_the_engine_clock() -> None:
    clock = Clock()
    mock = NovuMock(FIXTURES, clock=clock)
    with mock.intercept(), httpx.Client(base_url="https://api.novu.co") as client:
        headers = {"Authorization": "ApiKey k", "Idempotency-Key": "day"}
        assert client.post(TRIGGER, json=BODY, headers=headers).status_code == 201
        clock.advance(86_399)
        assert (
            client.post(TRIGGER, json=BODY, headers=headers).headers["Idempotency-Replay"] == "true"
        )
        clock.advance(1)
        fresh = client.post(TRIGGER, json=BODY, headers=headers)
        assert fresh.status_code == 201
        assert "Idempotency-Replay" not in fresh.headers
    assert len(mock.triggers) == 2


def test_reset_forgets_keys() -> None:
    mock = NovuMock(FIXTURES)
    with mock.intercept(), httpx.Client(base_url="https://api.novu.co") as client:
        headers = {"Authorization": "ApiKey k", "Idempotency-Key": "r"}
        client.post(TRIGGER, json=BODY, headers=headers)
        mock.reset()
        assert "Idempotency-Replay" not in client.post(TRIGGER, json=BODY, headers=headers).headers


def test_twenty_parallel_duplicates_against_a_live_server_record_one_trigger() -> None:
    mock = NovuMock(FIXTURES)
    mock.add_fault({"latency": 0.3, "when": {"path": TRIGGER}})
    barrier = threading.Barrier(20)
    with mock.serve() as server, httpx.Client(base_url=server.url, timeout=10) as client:
        headers = {"Authorization": "ApiKey parallel", "Idempotency-Key": "same-key"}

        def send(_: int) -> httpx.Response:
            barrier.wait()
            return client.post(TRIGGER, json=BODY, headers=headers)

        with ThreadPoolExecutor(20) as pool:
            responses = list(pool.map(send, range(20)))
    firsts = [
        r for r in responses if r.status_code == 201 and "Idempotency-Replay" not in r.headers
    ]
    others = [r for r in responses if r not in firsts]
    assert len(firsts) == 1
    assert all(
        r.status_code == 409 or r.headers.get("Idempotency-Replay") == "true" for r in others
    )
    assert any(r.status_code == 409 for r in others)
    assert len(mock.triggers) == 1


@pytest.mark.parametrize(("method", "replayed"), [("POST", True), ("PATCH", True), ("PUT", False)])
def test_post_and_patch_only(method: str, replayed: bool) -> None:
    engine = NovuMock(FIXTURES).engine
    store = Idempotency()
    runs: list[int] = []

    def answer() -> Reply:
        runs.append(1)
        return Reply.json(200, {"data": len(runs)})

    call = Call(method, "/v1/x", "", {"idempotency-key": "p"}, b'{"a":1}')
    for _ in range(2):
        req = Request(engine, call, {}, engine.clock.now(), "now")
        req.env = engine.environment("k")
        reply = store.run(req, answer)
    assert len(runs) == (1 if replayed else 2)
    assert (reply.header("Idempotency-Replay") == "true") is replayed
