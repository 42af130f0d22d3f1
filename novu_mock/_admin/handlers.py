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


def add_fixtures(req: Request) -> Reply:
    """POST /_mock/fixtures: merge a fixture document (JSON body)."""
    doc = req.json_object()
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


def state(req: Request) -> Reply:
    """GET /_mock/state: the stores as a fixture document."""
    return Reply.json(200, {"data": req.engine.state(req.key)})


def messages(req: Request) -> Reply:
    """GET /_mock/messages, filtered by subscriberId, channel, workflowId, transactionId."""
    from .._delivery.records import FILTERS, message_records

    query = req.query()
    filters = {name: query[name] for name in FILTERS if name in query}
    return Reply.json(200, {"data": message_records(req.engine, req.key, **filters)})


def skips(req: Request) -> Reply:
    """GET /_mock/skips: channel steps that made no message, with their reasons."""
    from .._delivery.records import FILTERS, skip_records

    query = req.query()
    filters = {name: query[name] for name in FILTERS if name in query}
    return Reply.json(200, {"data": skip_records(req.engine, req.key, **filters)})
