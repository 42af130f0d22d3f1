"""In-process (respx) and over-HTTP (uvicorn) answers are the same, byte for byte.

One scripted sequence of Novu calls runs against both transports with the same API key; the
answers must have the same status, headers and body once the values that differ by nature
(timestamps, generated ids and transactionIds, the `date` header) are normalised.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any, cast

import httpx
import pytest
from conftest import FIXTURES

from novu_mock import NOVU_BASE_URLS, MockServer, NovuMock

Step = tuple[str, str, dict[str, str], bytes | None]

_RECIPIENT_SHAPES: list[Any] = [
    "user-1",
    ["user-1", "user-2"],
    {"subscriberId": "new-sub", "email": "new@example.com", "data": {"k": 1}},
    {"type": "Topic", "topicKey": "beta-users"},
    [{"type": "Topic", "topicKey": "beta-users", "exclude": ["user-2"]}, "user-3"],
    ["user-3", {"subscriberId": "user-1"}, {"type": "Subscriber", "subscriberId": "user-2"}],
    "   ",
    [],
]


def script(key: str) -> list[Step]:
    """Every step: (method, path, headers, body)."""
    auth = {"authorization": f"ApiKey {key}", "content-type": "application/json"}

    def body(value: Any) -> bytes:  # httpx's own JSON encoding, as an SDK would send it
        return httpx.Request("POST", "http://x", json=value).content

    bulk = {
        "events": [
            {"name": "welcome", "to": to, "payload": {"i": i}}
            for i, to in enumerate(_RECIPIENT_SHAPES)
        ]
        + [
            {"name": "unknown-workflow", "to": "user-1"},
            {"name": "welcome", "to": "user-1", "transactionId": "bulk-tx"},
        ]
    }
    return [
        (
            "POST",
            "/v1/events/trigger",
            auth,
            body({"name": "welcome", "to": "user-1", "payload": {"a": [1, {"b": None}]}}),
        ),
        (
            "POST",
            "/v1/events/trigger",
            auth,
            body({"name": "welcome", "to": "user-2", "transactionId": "tx-1"}),
        ),
        (
            "POST",
            "/v1/events/trigger",
            auth,
            body({"name": "welcome", "to": "user-2", "transactionId": "tx-1"}),
        ),
        (
            "POST",
            "/v1/events/trigger",
            auth,
            body({"name": "password-reset", "to": "user-1", "payload": {}}),
        ),
        (
            "POST",
            "/v1/events/trigger",
            auth,
            body({"name": "welcome", "to": "user-1", "tenant": "acme", "actor": "user-3"}),
        ),
        ("POST", "/v1/events/trigger/bulk", auth, body(bulk)),
        ("POST", "/v1/events/trigger/bulk", auth, body({"events": []})),
        (
            "POST",
            "/v1/events/trigger/broadcast",
            auth,
            body({"name": "welcome", "payload": {"x": "é"}}),
        ),
        ("DELETE", "/v1/events/trigger/tx-1", auth, None),
        ("DELETE", "/v1/events/trigger/never-sent", auth, None),
        # 401s
        (
            "POST",
            "/v1/events/trigger",
            {"content-type": "application/json"},
            body({"name": "welcome"}),
        ),
        ("POST", "/v1/events/trigger", {**auth, "authorization": "Bearer abc"}, body({})),
        ("POST", "/v1/events/trigger", {**auth, "authorization": "Basic abc"}, body({})),
        ("POST", "/v1/events/trigger", {**auth, "authorization": "ApiKey"}, body({})),
        # 404s
        ("GET", "/v1/no/such/path?x=1&x=2", auth, None),
        ("POST", "/v2/events/trigger", auth, body({})),
        # 422s
        ("POST", "/v1/events/trigger", auth, body({"to": "user-1"})),
        (
            "POST",
            "/v1/events/trigger",
            auth,
            body({"name": 5, "to": {"topicKey": 1}, "payload": []}),
        ),
        ("POST", "/v1/events/trigger/bulk", auth, body({"events": [{"name": "w"}] * 101})),
        # 400 malformed JSON
        ("POST", "/v1/events/trigger", auth, b'{"name": "welcome", '),
        ("POST", "/v1/events/trigger/bulk", auth, b"not json"),
        ("POST", "/v1/events/trigger", {**auth, "content-type": "text/plain"}, b"hello"),
        # Delivery's read APIs (DESIGN 9), last: the first read runs the queued deliveries, and
        # the time it takes must not reach the trigger bucket's RateLimit-Remaining above.
        ("GET", "/v1/messages?limit=100", auth, None),
        ("GET", "/v1/messages?subscriberId=user-1&channel=email&transactionId=tx-1", auth, None),
        ("GET", "/v1/notifications?limit=50", auth, None),
        ("GET", "/v1/subscribers/user-1/notifications/feed?limit=100", auth, None),
        ("GET", "/v1/subscribers/user-1/notifications/unseen", auth, None),
        ("POST", "/v1/subscribers/user-1/messages/mark-all", auth, body({"markAs": "read"})),
        ("GET", "/v1/subscribers/user-1/notifications/unseen", auth, None),
        ("DELETE", "/v1/messages/transaction/tx-1", auth, None),
        ("GET", "/_mock/messages?subscriberId=user-2", auth, None),
    ]


_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")
_OBJECT_ID = re.compile(r"\b[0-9a-f]{24}\b")
_UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
_TX = re.compile(r'"transactionId": ?"([^"]*)"')


def normalise(text: str, sent: set[str]) -> str:
    text = _TIMESTAMP.sub("<time>", text)
    text = _UUID.sub("<uuid>", text)
    text = _OBJECT_ID.sub("<id>", text)

    # A transactionId the script sent stays; a generated one is replaced.
    def tx(match: re.Match[str]) -> str:
        return match.group(0) if match.group(1) in sent else '"transactionId":"<generated>"'

    return _TX.sub(tx, text)


def observe(response: httpx.Response) -> tuple[int, list[tuple[str, str]], str]:
    sent = {"tx-1", "bulk-tx", "never-sent"}
    headers = sorted(
        (name.decode("latin-1").lower(), normalise(value.decode("latin-1"), sent))
        for name, value in response.headers.raw
        if name.lower() != b"date"
    )
    return response.status_code, headers, normalise(response.content.decode("utf-8"), sent)


def run(client: httpx.Client, key: str) -> list[tuple[int, list[tuple[str, str]], str]]:
    out = []
    for method, path, headers, content in script(key):
        out.append(observe(client.request(method, path, headers=headers, content=content)))
    return out


@pytest.fixture
def mock() -> NovuMock:
    return NovuMock(FIXTURES)


@pytest.fixture
def inprocess(mock: NovuMock) -> Iterator[httpx.Client]:
    with mock.intercept(), httpx.Client(base_url=NOVU_BASE_URLS[0]) as client:
        yield client


def journal(mock: NovuMock, key: str) -> list[str]:
    sent = {"tx-1", "bulk-tx", "never-sent"}
    return [
        normalise(json.dumps(r, sort_keys=True), sent) for r in mock.engine.trigger_records(key)
    ]


def test_both_transports_answer_the_same(
    mock: NovuMock, inprocess: httpx.Client, live_server: MockServer, api_key: str
) -> None:
    with httpx.Client(base_url=live_server.url) as over_http:
        remote = run(over_http, api_key)
    local = run(inprocess, api_key)
    statuses = [status for status, _, _ in local]
    # The script reaches what it means to: successes, 401, 404, 422 and 400.
    assert {201, 200, 401, 404, 422, 400} <= set(statuses), statuses
    for step, (mine, theirs) in enumerate(zip(local, remote, strict=True)):
        assert mine == theirs, f"step {step}: {script(api_key)[step][:2]}"
    # ... and journal the same triggers.
    recorded = journal(mock, api_key)
    assert len(recorded) > 10
    assert recorded == journal(cast(NovuMock, live_server.mock), api_key)


def test_error_bodies_keep_novus_shape_on_both_transports(
    inprocess: httpx.Client, live_server: MockServer, api_key: str
) -> None:
    with httpx.Client(base_url=live_server.url) as over_http:
        for client in (inprocess, over_http):
            for method, path, headers, content in script(api_key):
                response = client.request(method, path, headers=headers, content=content)
                if response.status_code < 400:
                    continue
                body = response.json()
                assert {"statusCode", "timestamp", "path", "message"} <= set(body), body
                assert body["statusCode"] == response.status_code
                assert response.headers["content-type"].startswith("application/json")
