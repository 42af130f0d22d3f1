"""Authentication and environments (contract 1.2, DESIGN section 4)."""

from __future__ import annotations

import json

import httpx
import pytest
from conftest import Api

from novu_mock import NOVU_BASE_URLS, NovuMock, bundled

TRIGGER = {"name": "welcome", "to": "user-1"}


@pytest.mark.parametrize(
    ("header", "message", "has_error"),
    [
        (None, "Missing authorization header", True),
        ("", "Missing authorization header", True),
        ("Invalid invalid_value", 'Invalid authentication scheme: "Invalid"', True),
        ("apikey test-key", 'Invalid authentication scheme: "apikey"', True),
        ("ApiKey ", "Unauthorized", False),
        ("Bearer some-jwt", "Unauthorized", False),
        ("Bearer ", "Unauthorized", False),
    ],
)
def test_401_messages(api: Api, header: str | None, message: str, has_error: bool) -> None:
    headers = {"Content-Type": "application/json"}
    if header is not None:
        headers["Authorization"] = header
    status, body = api.raw_post("/v1/events/trigger", json.dumps(TRIGGER).encode(), headers)
    assert status == 401
    assert body["statusCode"] == 401
    assert body["message"] == message
    assert body["path"] == "/v1/events/trigger"
    assert body["timestamp"].endswith("Z")
    assert ("error" in body) is has_error
    if has_error:
        assert body["error"] == "Unauthorized"
    hint = body.pop("hint", None)
    assert set(body) <= {"statusCode", "timestamp", "path", "message", "error"}
    # A Bearer scheme keeps Novu's body and gets a hint that Novu wants ApiKey.
    assert (hint is not None) is header.startswith("Bearer") if header else hint is None
    if hint is not None:
        assert "Authorization: ApiKey <key>" in hint


def test_each_key_gets_its_own_environment(api: Api) -> None:
    api.seed({"subscribers": [{"subscriberId": "only-here"}]})
    assert "only-here" in [s["subscriberId"] for s in api.state()["subscribers"]]
    other = api.get("/_mock/state", key=api.key + "-other").json()["data"]
    assert "only-here" not in [s["subscriberId"] for s in other["subscribers"]]
    api.post("/v1/events/trigger", TRIGGER, key=api.key + "-other")
    assert api.triggers() == []


def test_configured_keys_reject_unknown_keys_on_novu_and_admin_calls() -> None:
    mock = NovuMock([bundled()], api_keys=["good-key"])
    with mock.intercept(), httpx.Client(base_url=NOVU_BASE_URLS[0]) as client:
        ok = client.post(
            "/v1/events/trigger", json=TRIGGER, headers={"Authorization": "ApiKey good-key"}
        )
        assert ok.status_code == 201
        for path, method in [("/v1/events/trigger", "POST"), ("/_mock/triggers", "GET")]:
            bad = client.request(
                method, path, json=TRIGGER, headers={"Authorization": "ApiKey bad-key"}
            )
            assert bad.status_code == 401
            assert bad.json()["message"] == "API Key not found"
            assert bad.json()["error"] == "Unauthorized"


def test_api_keys_from_fixture_files_are_configured_keys() -> None:
    mock = NovuMock([bundled(), {"apiKeys": ["from-file"]}])
    assert mock.engine.api_keys == frozenset({"from-file"})
    with mock.intercept(), httpx.Client(base_url=NOVU_BASE_URLS[0]) as client:
        bad = client.post("/v1/events/trigger", json=TRIGGER, headers={"Authorization": "ApiKey x"})
        assert bad.json()["message"] == "API Key not found"
