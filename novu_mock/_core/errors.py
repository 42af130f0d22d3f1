"""Novu's error bodies, as its global exception filter writes them (contract section 8)."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from .http import Reply

INTERNAL = "Internal server error, contact support and provide them with the errorId"
RATE_LIMITED = "API rate limit exceeded"
_log = logging.getLogger("novu_mock")

REASONS: dict[int, str] = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Payload Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


class NovuError(Exception):
    """An HTTP error answered in Novu's shape.

    `reason=True` adds Nest's `error` field (the HTTP reason phrase), as a Nest exception built
    from a string or an array does; `extra` is spread over the body after `message`.
    """

    def __init__(
        self,
        status: int,
        message: Any,
        *,
        reason: bool = True,
        extra: dict[str, Any] | None = None,
        headers: list[tuple[str, str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.reason = reason
        self.extra = extra
        self.headers = headers

    def body(self, path: str, timestamp: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "statusCode": self.status,
            "timestamp": timestamp,
            "path": path,
            "message": self.message,
        }
        if self.reason and self.status in REASONS:
            body["error"] = REASONS[self.status]
        if self.extra:
            body.update(self.extra)
        return body


def error_reply(exc: NovuError, path: str, timestamp: str) -> Reply:
    """The reply of a NovuError: its body and its headers."""
    return Reply.json(exc.status, exc.body(path, timestamp), exc.headers)


def internal_error(path: str, timestamp: str, message: str | None = None) -> Reply:
    """Novu's 500: a message and a fresh `errorId` (no `error` field)."""
    body = {
        "statusCode": 500,
        "timestamp": timestamp,
        "path": path,
        "message": message or INTERNAL,
        "errorId": str(uuid.uuid4()),
    }
    return Reply.json(500, body)


def bug_reply(method: str, path: str, timestamp: str) -> Reply:
    """Novu's 500 for a bug of ours, logged (with the traceback being handled) by its errorId."""
    reply = internal_error(path, timestamp)
    _log.exception(
        "novu-mock: unexpected error %s on %s %s", reply.payload["errorId"], method, path
    )
    return reply


def validation_error(errors: dict[str, dict[str, Any]]) -> NovuError:
    """The 422 `ValidationErrorDto` of decision D1."""
    return NovuError(422, "Validation failed", reason=False, extra={"ctx": {}, "errors": errors})


def field_problem(messages: list[str], value: Any = None, present: bool = False) -> dict[str, Any]:
    """One entry of `ValidationErrorDto.errors`; `value` only when the field was sent."""
    entry: dict[str, Any] = {"messages": messages}
    if present:
        entry["value"] = value
    return entry
