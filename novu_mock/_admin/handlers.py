"""Handlers of the `/_mock` admin endpoints (DESIGN section 6)."""

from __future__ import annotations

from typing import Any

from .._core.errors import NovuError, field_problem
from .._core.http import Reply
from .._core.request import Request
from .._model.fixtures import FixtureError

TRIGGER_FILTERS = ("workflowId", "subscriberId", "transactionId", "status")


def health(req: Request) -> Reply:
    """GET /_mock/health"""
    return Reply.json(200, {"status": "ok"})


def reset(req: Request) -> Reply:
    """POST /_mock/reset: one environment with a key, every environment without."""
    req.engine.reset(req.key)
    return Reply.empty(204)


_YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml")


def _fixture_document(req: Request) -> dict[str, Any]:
    """The body as a fixture document: JSON, or YAML (a YAML media type, or `text/plain` as
    curl `--data-binary @file.yaml` without a type would send)."""
    ctype = req.call.headers.get("content-type", "")
    media = ctype.split(";", 1)[0].strip().lower()
    if media not in (*_YAML_TYPES, "text/plain"):
        return req.json_object()
    import yaml

    try:
        value = yaml.safe_load(req.call.body.decode("utf-8")) if req.call.body.strip() else {}
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise NovuError(400, f"Invalid YAML body: {exc}".splitlines()[0]) from None
    if not isinstance(value, dict):
        raise NovuError(400, "Invalid YAML body: expected a fixture document (a mapping)")
    return value


def root(req: Request) -> Reply:
    """GET /: not a Novu endpoint; points a person (or a browser) at the dashboard."""
    return Reply.json(
        200,
        {
            "data": {
                "service": "novu-mock",
                "message": "An in-memory mock of the Novu API. The dashboard is at /_mock/; "
                "Novu's endpoints are under /v1 and /v2 (Authorization: ApiKey <any key>).",
                "dashboard": "/_mock/",
            }
        },
    )


def add_fixtures(req: Request) -> Reply:
    """POST /_mock/fixtures: merge a fixture document (JSON or YAML body)."""
    doc = _fixture_document(req)
    if "apiKeys" in doc:
        raise NovuError(
            422,
            "Validation failed",
            reason=False,
            extra={
                "ctx": {},
                "errors": {
                    "apiKeys": field_problem(
                        [
                            "apiKeys cannot be added at run time; pass --api-key or load them "
                            "from a fixture file at start"
                        ],
                        doc["apiKeys"],
                        True,
                    )
                },
            },
        )
    try:
        counts = req.engine.add_fixtures(doc, req.key)
    except FixtureError as exc:
        errors: dict[str, Any] = {}
        for problem in exc.problems:
            _, where, message = [*problem.split(": ", 2), "", ""][:3]
            errors.setdefault(where or "document", {"messages": []})["messages"].append(message)
        raise NovuError(
            422, "Validation failed", reason=False, extra={"ctx": {}, "errors": errors}
        ) from None
    return Reply.json(201, {"data": counts})


def triggers(req: Request) -> Reply:
    """GET /_mock/triggers, filtered by the query (TRIGGER_FILTERS)."""
    query = req.query()
    filters = {name: query[name] for name in TRIGGER_FILTERS if name in query}
    return Reply.json(200, {"data": req.engine.trigger_records(req.key, **filters)})


def requests(req: Request) -> Reply:
    """GET /_mock/requests"""
    return Reply.json(200, {"data": req.engine.request_records(req.key)})


def warnings(req: Request) -> Reply:
    """GET /_mock/warnings: what the mock noticed about its clients (retry loops so far)."""
    return Reply.json(200, {"data": list(req.engine.retry_watch.loops)})


def state(req: Request) -> Reply:
    """GET /_mock/state: the stores as a fixture document."""
    return Reply.json(200, {"data": req.engine.state(req.key)})
