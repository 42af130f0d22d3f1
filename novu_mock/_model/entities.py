"""The entities of one environment's stores (workflows, subscribers, tenants, topics) and the
one write path of each kind of change to them. Nothing here knows of HTTP."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from .values import json_copy, object_id

SUBSCRIBER_FIELDS = (
    "email",
    "firstName",
    "lastName",
    "phone",
    "avatar",
    "locale",
    "timezone",
    "data",
    "channels",
)
_SUBSCRIBER_STRINGS = ("firstName", "lastName", "phone", "avatar", "locale", "timezone")
# What a trigger's recipient or actor object overwrites on an existing subscriber (contract 5.2).
_UPDATED_WHEN_NOT_NULL = ("firstName", "lastName", "phone", "avatar", "locale", "timezone", "data")

Subscriber = dict[str, Any]
Tenant = dict[str, Any]


class Workflow:
    """A workflow as the trigger sees it."""

    __slots__ = (
        "_validator",
        "active",
        "any_active_step",
        "created_at",
        "critical",
        "delivery_plan",
        "id",
        "name",
        "payload_schema",
        "preferences",
        "severity",
        "steps",
        "tenant_overrides",
        "timing",
        "workflow_id",
    )

    def __init__(self, spec: Mapping[str, Any], now: str) -> None:
        self.workflow_id: str = spec["workflowId"]
        self.name: str = spec.get("name", self.workflow_id)
        self.active: bool = spec.get("active", True)
        steps = spec.get("steps")
        self.steps: list[dict[str, Any]] = (
            [{"type": "in_app", "active": True}]
            if steps is None
            else [{"active": True, **step} for step in steps]
        )
        self.any_active_step = any(step["active"] for step in self.steps)
        self.tenant_overrides: dict[str, bool] = {
            tenant: override["active"]
            for tenant, override in (spec.get("tenantOverrides") or {}).items()
        }
        self.payload_schema: dict[str, Any] | None = spec.get("payloadSchema")
        self._validator: Any = None
        # Delivery (DESIGN 9): subscriber preferences ignored when critical; workflow defaults.
        self.critical: bool = spec.get("critical", False)
        self.preferences: dict[str, Any] | None = spec.get("preferences")
        self.severity: str = spec.get("severity", "none")  # Novu's high, medium, low, none
        self.delivery_plan: Any = None  # the compiled steps, built on first run
        # (holds, has_delay_path) of the steps, built on first trigger (_novu/triggers.py).
        self.timing: tuple[bool, bool] | None = None
        self.id = object_id()
        self.created_at = now

    def clone(self, now: str) -> Workflow:
        """This workflow in another environment (a seed's, see environment.py): its own id and
        creation time; the definition (steps, schema, overrides, preferences), which no write
        changes in place (a change replaces the Workflow), and the compiled validator are
        shared. The delivery plan points back at its workflow: each twin builds its own."""
        twin = Workflow.__new__(Workflow)
        for name in Workflow.__slots__:
            setattr(twin, name, getattr(self, name))
        twin.delivery_plan = None
        twin.id = object_id()
        twin.created_at = now
        return twin

    def validator(self) -> Any:
        """The compiled JSON Schema validator of `payload_schema` (built on first use)."""
        if self._validator is None:
            from .._novu.payload_schema import validator_for  # patterns under a time budget

            self._validator = validator_for(self.payload_schema or {})
        return self._validator

    def to_fixture(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "workflowId": self.workflow_id,
            "name": self.name,
            "active": self.active,
            "steps": [dict(step) for step in self.steps],
        }
        if self.tenant_overrides:
            doc["tenantOverrides"] = {t: {"active": a} for t, a in self.tenant_overrides.items()}
        if self.payload_schema is not None:
            doc["payloadSchema"] = copy.deepcopy(self.payload_schema)
        if self.critical:
            doc["critical"] = True
        if self.preferences is not None:
            doc["preferences"] = copy.deepcopy(self.preferences)
        if self.severity != "none":
            doc["severity"] = self.severity
        return doc


class Topic:
    """A topic and its members (an insertion-ordered set of subscriberIds)."""

    __slots__ = ("created_at", "id", "key", "members", "name", "updated_at")

    def __init__(self, key: str, name: str | None, members: Iterable[str], now: str) -> None:
        self.key = key
        self.name = name
        self.members: dict[str, None] = dict.fromkeys(members)
        self.id = object_id()
        self.created_at = now
        self.updated_at = now

    def clone(self, now: str) -> Topic:
        """This topic in another environment: its own id, stamps and members."""
        return Topic(self.key, self.name, self.members, now)

    def rename(self, name: str, now: str) -> None:
        if name != self.name:
            self.name = name
            self.updated_at = now

    def add(self, subscriber_id: str, now: str) -> None:
        """Subscribe `subscriber_id` (nothing changes when it already is a member)."""
        if subscriber_id not in self.members:
            self.members[subscriber_id] = None
            self.updated_at = now

    def remove(self, subscriber_id: str, now: str) -> bool:
        """Unsubscribe `subscriber_id`; False when it was not a member."""
        if subscriber_id not in self.members:
            return False
        del self.members[subscriber_id]
        self.updated_at = now
        return True

    def to_fixture(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"key": self.key}
        if self.name is not None:
            doc["name"] = self.name
        doc["subscribers"] = list(self.members)
        return doc


# -- subscribers -------------------------------------------------------------------------------


def new_subscriber(subscriber_id: str, fields: Mapping[str, Any], now: str) -> Subscriber:
    entity: Subscriber = {"_id": object_id(), "subscriberId": subscriber_id}
    for name in SUBSCRIBER_FIELDS:
        if name in fields:
            entity[name] = fields[name]
    entity["createdAt"] = now
    entity["updatedAt"] = now
    return entity


def cloned(entity: dict[str, Any], now: str) -> dict[str, Any]:
    """A seed's subscriber or tenant in another environment: its own `_id` and stamps. Its
    nested values are shared: every write below replaces a nested value, never changes it in
    place (`apply_preferences` copies the preferences it changes)."""
    twin = dict(entity)
    twin["_id"] = object_id()
    twin["createdAt"] = twin["updatedAt"] = now
    return twin


def apply_fields(
    entity: Subscriber, body: Mapping[str, Any], now: str, *, replace_null: bool
) -> None:
    """Write a subscribers endpoint's fields onto a stored subscriber. `replace_null` (v2 create
    and patch) stores a sent null; otherwise (v1 update) only `email` takes a null, as Novu's
    UpdateSubscriber does. `data` is replaced, never merged; a null `data` removes it."""
    changed = False
    for name in ("email", *_SUBSCRIBER_STRINGS):
        if name not in body:
            continue
        value = body[name]
        if value is None and not (replace_null or name == "email"):
            continue
        if entity.get(name) != value or name not in entity:
            entity[name] = value
            changed = True
    if "data" in body:
        if isinstance(body["data"], dict):
            entity["data"] = body["data"]
            changed = True
        elif replace_null and "data" in entity:
            del entity["data"]
            changed = True
    if isinstance(body.get("channels"), list):
        entity["channels"] = body["channels"]
        changed = True
    if changed:
        entity["updatedAt"] = now


def apply_recipient(entity: Subscriber, define: Mapping[str, Any], now: str) -> None:
    """Write a trigger's recipient or actor object onto a stored subscriber, as Novu's worker
    does (contract 5.2): `email` as sent, the others only when not null."""
    if len(define) == 1:
        return
    changed = False
    if "email" in define and entity.get("email") != define["email"]:
        entity["email"] = define["email"]
        changed = True
    for name in _UPDATED_WHEN_NOT_NULL:
        value = define.get(name)
        if value is not None and entity.get(name) != value:
            entity[name] = value
            changed = True
    if define.get("channels") is not None:
        entity["channels"] = define["channels"]
        changed = True
    if changed:
        entity["updatedAt"] = now


def put_channel(
    entity: Subscriber,
    provider: str,
    credentials: Mapping[str, Any],
    identifier: str | None,
    now: str,
    *,
    merge: bool,
    keep_identifier: bool = True,
) -> None:
    """Set one provider's channel (credentials) on a subscriber, moved to the end of its list.
    `merge` merges into the provider's current credentials, device tokens appended without
    duplicates; otherwise they are replaced. Without `identifier`, the current channel's
    `integrationIdentifier` stays when `keep_identifier`."""
    channels: list[dict[str, Any]] = [
        c for c in entity.get("channels") or [] if isinstance(c, dict)
    ]
    current = next((c for c in channels if c.get("providerId") == provider), None)
    stored = dict(credentials)
    if current is not None and merge:
        # `credentials: null` is accepted on create (class-validator's @IsOptional) and stored.
        had = current.get("credentials") or {}
        merged = {**had, **stored}
        tokens = [
            *(had.get("deviceTokens") or []),
            *(stored.get("deviceTokens") or []),
        ]
        if tokens:
            merged["deviceTokens"] = list(dict.fromkeys(tokens))
        stored = merged
    channel: dict[str, Any] = {"providerId": provider, "credentials": stored}
    if identifier is not None:
        channel["integrationIdentifier"] = identifier
    elif keep_identifier and current is not None and "integrationIdentifier" in current:
        channel["integrationIdentifier"] = current["integrationIdentifier"]
    entity["channels"] = [c for c in channels if c is not current] + [channel]
    entity["updatedAt"] = now


def drop_channel(entity: Subscriber, provider: str, now: str) -> bool:
    """Remove a provider's channel from a subscriber; True when there was one."""
    channels = entity.get("channels") or []
    kept = [c for c in channels if not (isinstance(c, dict) and c.get("providerId") == provider)]
    if len(kept) == len(channels):
        return False
    entity["channels"] = kept
    entity["updatedAt"] = now
    return True


