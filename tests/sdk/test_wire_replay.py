"""Every request the real SDKs sent in the captured wire traffic (tests/sdk/wire, see its README)
replayed against the mock on both transports: each gets a well-formed answer, never a 5xx."""

from __future__ import annotations

import json
import re
import time
import uuid
from pathlib import Path
from typing import Any, NamedTuple

import httpx
import pytest
from conftest import Api

WIRE = Path(__file__).parent / "wire"
FILES = sorted(p.name for p in WIRE.glob("*.json"))
#: What the captured requests refer to, seeded into the replaying key's environment.
SEED: dict[str, Any] = {
    # A delay first: the captured cancel finds pending work and answers true (D10 revised).
    "workflows": [
        {
            "workflowId": "harness-workflow",
            "steps": [{"type": "delay", "amount": 1, "unit": "hours"}, {"type": "in_app"}],
        }
    ],
    "subscribers": [{"subscriberId": "subscriber-1"}, {"subscriberId": "subscriber-2"}],
    "tenants": [{"identifier": "tenant-1", "name": "Tenant One"}, {"identifier": "tenant-2"}],
    "topics": [{"key": "topic-news", "subscribers": ["subscriber-1"]}],
}
_SAME_AS = re.compile(r"<same as requests\[operation=([\w.]+)\]\.body>")
_GENERATED = re.compile(r"<generated(#\d+)?>")
#: Set by the transport or for the original recorder, not by the SDK for the server.
_DROPPED = {"host", "content-length", "connection"}


def _requests(name: str, kind: str) -> list[dict[str, Any]]:
    document = json.loads((WIRE / name).read_text("utf-8"))
    assert document["requests"], name
    bodies = {r["operation"]: r["body"] for r in document["requests"]}
    out = []
    for request in document[kind]:
        body = request["body"]
        if isinstance(body, str) and (same := _SAME_AS.fullmatch(body)):
            body = bodies[same.group(1)]
        out.append({**request, "body": body})
    return out


def _headers(request: dict[str, Any], key: str, generated: dict[str, str]) -> dict[str, str]:
    """The captured headers with this test's key and the SDK's generated idempotency keys
    restored: a fresh key for every `<generated>` (the SDK makes one per request) and one key
    per `<generated#N>` of an experiment, so retries share a key exactly when the SDK's did.
    Explicit keys (`harness-idem-key-1`) are sent as captured; each test replays with its own
    API key, so its own environment, and idempotency is scoped per environment (D11)."""
    headers = {}
    for name, value in request["headers"].items():
        if name in _DROPPED:
            continue
        if name == "authorization":
            value = f"ApiKey {key}"
        elif match := _GENERATED.fullmatch(value):
            if match.group(1) is None:
                value = _sdk_key()
            else:
                label = f"{request.get('experiment', '')}{value}"
                value = generated.setdefault(label, _sdk_key())
        headers[name] = value
    return headers


def _sdk_key() -> str:
    """A key shaped like novu-py's: epoch milliseconds plus random characters."""
    return f"{int(time.time() * 1000)}{uuid.uuid4().hex[:9]}"


def _is_novu_error(body: Any, status: int, path: str) -> bool:
    return (
        isinstance(body, dict)
        and body.get("statusCode") == status
        and isinstance(body.get("timestamp"), str)
        and body.get("path") == path
        and "message" in body
    )


class _Answer(NamedTuple):
    request: dict[str, Any]
    key: str | None
    status: int
    headers: httpx.Headers
    body: Any


def _replay(api: Api, name: str, kind: str) -> list[_Answer]:
    api.seed(SEED)
    base = str(api.client.base_url).rstrip("/")
    generated: dict[str, str] = {}
    answers = []
    for request in _requests(name, kind):
        content = None if request["body"] is None else json.dumps(request["body"]).encode()
        url = base + request["path"] + (f"?{request['query']}" if request.get("query") else "")
        headers = _headers(request, api.key, generated)
        response = api.client.request(request["method"], url, content=content, headers=headers)
        assert response.headers["content-type"].startswith("application/json"), response.text
        answers.append(
            _Answer(
                request,
                headers.get("idempotency-key"),
                response.status_code,
                response.headers,
                response.json(),
            )
        )
    return answers


@pytest.mark.parametrize("name", FILES)
def test_happy_path_requests_are_answered_as_novu_does(api: Api, name: str) -> None:
    answers = _replay(api, name, "requests")
    assert len({a.key for a in answers if a.key}) == len([a for a in answers if a.key]), name
    for request, _, status, _, body in answers:
        label = f"{name} {request['operation']}"
        expected = 200 if request["method"] == "DELETE" else 201
        assert status == expected, (label, body)
        assert list(body) == ["data"], label
        data = body["data"]
        if request["method"] == "DELETE":
            assert data is True, label  # cancels the processed trigger_full
            continue
        items = data if isinstance(data, list) else [data]
        for item in items:
            assert item["acknowledged"] is True and item["status"] == "processed", (label, item)
            assert isinstance(item["transactionId"], str) and item["transactionId"], label


@pytest.mark.parametrize("name", FILES)
def test_scenario_requests_get_well_formed_answers(api: Api, name: str) -> None:
    answers = _replay(api, name, "scenario_requests")
    assert answers, name
    first: dict[str, _Answer] = {}
    for answer in answers:
        request, key, status, headers, body = answer
        label = f"{name} {request.get('experiment')}"
        assert status < 500, (label, body)
        if status < 300:
            assert list(body) == ["data"], (label, body)
        else:
            assert _is_novu_error(body, status, request["path"]), (label, body)
        if key is None or request["method"] not in {"POST", "PATCH"}:
            continue
        if (earlier := first.setdefault(key, answer)) is not answer:
            # A retry that reused the SDK's key: Novu replays the first answer (section 6).
            assert headers.get("idempotency-replay") == "true", label
            assert (status, body) == (earlier.status, earlier.body), label
