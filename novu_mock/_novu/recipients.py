"""Who a trigger reaches: recipient validation and topic fan-out (contract 5)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .._core.text import JS_WHITE_SPACE, js_trim
from .._model.environment import Environment
from .._model.limits import MAX_DEPTH, deeper_than
from .._model.values import short


class Plan:
    """The parsed recipients of one trigger, before anything is written."""

    __slots__ = ("direct", "invalid", "notes", "topics", "upserts")

    def __init__(self) -> None:
        self.direct: dict[str, dict[str, Any]] = {}
        self.topics: list[tuple[str, list[str]]] = []
        self.notes: list[str] = []
        self.invalid = False
        # Whether a subscriber object with fields besides its id was planned: only those can
        # change a stored subscriber (the trigger then lets queued runs go first).
        self.upserts = False


def _valid_id(value: Any) -> str | None:
    if isinstance(value, str):
        trimmed = js_trim(value)  # contract D16: JavaScript's white space, not Python's
        return trimmed or None
    return None


def _validated(item: Any) -> Any:
    """The trimmed item when it passes Novu's recipient validation, else None."""
    if isinstance(item, str):
        return _valid_id(item)
    if isinstance(item, dict):
        sub_id = _valid_id(item.get("subscriberId"))
        if sub_id is not None:
            return item if sub_id == item["subscriberId"] else {**item, "subscriberId": sub_id}
        if _valid_id(item.get("topicKey")) is not None:
            return item
    return None


def plan(to: Any, validate: bool) -> Plan:
    """Parse `to` as Novu does: NEW recipient validation (D4) then the worker's multicast split,
    in one pass (this runs for every event of every bulk)."""
    result = Plan()
    direct = result.direct
    single = not isinstance(to, list)
    for i, item in enumerate((to,) if single else to):
        if validate and type(item) is str:
            # The common case, a subscriberId, without the general checks below (same result).
            trimmed = item.strip(JS_WHITE_SPACE)  # js_trim (D16), inline for every recipient
            if trimmed:
                direct[trimmed] = {"subscriberId": trimmed}
                continue
        if validate:
            valid = _validated(item)
            if valid is None:
                if single:
                    result.invalid = True
                    return result
                result.notes.append(
                    f"Novu drops recipient to[{i}] ({short(item)}): not a valid subscriberId, "
                    "subscriber object or topic object"
                )
                continue
            item = valid
        if not item:
            continue
        if isinstance(item, str):
            result.direct[item] = {"subscriberId": item}
        elif isinstance(item, dict) and item.get("type") == "Topic":
            key = item.get("topicKey")
            exclude = item.get("exclude")
            result.topics.append(
                (
                    key if isinstance(key, str) else str(key),
                    exclude if isinstance(exclude, list) else [],
                )
            )
        elif (
            isinstance(item, dict)
            and item.get("subscriberId")
            and not isinstance(item["subscriberId"], list)
        ):
            result.direct[str(item["subscriberId"])] = item
            result.upserts = result.upserts or len(item) > 1
        else:
            result.notes.append(
                "Novu's worker would fail this whole trigger after answering: subscriberId under "
                "property to is not configured, please make sure all subscribers contains "
                f"subscriberId property ({short(item)})"
            )
            result.direct.clear()
            result.upserts = False
            result.topics.clear()
            return result
    return result


def fan_out(
    env: Environment, recipients: Plan, actor_id: str | None
) -> tuple[tuple[str, ...], Sequence[str]]:
    """subscriberIds reached (direct first, then topic members) and notes on unknown topics.
    A tuple: the trigger's record keeps it (see TriggerRecord.recipients)."""
    if not recipients.topics:
        return tuple(recipients.direct), ()
    reached = list(recipients.direct)
    seen = set(reached)
    notes: list[str] = []
    for key, exclude in recipients.topics:
        topic = env.topics.get(key)
        if topic is None:
            notes.append(
                f"Novu's worker would raise 'Topic with key {key} not found in current "
                "environment' after answering; nobody is reached through it"
            )
            continue
        skip = set(exclude)
        for member in topic.members:
            if member in seen or member == actor_id or member in skip:
                continue
            seen.add(member)
            reached.append(member)
    return tuple(reached), notes


def storable(define: dict[str, Any]) -> dict[str, Any] | None:
    """A recipient object as Novu's worker could store it: None when nested deeper than MongoDB
    takes, else without the fields the subscriber schema would not hold (Novu does not validate
    `to` items; its worker's store refuses what does not cast), so later reads conform."""
    if deeper_than(define, MAX_DEPTH - 1):
        return None
    from .subscribers import body_problems

    problems = body_problems(define, require_id=False, channels=True)
    if not problems:
        return define
    wrong = {key.split(".", 1)[0] for key in problems}
    return {k: v for k, v in define.items() if k not in wrong}


def storable_tenant(tenant: Any) -> Any:
    """A trigger's tenant object, or None when nested deeper than MongoDB takes."""
    return None if isinstance(tenant, dict) and deeper_than(tenant, MAX_DEPTH - 1) else tenant
