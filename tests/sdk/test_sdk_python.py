"""The Python SDKs against a live `novu-mock serve`: novu-py 3.19.0 (sync and async) and the
legacy `novu` 1.14.0. Each parses the mock's answers as it parses Novu's."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest
import requests
from novu.api import EventApi
from novu.dto.event import InputEventDto
from novu_py import Novu, models
from novu_py.utils import BackoffStrategy, RetryConfig

from .cli import KNOWN_KEY, Admin, CliServer
from .sdk_cases import (
    DELAYED_PROCESSED,
    PAYLOAD,
    RECIPIENT_SHAPES,
    RECIPIENTS_REACHED,
    STATUS_EVENTS,
    recipient_events,
    status_events,
    too_many_events,
)

NO_RETRY = RetryConfig("none", BackoffStrategy(0, 0, 0, 0), False)
SDKS = ("novu-py-sync", "novu-py-async", "novu-legacy")
T = TypeVar("T")

_SNAKE = re.compile(r"(?<!^)(?=[A-Z])")


def _snake_keys(value: Any) -> Any:
    """novu-py takes its recipient and tenant objects with snake_case keys."""
    if isinstance(value, list):
        return [_snake_keys(v) for v in value]
    if isinstance(value, dict):
        return {_SNAKE.sub("_", k).lower(): v for k, v in value.items()}
    return value


def _novu_py_event(event: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"workflow_id": event["name"], "to": _snake_keys(event["to"])}
    if "payload" in event:
        out["payload"] = event["payload"]
    if "tenant" in event:
        out["tenant"] = _snake_keys(event["tenant"])
    if "transactionId" in event:
        out["transaction_id"] = event["transactionId"]
    return out


def _plain(result: Any) -> dict[str, Any]:
    """A novu-py TriggerEventResponseDto or a legacy EventDto as the wire's camelCase dict."""
    status = getattr(result, "status", None)
    return {
        "acknowledged": result.acknowledged,
        "status": getattr(status, "value", status),
        "transactionId": result.transaction_id,
        "error": getattr(result, "error", None),
    }


