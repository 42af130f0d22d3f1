"""Handlers of the `/_mock` admin endpoints (DESIGN section 6)."""

from __future__ import annotations

from typing import Any

from .._core.errors import field_problem, validation_error
from .._core.http import Reply
from .._core.request import Request
from .._model.fixtures import FixtureError, fault_problems
from .._model.records import TRIGGER_FILTERS


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
    try:
        counts = req.engine.add_fixtures(doc, req.key)
    except FixtureError as exc:
        errors: dict[str, Any] = {}
        for problem in exc.problems:
            _, where, message = [*problem.split(": ", 2), "", ""][:3]
            if where == "apiKeys":
                errors[where] = field_problem([f"apiKeys {message}"], doc[where], True)
                continue
            errors.setdefault(where or "document", {"messages": []})["messages"].append(message)
        raise validation_error(errors) from None
    return Reply.json(201, {"data": counts})


def triggers(req: Request) -> Reply:
    """GET /_mock/triggers, filtered by the query (TRIGGER_FILTERS)."""
    query = req.query()
    filters = {name: query[name] for name in TRIGGER_FILTERS if name in query}
    return Reply.data(200, req.engine.trigger_records(req.key, **filters))


def requests(req: Request) -> Reply:
    """GET /_mock/requests"""
    return Reply.data(200, req.engine.request_records(req.key))


def state(req: Request) -> Reply:
    """GET /_mock/state: the stores as a fixture document."""
    return Reply.data(200, req.engine.state(req.key))


# -- /_mock/faults ------------------------------------------------------------------------------


def _fault_specs(req: Request) -> list[dict[str, Any]]:
    value = req.raw_json()
    specs = value if isinstance(value, list) else [value]
    problems: list[str] = []
    for i, spec in enumerate(specs):
        fault_problems(spec, f"[{i}]" if isinstance(value, list) else "", problems)
    if problems:
        errors: dict[str, Any] = {}
        for problem in problems:
            where, _, message = problem.partition(": ")
            errors.setdefault(where.lstrip(".") or "fault", field_problem([]))["messages"].append(
                message
            )
        raise validation_error(errors)
    return specs


def post_faults(req: Request) -> Reply:
    """POST /_mock/faults: arm one fault (an object) or several (an array)."""
    return Reply.data(201, req.engine.arm_faults(_fault_specs(req), req.key))


def get_faults(req: Request) -> Reply:
    """GET /_mock/faults: the armed faults with what remains of their `times`."""
    return Reply.data(200, req.engine.armed_faults(req.key))


def delete_faults(req: Request) -> Reply:
    """DELETE /_mock/faults: disarm every fault (of the key's environment, or of all)."""
    req.engine.clear_faults(req.key)
    return Reply.empty(204)


def messages(req: Request) -> Reply:
    """GET /_mock/messages, filtered by subscriberId, channel, workflowId, transactionId."""
    from .._delivery.records import FILTERS, message_records

    query = req.query()
    filters = {name: query[name] for name in FILTERS if name in query}
    return Reply.data(200, message_records(req.engine, req.key, **filters))


def skips(req: Request) -> Reply:
    """GET /_mock/skips: channel steps that made no message, with their reasons."""
    from .._delivery.records import FILTERS, skip_records

    query = req.query()
    filters = {name: query[name] for name in FILTERS if name in query}
    return Reply.data(200, skip_records(req.engine, req.key, **filters))
