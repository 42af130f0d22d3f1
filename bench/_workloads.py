"""What every benchmark sends: bulk and single-trigger bodies, calls and SDK clients."""

from __future__ import annotations

import json
from typing import Any

from novu_mock import bundled
from novu_mock._core.http import Call

API_KEY = "bench-key"
WORKFLOW = "welcome"  # in the bundled default fixtures: two active steps, no payload schema
HEADERS = {
    "authorization": f"ApiKey {API_KEY}",
    "content-type": "application/json",
    "accept": "application/json",
}


def subscriber_ids(count: int, prefix: str = "bench-sub-") -> list[str]:
    return [f"{prefix}{i}" for i in range(count)]


def seed_doc(count: int) -> dict[str, Any]:
    """A fixture document with `count` subscribers, so that recipients already exist."""
    return {"subscribers": [{"subscriberId": s} for s in subscriber_ids(count)]}


def bulk_events(events: int, recipients: int, ids: list[str]) -> list[dict[str, Any]]:
    """`events` events of `recipients` subscriberIds each, drawn round-robin from `ids`."""
    out = []
    for i in range(events):
        to = [ids[(i * recipients + j) % len(ids)] for j in range(recipients)]
        out.append({"name": WORKFLOW, "to": to, "payload": {"orderId": i, "total": 42.5}})
    return out


def bulk_body(events: int, recipients: int, ids: list[str]) -> bytes:
    return json.dumps({"events": bulk_events(events, recipients, ids)}).encode()


def single_body(subscriber: str) -> bytes:
    return json.dumps({"name": WORKFLOW, "to": subscriber, "payload": {"orderId": 1}}).encode()


def bulk_call(body: bytes) -> Call:
    return Call("POST", "/v1/events/trigger/bulk", "", dict(HEADERS), body)


def single_call(body: bytes) -> Call:
    return Call("POST", "/v1/events/trigger", "", dict(HEADERS), body)


def default_fixtures() -> list[Any]:
    return [bundled()]


def novu_client() -> Any:
    """novu-py with retries off (as the project's tests use it)."""
    from novu_py import Novu
    from novu_py.utils.retries import BackoffStrategy, RetryConfig

    return Novu(
        secret_key=API_KEY,
        retry_config=RetryConfig("none", BackoffStrategy(0, 0, 0, 0), False),
    )


def sdk_events(events: int, recipients: int, ids: list[str]) -> list[dict[str, Any]]:
    """The same events as `bulk_events`, in novu-py's snake_case TypedDict form."""
    return [
        {"workflow_id": e["name"], "to": e["to"], "payload": e["payload"]}
        for e in bulk_events(events, recipients, ids)
    ]
