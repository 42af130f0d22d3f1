"""Helpers of the proxy tests: an upstream novu-mock, a proxy in front of it, and a session of
novu-py calls covering every operation the SDK matrix runs (events, subscribers, topics,
tenants, workflows)."""

from __future__ import annotations

import re
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import novu_py
from novu_py.utils import BackoffStrategy, RetryConfig
from sdk.sdk_cases import PAYLOAD, recipient_events, status_events

from novu_mock import MockServer, NovuMock
from novu_mock._proxy.app import Proxy, build
from novu_mock._proxy.server import ProxyServer

NO_RETRY = RetryConfig("none", BackoffStrategy(0, 0, 0, 0), False)


@contextmanager
def upstream(*fixtures: Any, api_keys: list[str] | None = None) -> Iterator[MockServer]:
    """A second novu-mock, over HTTP, standing in for the real Novu."""
    with MockServer(NovuMock(list(fixtures), api_keys=api_keys)) as server:
        yield server


@contextmanager
def proxy_to(
    url: str, *fixtures: Any, record: Path | None = None, timeout: float | None = None
) -> Iterator[tuple[ProxyServer, Proxy]]:
    proxy = build(url, list(fixtures), record=str(record) if record else None, timeout=timeout)
    with ProxyServer(proxy) as server:
        yield server, proxy


def novu(url: str, key: str, timeout_ms: int = 10_000) -> novu_py.Novu:
    return novu_py.Novu(
        secret_key=key, server_url=url, retry_config=NO_RETRY, timeout_ms=timeout_ms
    )


def new_key() -> str:
    return f"proxy-test-{uuid.uuid4().hex}"


def _attempt(step: Callable[[], Any]) -> Any:
    """One SDK call; an SDK exception (an error answer, a validation error) is an outcome too."""
    try:
        return step()
    except Exception as exc:
        return exc


def sdk_session(client: novu_py.Novu) -> None:
    """Every operation of the SDK matrix through novu-py, on fixtures/statuses.yaml and
    fixtures/default.yaml."""
    steps: list[Callable[[], Any]] = [
        lambda: client.trigger(
            trigger_event_request_dto={
                "workflow_id": "status-processed",
                "to": "status-user",
                "payload": PAYLOAD,
            }
        ),
        lambda: client.trigger(
            trigger_event_request_dto={"workflow_id": "status-schema", "to": "status-user"}
        ),
        lambda: client.trigger(
            trigger_event_request_dto={"workflow_id": "no-such-workflow", "to": "status-user"}
        ),
        lambda: client.trigger_bulk(
            bulk_trigger_event_dto={"events": [_snake(e) for e in recipient_events()]}  # type: ignore[arg-type]
        ),
        lambda: client.trigger_bulk(
            bulk_trigger_event_dto={"events": [_snake(e) for e in status_events("proxy")]}  # type: ignore[arg-type]
        ),
        lambda: client.trigger_bulk(
            bulk_trigger_event_dto={
                "events": [{"workflow_id": "status-processed", "to": "status-user"}] * 101
            }
        ),
        lambda: client.trigger_broadcast(
            trigger_event_to_all_request_dto={"name": "status-processed", "payload": PAYLOAD}
        ),
        lambda: client.trigger(
            trigger_event_request_dto={
                "workflow_id": "status-processed",
                "to": "status-user",
                "transaction_id": "to-cancel",
            }
        ),
        lambda: client.cancel(transaction_id="to-cancel"),
        lambda: client.cancel(transaction_id="to-cancel"),
        # An upstream-generated transactionId: the shadow knows it by its own id.
        lambda: client.cancel(
            transaction_id=client.trigger(
                trigger_event_request_dto={"workflow_id": "status-processed", "to": "user-1"}
            ).result.transaction_id
            or ""
        ),
        lambda: client.subscribers.create(
            create_subscriber_request_dto={"subscriber_id": "px-1", "email": "px@example.com"}
        ),
        lambda: client.subscribers.retrieve(subscriber_id="px-1"),
        lambda: client.subscribers.patch(
            subscriber_id="px-1", patch_subscriber_request_dto={"last_name": "Proxy"}
        ),
        lambda: client.subscribers.search(request={"email": "px@", "limit": 10}),
        lambda: client.subscribers.create_bulk(
            bulk_subscriber_create_dto={
                "subscribers": [{"subscriber_id": "px-2"}, {"subscriber_id": "px-1"}]
            }
        ),
        lambda: client.subscribers.preferences.update(
            subscriber_id="px-1",
            patch_subscriber_preferences_dto={"channels": {"email": False}},
        ),
        lambda: client.subscribers.preferences.list(subscriber_id="px-1"),
        lambda: client.subscribers.credentials.update(
            subscriber_id="px-1",
            update_subscriber_channel_request_dto={  # type: ignore[arg-type]
                "provider_id": "fcm",
                "credentials": {"device_tokens": ["t"]},
            },
        ),
        lambda: client.subscribers.retrieve(subscriber_id="nobody"),
        lambda: client.topics.create(
            create_update_topic_request_dto={"key": "px-topic", "name": "Proxy"}
        ),
        lambda: client.topics.list(request={"limit": 100}),
        lambda: client.topics.get(topic_key="px-topic"),
        lambda: client.topics.update(
            topic_key="px-topic", update_topic_request_dto={"name": "Proxy 2"}
        ),
        lambda: client.topics.subscriptions.create(
            topic_key="px-topic",
            create_topic_subscriptions_request_dto={"subscriber_ids": ["user-1", "ghost"]},
        ),
        lambda: client.topics.subscriptions.list(request={"topic_key": "px-topic"}),
        lambda: client.topics.subscriptions.delete(
            topic_key="px-topic",
            delete_topic_subscriptions_request_dto={"subscriber_ids": ["user-1"]},
        ),
        lambda: client.topics.delete(topic_key="px-topic"),
        lambda: client.workflows.list(request={"limit": 100}),
        lambda: client.workflows.get(workflow_id="status-processed"),
        lambda: client.workflows.get(workflow_id="no-such-workflow"),
        lambda: client.subscribers.delete(subscriber_id="px-1"),
    ]
    for step in steps:
        _attempt(step)


