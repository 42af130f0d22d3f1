"""Injected faults: statuses, latency, dropped and timed-out connections (README)."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import httpx
import pytest
from conftest import FIXTURES, Api

from novu_mock import FixtureError, NovuMock
from novu_mock._core.errors import INTERNAL

TRIGGER = "/v1/events/trigger"
BULK = "/v1/events/trigger/bulk"
EVENT = {"name": "welcome", "to": "user-1"}


def _arm(api: Api, fault: Any) -> list[dict[str, Any]]:
    response = api.post("/_mock/faults", fault)
    assert response.status_code == 201, response.text
    data: list[dict[str, Any]] = response.json()["data"]
    return data


def test_status_for_the_next_n_matching_requests(api: Api) -> None:
    _arm(api, {"status": 503, "times": 2, "when": {"method": "POST", "path": TRIGGER}})
    statuses = [api.post(TRIGGER, EVENT).status_code for _ in range(3)]
    assert statuses == [503, 503, 201]
    assert len(api.triggers()) == 1
    assert api.get("/_mock/faults").json()["data"][0]["remaining"] == 0


@pytest.mark.parametrize(
    ("status", "message", "error"),
    [
        (503, "Service Unavailable", False),
        (429, "API rate limit exceeded", False),
        (502, "Bad Gateway", False),
        (404, "Not Found", False),
    ],
)
def test_novu_shaped_bodies(api: Api, status: int, message: str, error: bool) -> None:
    _arm(api, {"status": status, "times": 1, "retryAfter": 0.5})
    response = api.post(TRIGGER, EVENT)
    assert response.status_code == status
    body = response.json()
    assert body == {
        "statusCode": status,
        "timestamp": body["timestamp"],
        "path": TRIGGER,
        "message": message,
    }
    assert response.headers["Retry-After"] == "0.5"


def test_500_carries_an_error_id(api: Api) -> None:
    _arm(api, {"status": 500, "times": 1})
    body = api.post(TRIGGER, EVENT).json()
    assert body["message"] == INTERNAL
    uuid.UUID(body["errorId"])


def test_match_on_workflow_id_of_a_trigger_or_any_bulk_event(api: Api) -> None:
    api.seed({"workflows": [{"workflowId": "flaky"}]})
    _arm(api, {"status": 500, "when": {"workflowId": "flaky"}})
    assert api.post(TRIGGER, EVENT).status_code == 201
    assert api.post(TRIGGER, {**EVENT, "name": "flaky"}).status_code == 500
    assert api.post(BULK, {"events": [EVENT, {**EVENT, "name": "flaky"}]}).status_code == 500
    assert api.post(BULK, {"events": [EVENT]}).status_code == 201


def test_path_glob_and_method(api: Api) -> None:
    _arm(api, {"status": 503, "when": {"method": "DELETE", "path": "/v1/events/trigger/*"}})
    assert api.delete(f"{TRIGGER}/txn-1").status_code == 503
    assert api.post(TRIGGER, EVENT).status_code == 201


def test_faults_of_one_key_do_not_reach_another(api: Api) -> None:
    _arm(api, {"status": 503})
    assert api.post(TRIGGER, EVENT).status_code == 503
    assert api.post(TRIGGER, EVENT, key=api.key + "-b").status_code == 201


def test_delete_disarms(api: Api) -> None:
    _arm(api, {"status": 503})
    assert api.delete("/_mock/faults").status_code == 204
    assert api.get("/_mock/faults").json()["data"] == []
    assert api.post(TRIGGER, EVENT).status_code == 201


def test_invalid_fault_is_a_422_with_paths(api: Api) -> None:
    response = api.post("/_mock/faults", {"status": 200, "when": {"verb": "POST"}})
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert "status" in errors and "when.verb" in errors
    both = api.post("/_mock/faults", [{"status": 503, "connection": "drop"}])
    assert both.json()["errors"]["[0]"]["messages"] == ["expected status or connection, not both"]


def test_latency_fixed_and_range(api: Api) -> None:
    _arm(api, {"latency": 0.3, "times": 1})
    started = time.perf_counter()
    assert api.post(TRIGGER, EVENT).status_code == 201
    assert time.perf_counter() - started >= 0.3
    _arm(api, {"latency": [0.1, 0.2], "times": 1, "seed": 3})
    started = time.perf_counter()
    api.post(TRIGGER, EVENT)
    assert 0.1 <= time.perf_counter() - started < 1.5


def test_dropped_connection_is_not_processed(api: Api) -> None:
    _arm(api, {"connection": "drop", "times": 1})
    with pytest.raises(httpx.RemoteProtocolError):
        api.post(TRIGGER, EVENT)
    assert api.triggers() == []
    assert api.mock.engine.request_records(api.key)[-1]["status"] == 0
    assert api.post(TRIGGER, EVENT).status_code == 201


def test_handled_drop_then_retry_with_the_same_key_replays(api: Api) -> None:
    _arm(api, {"connection": "drop", "handled": True, "times": 1})
    headers = {"Idempotency-Key": "lost-response"}
    with pytest.raises(httpx.RemoteProtocolError):
        api.post(TRIGGER, EVENT, headers=headers)
    assert len(api.triggers()) == 1
    retry = api.post(TRIGGER, EVENT, headers=headers)
    assert retry.headers["Idempotency-Replay"] == "true"
    assert len(api.triggers()) == 1


def test_timeout(api: Api) -> None:
    _arm(api, {"connection": "timeout", "times": 1})
    started = time.perf_counter()
    with pytest.raises(httpx.ReadTimeout):
        api.client.post(TRIGGER, json=EVENT, headers=api.auth(), timeout=0.3)
    assert time.perf_counter() - started < 5
    assert api.post(TRIGGER, EVENT).status_code == 201


def test_probability_with_a_seed_is_deterministic() -> None:
    def run() -> list[int]:
        mock = NovuMock(FIXTURES)
        mock.add_fault({"status": 503, "probability": 0.5, "seed": 42})
        with mock.intercept(), httpx.Client(base_url="https://api.novu.co") as client:
            auth = {"Authorization": "ApiKey k"}
            return [client.post(TRIGGER, json=EVENT, headers=auth).status_code for _ in range(40)]

    first = run()
    assert first == run()
    assert 5 < first.count(503) < 35


def test_fail_next_and_api_key_match() -> None:
    mock = NovuMock(FIXTURES)
    mock.fail_next(503, times=2, api_key="k1", retry_after=1)
    with mock.intercept(), httpx.Client(base_url="https://api.novu.co") as client:
        k1, k2 = {"Authorization": "ApiKey k1"}, {"Authorization": "ApiKey k2"}
        assert client.post(TRIGGER, json=EVENT, headers=k2).status_code == 201
        assert [client.post(TRIGGER, json=EVENT, headers=k1).status_code for _ in range(3)] == [
            503,
            503,
            201,
        ]
    mock.clear_faults()


def test_fixture_faults_are_armed_per_environment_and_again_after_reset() -> None:
    mock = NovuMock([*FIXTURES, {"faults": [{"status": 500, "times": 1}]}])
    with mock.intercept(), httpx.Client(base_url="https://api.novu.co") as client:

        def status(key: str) -> int:
            return client.post(
                TRIGGER, json=EVENT, headers={"Authorization": f"ApiKey {key}"}
            ).status_code

        assert [status("a"), status("a"), status("b")] == [500, 201, 500]
        mock.fail_next(503)
        mock.reset()
        assert [status("a"), status("a")] == [500, 201]


def test_invalid_fixture_faults_name_the_path() -> None:
    with pytest.raises(FixtureError) as info:
        NovuMock([{"faults": [{"latency": [2, 1]}, {"connection": "cut"}]}])
    text = str(info.value)
    assert (
        "faults[0].latency: expected seconds (a number from 0 to 86400) or a range [min, max]"
        in text
    )
    assert "faults[1].connection: expected one of drop, timeout" in text
    with pytest.raises(FixtureError):
        NovuMock().add_fault({"times": 2})


def test_async_client_latency_does_not_block_the_event_loop() -> None:
    mock = NovuMock(FIXTURES)
    mock.add_fault({"latency": 0.3})
    mock.add_fault({"connection": "drop"})  # never reached: the first fault always fires

    async def main() -> float:
        async with httpx.AsyncClient(base_url="https://api.novu.co") as client:
            started = time.perf_counter()
            auth = {"Authorization": "ApiKey k"}
            responses = await asyncio.gather(
                *(client.post(TRIGGER, json=EVENT, headers=auth) for _ in range(5))
            )
            assert [r.status_code for r in responses] == [201] * 5
            return time.perf_counter() - started

    with mock.intercept():
        elapsed = asyncio.run(main())
    assert 0.3 <= elapsed < 1.2


def test_async_client_sees_transport_errors() -> None:
    mock = NovuMock(FIXTURES)
    mock.add_fault({"connection": "timeout", "times": 1})
    mock.add_fault({"connection": "drop", "times": 1, "latency": 0.05})

    async def main() -> None:
        async with httpx.AsyncClient(base_url="https://api.novu.co") as client:
            auth = {"Authorization": "ApiKey k"}
            with pytest.raises(httpx.ReadTimeout):
                await client.post(TRIGGER, json=EVENT, headers=auth)
            with pytest.raises(httpx.RemoteProtocolError):
                await client.post(TRIGGER, json=EVENT, headers=auth)

    with mock.intercept():
        asyncio.run(main())
    assert mock.triggers == []