class Client:
    """One SDK, retries off, pointed at the mock; the same four operations for each."""

    def __init__(self, sdk: str, url: str, key: str) -> None:
        self.sdk = sdk
        self.url = url
        self.key = key
        self.legacy = EventApi(url=url, api_key=key, requests_timeout=5)

    def _novu(self) -> Novu:
        return Novu(
            secret_key=self.key, server_url=self.url, retry_config=NO_RETRY, timeout_ms=5000
        )

    def _call(self, sync: Callable[[Novu], T], run_async: Callable[[Novu], Awaitable[T]]) -> T:
        if self.sdk == "novu-py-sync":
            with self._novu() as novu:
                return sync(novu)

        async def go() -> T:
            async with self._novu() as novu:
                return await run_async(novu)

        return asyncio.run(go())

    def trigger(self, event: dict[str, Any]) -> dict[str, Any]:
        if self.sdk == "novu-legacy":
            return _plain(
                self.legacy.trigger(
                    event["name"],
                    event["to"],
                    event.get("payload", {}),
                    transaction_id=event.get("transactionId"),
                    tenant=event.get("tenant"),
                )
            )
        dto = _novu_py_event(event)
        res = self._call(
            lambda n: n.trigger(trigger_event_request_dto=dto),  # type: ignore[arg-type]
            lambda n: n.trigger_async(trigger_event_request_dto=dto),  # type: ignore[arg-type]
        )
        return _plain(res.result)

    def bulk(self, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if self.sdk == "novu-legacy":
            dtos = [
                InputEventDto(
                    name=e["name"],
                    recipients=e["to"],
                    payload=e.get("payload", {}),
                    transaction_id=e.get("transactionId"),
                    tenant=e.get("tenant"),
                )
                for e in events
            ]
            return [_plain(r) for r in self.legacy.trigger_bulk(dtos)]
        dto = {"events": [_novu_py_event(e) for e in events]}
        res = self._call(
            lambda n: n.trigger_bulk(bulk_trigger_event_dto=dto),  # type: ignore[arg-type]
            lambda n: n.trigger_bulk_async(bulk_trigger_event_dto=dto),  # type: ignore[arg-type]
        )
        return [_plain(r) for r in res.result]

    def broadcast(self, name: str, payload: dict[str, Any]) -> dict[str, Any]:
        if self.sdk == "novu-legacy":
            return _plain(self.legacy.broadcast(name, payload))
        dto = {"name": name, "payload": payload}
        res = self._call(
            lambda n: n.trigger_broadcast(trigger_event_to_all_request_dto=dto),  # type: ignore[arg-type]
            lambda n: n.trigger_broadcast_async(trigger_event_to_all_request_dto=dto),  # type: ignore[arg-type]
        )
        return _plain(res.result)

    def cancel(self, transaction_id: str) -> bool | None:
        if self.sdk == "novu-legacy":
            self.legacy.delete(transaction_id)  # the legacy SDK discards the answer
            return None
        res = self._call(
            lambda n: n.cancel(transaction_id=transaction_id),
            lambda n: n.cancel_async(transaction_id=transaction_id),
        )
        result: bool = res.result
        return result


@pytest.fixture(params=SDKS)
def sdk(request: pytest.FixtureRequest, cli_server: CliServer, key: str) -> Client:
    return Client(request.param, cli_server.url, key)


def test_trigger_is_processed_and_recorded(sdk: Client, admin: Admin) -> None:
    result = sdk.trigger({"name": "status-processed", "to": "status-user", "payload": PAYLOAD})
    assert result["acknowledged"] is True
    assert result["status"] == "processed"
    assert re.fullmatch(r"txn_[0-9a-f]{24}", result["transactionId"])
    (record,) = admin.triggers()
    assert record["transactionId"] == result["transactionId"]
    assert record["payload"] == PAYLOAD
    assert record["recipients"] == ["status-user"]


def test_bulk_takes_every_recipient_shape(sdk: Client, admin: Admin) -> None:
    results = sdk.bulk(recipient_events())
    assert [r["status"] for r in results] == ["processed"] * len(RECIPIENT_SHAPES)
    records = admin.triggers()
    assert [r["transactionId"] for r in records] == [r["transactionId"] for r in results]
    for (shape, _), record in zip(RECIPIENT_SHAPES, records, strict=True):
        assert set(record["recipients"]) == RECIPIENTS_REACHED[shape], shape
        assert record["source"] == "bulk"


def test_bulk_answers_every_documented_status(sdk: Client) -> None:
    events = status_events(sdk.sdk)
    results = sdk.bulk(events)
    assert [r["status"] for r in results] == [status for status, _ in STATUS_EVENTS]
    assert [r["transactionId"] for r in results] == [e["transactionId"] for e in events]
    assert all(r["acknowledged"] is True for r in results)
    unknown = results[[e["name"] for e in events].index("no-such-workflow")]
    assert unknown["error"] == (["workflow_not_found"] if sdk.sdk != "novu-legacy" else None)


def test_broadcast_is_processed(sdk: Client, admin: Admin) -> None:
    result = sdk.broadcast("status-processed", PAYLOAD)
    assert result["status"] == "processed"
    (record,) = admin.triggers()
    assert record["source"] == "broadcast"
    assert "status-user" in record["recipients"]


def test_cancel(sdk: Client, admin: Admin) -> None:
    admin.seed(DELAYED_PROCESSED)
    sdk.trigger({"name": "status-processed", "to": "status-user", "transactionId": "to-cancel"})
    answer = sdk.cancel("to-cancel")
    again = sdk.cancel("to-cancel")
    (record,) = admin.triggers()
    assert record["canceled"] is True
    if sdk.sdk == "novu-legacy":
        assert answer is None and again is None
    else:
        assert (answer, again) == (True, False)


def test_bulk_over_100_events_is_a_validation_error(sdk: Client) -> None:
    message = "events must contain no more than 100 elements"
    if sdk.sdk == "novu-legacy":
        with pytest.raises(requests.HTTPError) as legacy_error:
            sdk.bulk(too_many_events())
        response = legacy_error.value.response
        assert response is not None and response.status_code == 422
        assert response.json()["errors"]["events"]["messages"] == [message]
        return
    with pytest.raises(models.ValidationErrorDto) as error:
        sdk.bulk(too_many_events())
    assert error.value.data.status_code == 422
    assert error.value.data.errors["events"].messages == [message]


def test_unknown_key_is_401(sdk: Client, keyed_cli_server: CliServer) -> None:
    client = Client(sdk.sdk, keyed_cli_server.url, "not-" + KNOWN_KEY)
    event = {"name": "status-processed", "to": "status-user"}
    if sdk.sdk == "novu-legacy":
        with pytest.raises(requests.HTTPError) as legacy_error:
            client.trigger(event)
        response = legacy_error.value.response
        assert response is not None and response.status_code == 401
        assert response.json()["message"] == "API Key not found"
        return
    with pytest.raises(models.ErrorDto) as error:
        client.trigger(event)
    assert error.value.data.status_code == 401
    assert error.value.data.message == "API Key not found"
    # the known key passes on the same server
    known = Client(sdk.sdk, keyed_cli_server.url, KNOWN_KEY)
    assert known.trigger(event)["status"] == "processed"


@pytest.mark.parametrize("operation", ["trigger", "bulk"])
def test_subscriber_id_missing_breaks_novu_py_only(sdk: Client, operation: str) -> None:
    """Novu never answers this documented status and novu-py's enum lacks it (contract D4):
    novu-py rejects it as it would from Novu; the legacy SDK passes it through."""
    event = {"name": "status-subscriber-id-missing", "to": "status-user", "transactionId": "sim-1"}

    def run() -> dict[str, Any]:
        return sdk.trigger(event) if operation == "trigger" else sdk.bulk([event])[0]

    if sdk.sdk == "novu-legacy":
        result = run()
        assert result["status"] == "subscriber_id_missing"
        assert result["transactionId"] == "sim-1"
    else:
        with pytest.raises(models.ResponseValidationError):
            run()


def test_legacy_sdk_with_trailing_slash_base_url(cli_server: CliServer, admin: Admin) -> None:
    """novu 1.14 joins `url + "/v1/..."`, so a trailing slash sends `//v1/events/trigger`."""
    api = EventApi(url=cli_server.url + "/", api_key=admin.key, requests_timeout=5)
    assert api.trigger("status-processed", "status-user", PAYLOAD).status == "processed"
    assert [
        e.status for e in api.trigger_bulk([InputEventDto("status-processed", "status-user", {})])
    ] == ["processed"]
    api.delete("whatever")
    assert [r["path"] for r in admin.requests()] == [
        "//v1/events/trigger",
        "//v1/events/trigger/bulk",
        "//v1/events/trigger/whatever",
    ]
    assert [r["status"] for r in admin.requests()] == [201, 201, 200]