def tenant_session(url: str, key: str) -> None:
    """The tenants endpoints (novu-py has no tenants client): plain HTTP."""
    headers = {"Authorization": f"ApiKey {key}"}
    with httpx.Client(base_url=url, headers=headers) as http:
        http.post("/v1/tenants", json={"identifier": "px-tenant", "name": "Proxy tenant"})
        http.post("/v1/tenants", json={"identifier": "px-tenant", "name": "Again"})
        http.get("/v1/tenants")
        http.get("/v1/tenants/px-tenant")
        http.patch("/v1/tenants/px-tenant", json={"name": "Renamed"})
        http.get("/v1/tenants/acme")
        http.delete("/v1/tenants/px-tenant")
        http.get("/v1/tenants/px-tenant")
        http.get("/v1/workflows")


def _snake(event: dict[str, Any]) -> dict[str, Any]:
    """A wire-shaped (camelCase) event as novu-py takes it."""
    out: dict[str, Any] = {"workflow_id": event["name"], "to": _snake_keys(event["to"])}
    for wire, py in (
        ("payload", "payload"),
        ("tenant", "tenant"),
        ("transactionId", "transaction_id"),
    ):
        if wire in event:
            out[py] = _snake_keys(event[wire])
    return out


def _snake_keys(value: Any) -> Any:
    if isinstance(value, list):
        return [_snake_keys(v) for v in value]
    if isinstance(value, dict):
        return {re.sub(r"(?<!^)(?=[A-Z])", "_", k).lower(): v for k, v in value.items()}
    return value


@contextmanager
def silent_upstream() -> Iterator[str]:
    """A TCP server that accepts connections and never answers: the base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        sock.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except OSError:
                continue
            held.append(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(2)
        for conn in held:
            conn.close()
        sock.close()


def closed_port() -> str:
    """A loopback URL where nothing listens."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}"
