"""Every request the real SDKs sent in the captured wire traffic (tests/sdk/wire, see its README)
replayed against the mock on both transports: each gets a well-formed answer, never a 5xx."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from conftest import Api

WIRE = Path(__file__).parent / "wire"
FILES = sorted(p.name for p in WIRE.glob("*.json"))
#: What the captured requests refer to, seeded into the replaying key's environment.
SEED: dict[str, Any] = {
    "workflows": [{"workflowId": "harness-workflow"}],
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
    """The captured headers with this test's key and a fresh value per generated
    idempotency key (the same `<generated#N>` of one experiment stays the same value)."""
    headers = {}
    for name, value in request["headers"].items():
        if name in _DROPPED:
            continue
        if name == "authorization":
            value = f"ApiKey {key}"
        elif _GENERATED.fullmatch(value):
            label = f"{request.get('experiment', '')}{value}"
            value = generated.setdefault(label, uuid.uuid4().hex)
        headers[name] = value
    return headers


def _is_novu_error(body: Any, status: int, path: str) -> bool:
    return (
        isinstance(body, dict)
        and body.get("statusCode") == status
        and isinstance(body.get("timestamp"), str)
        and body.get("path") == path
        and "message" in body
    )


def _replay(api: Api, name: str, kind: str) -> list[tuple[dict[str, Any], int, Any]]:
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
        answers.append((request, response.status_code, response.json()))
    return answers


@pytest.mark.parametrize("name", FILES)
def test_happy_path_requests_are_answered_as_novu_does(api: Api, name: str) -> None:
    answers = _replay(api, name, "requests")
    for request, status, body in answers:
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
    for request, status, body in answers:
        label = f"{name} {request.get('experiment')}"
        assert status < 500, (label, body)
        if status < 300:
            assert list(body) == ["data"], (label, body)
        else:
            assert _is_novu_error(body, status, request["path"]), (label, body)
