"""Handlers of Novu's events endpoints: trigger, bulk, broadcast and cancel (contract 2 to 4)."""

from __future__ import annotations

from typing import Any

from .._core.errors import NovuError, validation_error
from .._core.http import Reply
from .._core.request import Request
from .triggers import (
    PAYLOAD_LIMIT,
    Context,
    error_item,
    payload_size_message,
    run_broadcast,
    run_event,
)
from .validation import (
    broadcast_problems,
    bulk_envelope_problems,
    bulk_event_messages,
    trigger_problems,
)


def _context(req: Request) -> Context:
    return Context(req.environment(), req.now, req.stamp)


def _check_size(req: Request, payload: Any, index: int | None = None, workflow: Any = None) -> None:
    # A body under the limit cannot hold a payload over it: skip the re-encoding.
    if len(req.call.body) <= PAYLOAD_LIMIT:
        return
    message = payload_size_message(payload, index, workflow)
    if message is not None:
        raise NovuError(413, message, reason=False)


def trigger(req: Request) -> Reply:
    """POST /v1/events/trigger"""
    body = req.json_object()
    problems = trigger_problems(body)
    if problems:
        raise validation_error(problems)
    _check_size(req, body.get("payload") or {})
    return Reply.json(201, {"data": run_event(_context(req), body, source="trigger")})


def trigger_bulk(req: Request) -> Reply:
    """POST /v1/events/trigger/bulk"""
    body = req.json_object()
    problems = bulk_envelope_problems(body)
    if problems:
        raise validation_error(problems)
    events: list[Any] = body["events"]
    for index, event in enumerate(events):
        if isinstance(event, dict):
            _check_size(req, event.get("payload") or {}, index, event.get("name"))
    ctx = _context(req)
    results = []
    for index, event in enumerate(events):
        messages = bulk_event_messages(event)
        if messages:
            results.append(error_item(ctx, event, messages, source="bulk", bulk_index=index))
            continue
        try:
            results.append(run_event(ctx, event, source="bulk", bulk_index=index))
        except NovuError as exc:
            text = exc.message if isinstance(exc.message, list) else [exc.message]
            results.append(error_item(ctx, event, text, source="bulk", bulk_index=index))
    return Reply.json(201, {"data": results})


def trigger_broadcast(req: Request) -> Reply:
    """POST /v1/events/trigger/broadcast"""
    body = req.json_object()
    problems = broadcast_problems(body)
    if problems:
        raise validation_error(problems)
    _check_size(req, body.get("payload") or {})
    return Reply.json(201, {"data": run_broadcast(_context(req), body)})


def cancel_trigger(req: Request) -> Reply:
    """DELETE /v1/events/trigger/{transactionId}"""
    return Reply.data(200, req.environment().cancel(req.params["transactionId"], req.now))
