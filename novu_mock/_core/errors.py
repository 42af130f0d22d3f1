"""Novu's error bodies, as its global exception filter writes them (contract section 8)."""

from __future__ import annotations

from typing import Any

from .http import Reply

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


def validation_error(errors: dict[str, dict[str, Any]]) -> NovuError:
    """The 422 `ValidationErrorDto` of decision D1."""
    return NovuError(422, "Validation failed", reason=False, extra={"ctx": {}, "errors": errors})


def field_problem(messages: list[str], value: Any = None, present: bool = False) -> dict[str, Any]:
    """One entry of `ValidationErrorDto.errors`; `value` only when the field was sent."""
    entry: dict[str, Any] = {"messages": messages}
    if present:
        entry["value"] = value
    return entry