def apply_preferences(
    entity: Subscriber,
    channels: Mapping[str, bool] | None,
    workflow_id: str | None,
    schedule: Mapping[str, Any] | None,
    now: str,
) -> None:
    """Merge channel switches into a subscriber's global preferences (and its `schedule`), or,
    with `workflow_id`, into that workflow's preferences."""
    # A copy, replaced whole: the stored one may be shared with a seed (`cloned`).
    stored = json_copy(entity.get("preferences") or {})
    entity["preferences"] = stored
    if workflow_id is not None:
        stored.setdefault("workflows", {}).setdefault(workflow_id, {}).update(channels or {})
    else:
        stored.setdefault("channels", {}).update(channels or {})
        if schedule is not None:
            stored["schedule"] = schedule
    entity["updatedAt"] = now


def subscriber_fixture(entity: Subscriber) -> dict[str, Any]:
    return {
        k: copy.deepcopy(v)
        for k, v in entity.items()
        if k in SUBSCRIBER_FIELDS or k in ("subscriberId", "preferences")
    }


# -- tenants -----------------------------------------------------------------------------------


def new_tenant(spec: Mapping[str, Any], now: str) -> Tenant:
    return {
        "_id": object_id(),
        "identifier": spec["identifier"],
        "name": spec.get("name"),
        "data": spec.get("data", {}),
        "createdAt": now,
        "updatedAt": now,
    }


def tenant_fixture(tenant: Tenant) -> dict[str, Any]:
    return {
        "identifier": tenant["identifier"],
        **({"name": tenant["name"]} if tenant.get("name") is not None else {}),
        "data": copy.deepcopy(tenant.get("data") or {}),
    }


def step_ids(workflow: Workflow) -> list[str]:
    """Each step's stepId: the fixture's, else `<type>-step` (numbered when a type repeats)."""
    ids: list[str] = []
    for step in workflow.steps:
        base = step.get("stepId") or f"{step['type'].replace('_', '-')}-step"
        candidate, n = base, 2
        while candidate in ids:
            candidate, n = f"{base}-{n}", n + 1
        ids.append(candidate)
    return ids
