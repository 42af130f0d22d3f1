"""Request-body validation with Novu's class-validator messages (contract 2.2, 2.4, 4.1, D1, D5)."""

from __future__ import annotations

import re
from typing import Any

from .._core.errors import field_problem

MAX_BULK_EVENTS = 100

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_SUBSCRIBER_STRINGS = ("firstName", "lastName", "phone", "avatar", "locale", "timezone")

Problems = dict[str, dict[str, Any]]


def _add(problems: Problems, name: str, message: str, body: Any, present: bool) -> None:
    entry = problems.get(name)
    if entry is None:
        problems[name] = field_problem([message], body, present)
    else:
        entry["messages"].append(message)


def _check_defined_string(problems: Problems, body: dict[str, Any], name: str) -> None:
    value = body.get(name)
    if value is None:
        _add(problems, name, f"{name} should not be null or undefined", value, name in body)
        _add(problems, name, f"{name} must be a string", value, name in body)
    elif not isinstance(value, str):
        _add(problems, name, f"{name} must be a string", value, True)


def _check_optional(problems: Problems, body: dict[str, Any], name: str, kind: str) -> None:
    value = body.get(name)
    if value is None:
        return
    ok = isinstance(value, dict) if kind == "object" else isinstance(value, str)
    if not ok:
        _add(
            problems,
            name,
            f"{name} must be {'an object' if kind == 'object' else 'a string'}",
            value,
            True,
        )


def _check_subscriber(problems: Problems, name: str, value: dict[str, Any]) -> None:
    """`SubscriberPayloadDto` nested under `name` (the actor)."""
    sub_id = value.get("subscriberId")
    key = f"{name}.subscriberId"
    if sub_id is None:
        _add(
            problems, key, f"{key} should not be null or undefined", sub_id, "subscriberId" in value
        )
        _add(problems, key, f"{key} must be a string", sub_id, "subscriberId" in value)
    elif not isinstance(sub_id, str):
        _add(problems, key, f"{key} must be a string", sub_id, True)
    email = value.get("email")
    if email is not None and not (isinstance(email, str) and _EMAIL.match(email)):
        _add(problems, f"{name}.email", f"{name}.email must be an email", email, True)
    for field in _SUBSCRIBER_STRINGS:
        item = value.get(field)
        if item is not None and not isinstance(item, str):
            _add(problems, f"{name}.{field}", f"{name}.{field} must be a string", item, True)
    data = value.get("data")
    if data is not None and not isinstance(data, dict):
        _add(problems, f"{name}.data", f"{name}.data must be an object", data, True)


def _check_tenant(problems: Problems, value: dict[str, Any]) -> None:
    for field in ("identifier", "name"):
        item = value.get(field)
        if item is not None and not isinstance(item, str):
            _add(problems, f"tenant.{field}", f"tenant.{field} must be a string", item, True)
    data = value.get("data")
    if data is not None and not isinstance(data, dict):
        _add(problems, "tenant.data", "tenant.data must be an object", data, True)


def _check_actor_tenant(problems: Problems, body: dict[str, Any]) -> None:
    actor = body.get("actor")
    if actor is not None and not isinstance(actor, str):
        if isinstance(actor, dict):
            _check_subscriber(problems, "actor", actor)
        else:
            _add(
                problems,
                "actor",
                "nested property actor must be either object or array",
                actor,
                True,
            )
    tenant = body.get("tenant")
    if tenant is not None and not isinstance(tenant, str):
        if isinstance(tenant, dict):
            _check_tenant(problems, tenant)
        else:
            _add(
                problems,
                "tenant",
                "nested property tenant must be either object or array",
                tenant,
                True,
            )


def trigger_problems(body: dict[str, Any]) -> Problems:
    """`TriggerEventRequestDto` (single trigger); empty when the body is valid."""
    problems: Problems = {}
    _check_defined_string(problems, body, "name")
    if body.get("to") is None:
        _add(problems, "to", "to should not be null or undefined", body.get("to"), "to" in body)
    _check_optional(problems, body, "payload", "object")
    _check_optional(problems, body, "overrides", "object")
    _check_optional(problems, body, "transactionId", "string")
    _check_actor_tenant(problems, body)
    return problems


def broadcast_problems(body: dict[str, Any]) -> Problems:
    """`TriggerEventToAllRequestDto`: like a trigger without `to`, and `payload` required."""
    problems: Problems = {}
    _check_defined_string(problems, body, "name")
    if not isinstance(body.get("payload"), dict):
        _add(
            problems, "payload", "payload must be an object", body.get("payload"), "payload" in body
        )
    _check_optional(problems, body, "overrides", "object")
    _check_optional(problems, body, "transactionId", "string")
    _check_actor_tenant(problems, body)
    return problems


def bulk_envelope_problems(body: dict[str, Any]) -> Problems:
    """`BulkTriggerEventDto.events`: an array of 1 to 100 items (D6)."""
    events = body.get("events")
    present = "events" in body
    if not isinstance(events, list):
        messages = [
            f"events must contain no more than {MAX_BULK_EVENTS} elements",
            "events should not be empty",
            "events must be an array",
        ]
    elif not events:
        messages = ["events should not be empty"]
    elif len(events) > MAX_BULK_EVENTS:
        messages = [f"events must contain no more than {MAX_BULK_EVENTS} elements"]
    else:
        return {}
    return {"events": field_problem(messages, events, present)}


def bulk_event_messages(event: Any) -> list[str]:
    """The command-validation messages of one bulk event (D5); empty when it may proceed."""
    if not isinstance(event, dict):
        event = {}
    messages: list[str] = []
    if event.get("to") is None:
        messages.append("to should not be null or undefined")
    name = event.get("name")
    if name is None:
        messages.append("identifier should not be null or undefined")
        messages.append("identifier must be a string")
    elif not isinstance(name, str):
        messages.append("identifier must be a string")
    payload = event.get("payload")
    if payload is not None and not isinstance(payload, dict):
        messages.append("payload must be an object")
    transaction_id = event.get("transactionId")
    if transaction_id is not None and not isinstance(transaction_id, str):
        messages.append("transactionId must be a string")
    actor = event.get("actor")
    if actor is not None and not isinstance(actor, (str, dict)):
        messages.append("nested property actor must be either object or array")
    tenant = event.get("tenant")
    if tenant is not None and not isinstance(tenant, (str, dict)):
        messages.append("nested property tenant must be either object or array")
    return messages
