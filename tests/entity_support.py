"""Small helpers shared by the subscribers, topics, tenants and workflows contract tests."""

from __future__ import annotations

import re
from typing import Any

import httpx
from conftest import Api

from novu_mock._model.environment import Environment

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
OBJECT_ID = re.compile(r"^[0-9a-f]{24}$")


class Matching:
    """Equal to any string the pattern matches in full (for ids and timestamps)."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and self.pattern.fullmatch(other) is not None

    def __repr__(self) -> str:
        return f"Matching({self.pattern.pattern!r})"


A_STAMP = Matching(ISO)
AN_ID = Matching(OBJECT_ID)


def env_of(api: Api) -> Environment:
    """The environment behind the test's API key (created on first use)."""
    return api.mock.engine.environment(api.key)


def error(status: int, path: str, message: Any, reason: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "statusCode": status,
        "timestamp": A_STAMP,
        "path": path,
        "message": message,
    }
    if reason is not None:
        body["error"] = reason
    return body


def invalid(path: str, errors: dict[str, Any]) -> dict[str, Any]:
    """The 422 ValidationErrorDto of D1."""
    return {**error(422, path, "Validation failed"), "ctx": {}, "errors": errors}


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()
