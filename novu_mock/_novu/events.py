"""Handlers of Novu's events endpoints: trigger, bulk, broadcast and cancel (contract 2 to 4)."""

from __future__ import annotations

from typing import Any

from .._core.errors import NovuError, validation_error
from .._core.http import Reply
from .._core.request import Request
from .triggers import (
    PAYLOAD_LIMIT,
    Context,
    payload_size_message,
    run_broadcast,
    run_bulk,
    run_event,
)
from .validation import broadcast_problems, bulk_envelope_problems, trigger_problems


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
    data = run_event(_context(req), body, source="trigger")
    return Reply.json(201, {"data": data}, floats=False)  # no float in it: see dump_json


def trigger_bulk(req: Request) -> Reply:
    """POST /v1/events/trigger/bulk"""
    body = req.json_object()
    problems = bulk_envelope_problems(body)
    if problems:
        raise validation_error(problems)
    events: list[Any] = body["events"]
    if len(req.call.body) > PAYLOAD_LIMIT:  # a smaller body cannot hold a payload over it
        for index, event in enumerate(events):
            if isinstance(event, dict):
                _check_size(req, event.get("payload") or {}, index, event.get("name"))
    # The answer holds no float: orjson may write it (see dump_json).
    return Reply.json(201, {"data": run_bulk(_context(req), events)}, floats=False)


def trigger_broadcast(req: Request) -> Reply:
    """POST /v1/events/trigger/broadcast"""
    body = req.json_object()
    problems = broadcast_problems(body)
    if problems:
        raise validation_error(problems)
    _check_size(req, body.get("payload") or {})
    data = run_broadcast(_context(req), body)
    return Reply.json(201, {"data": data}, floats=False)  # no float in it: see dump_json


def cancel_trigger(req: Request) -> Reply:
    """DELETE /v1/events/trigger/{transactionId}"""
    return Reply.data(200, req.environment().cancel(req.params["transactionId"], req.now))
