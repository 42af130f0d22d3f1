"""Malformed requests, unknown paths and methods: Novu-shaped 4xx, never a 500."""

from __future__ import annotations

import pytest
from conftest import Api


def _is_novu_error(body: dict[str, object], status: int) -> None:
    assert body["statusCode"] == status
    assert isinstance(body["timestamp"], str)
    assert isinstance(body["path"], str)
    assert "message" in body


def test_unknown_path_is_nests_404(api: Api) -> None:
    response = api.get("/v1/nothing-here?x=1")
    assert response.status_code == 404
    body = response.json()
    _is_novu_error(body, 404)
    assert body["message"] == "Cannot GET /v1/nothing-here?x=1"
    assert body["error"] == "Not Found"
    assert body["path"] == "/v1/nothing-here?x=1"


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH"])
def test_wrong_method_is_404_like_express(api: Api, method: str) -> None:
    response = api.request(method, "/v1/events/trigger/bulk")
    assert response.status_code == 404
    assert response.json()["message"] == f"Cannot {method} /v1/events/trigger/bulk"


def test_unknown_path_needs_no_key(api: Api) -> None:
    response = api.client.get("/v9/x")
    assert response.status_code == 404


def test_malformed_json_is_400(api: Api) -> None:
    response = api.post(
        "/v1/events/trigger",
        content='{"name": "welcome",',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    body = response.json()
    _is_novu_error(body, 400)
    assert body["error"] == "Bad Request"
    assert body["message"].startswith("Invalid JSON body:")


@pytest.mark.parametrize("content", ["[]", '"text"', "42", "null"])
def test_non_object_json_is_400(api: Api, content: str) -> None:
    response = api.post(
        "/v1/events/trigger/bulk", content=content, headers={"Content-Type": "application/json"}
    )
    if content == "null":
        # `null` is an empty body for body-parser: the DTO validation answers.
        assert response.status_code == 422
    else:
        assert response.status_code == 400
        assert "expected a JSON object" in response.json()["message"]


def test_wrong_content_type_is_415(api: Api) -> None:
    response = api.post(
        "/v1/events/trigger",
        content='{"name":"welcome","to":"user-1"}',
        headers={"Content-Type": "text/plain"},
    )
    assert response.status_code == 415
    body = response.json()
    _is_novu_error(body, 415)
    assert body["error"] == "Unsupported Media Type"
    assert "application/json" in body["message"]


def test_invalid_utf8_is_400(api: Api) -> None:
    response = api.post(
        "/v1/events/trigger",
        content=b'{"name": "\xff"}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400


def test_nan_is_not_json(api: Api) -> None:
    response = api.post(
        "/v1/events/trigger",
        content='{"name": "welcome", "to": "u", "payload": {"x": NaN}}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    "path", ["//v1/events/trigger", "/v1/events/trigger/", "//v1//events/trigger"]
)
def test_doubled_and_trailing_slashes_reach_the_route(api: Api, path: str) -> None:
    response = api.post(path, {"name": "welcome", "to": "user-1"})
    assert response.status_code == 201
    assert response.json()["data"]["status"] == "processed"


def test_success_content_type_is_json(api: Api) -> None:
    response = api.post("/v1/events/trigger", {"name": "welcome", "to": "user-1"})
    assert response.headers["content-type"] == "application/json; charset=utf-8"
