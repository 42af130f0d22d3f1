"""In-memory stores of one environment (what one API key sees) and its trigger journal."""

from __future__ import annotations

import copy
import itertools
import os
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl

from .clock import iso_utc
from .scheduler import Job, Scheduler

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


def object_id() -> str:
    """A random 24-hex-digit id, shaped like MongoDB's ObjectId."""
    return os.urandom(12).hex()


def mask_key(key: str) -> str:
    """`****` and the key's last four characters."""
    return "****" + key[-4:]


# Journal sequence numbers: unique and increasing for the whole process, never reused after a
# reset, so a dashboard link to one record can never point at another.
_sequence = itertools.count(1)


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
        "steps",
        "tenant_overrides",
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
        self.delivery_plan: Any = None  # the compiled steps, built on first run
        self.id = object_id()
        self.created_at = now

    def validator(self) -> Any:
        """The compiled JSON Schema validator of `payload_schema` (built on first use)."""
        if self._validator is None:
            from jsonschema import Draft7Validator

            self._validator = Draft7Validator(self.payload_schema or {})
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

    def to_fixture(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"key": self.key}
        if self.name is not None:
            doc["name"] = self.name
        doc["subscribers"] = list(self.members)
        return doc


class TriggerRecord:
    """One status object the mock answered, as the journal keeps it (DESIGN section 6)."""

    __slots__ = (
        "actor",
        "bulk_index",
        "canceled",
        "environment",
        "error",
        "forced",
        "jobs",
        "notes",
        "overrides",
        "payload",
        "received_at",
        "recipients",
        "seq",
        "source",
        "status",
        "tenant",
        "to",
        "transaction_id",
        "workflow_id",
    )

    def __init__(
        self,
        *,
        transaction_id: str | None,
        workflow_id: Any,
        status: str,
        error: list[str] | None,
        to: Any,
        recipients: list[str],
        payload: Any,
        overrides: Any,
        actor: Any,
        tenant: Any,
        source: str,
        bulk_index: int | None,
        received_at: float,
        forced: bool,
        notes: list[str],
        environment: Environment,
    ) -> None:
        self.transaction_id = transaction_id
        self.workflow_id = workflow_id
        self.status = status
        self.error = error
        self.to = to
        self.recipients = recipients
        self.payload = payload
        self.overrides = overrides
        self.actor = actor
        self.tenant = tenant
        self.source = source
        self.bulk_index = bulk_index
        self.received_at = received_at
        self.canceled = False
        self.jobs: list[Job] = []  # held delay and digest steps (the scheduler's jobs)
        self.forced = forced
        self.notes = notes
        self.environment = environment
        self.seq = next(_sequence)

    def to_dict(self) -> dict[str, Any]:
        return {
            "transactionId": self.transaction_id,
            "workflowId": self.workflow_id,
            "status": self.status,
            "error": self.error,
            "to": self.to,
            "recipients": list(self.recipients),
            "payload": self.payload,
            "overrides": self.overrides,
            "actor": self.actor,
            "tenant": self.tenant,
            "source": self.source,
            "bulkIndex": self.bulk_index,
            "receivedAt": iso_utc(self.received_at),
            "canceled": self.canceled,
            "forced": self.forced,
            "notes": list(self.notes),
            "jobs": [job.to_dict() for job in self.jobs],
            "environment": self.environment.masked,
        }

    def matches(
        self,
        workflowId: str | None = None,
        subscriberId: str | None = None,
        transactionId: str | None = None,
        status: str | None = None,
    ) -> bool:
        """The filters of GET /_mock/triggers; `subscriberId` is any recipient or id sent."""
        if workflowId is not None and self.workflow_id != workflowId:
            return False
        if transactionId is not None and self.transaction_id != transactionId:
            return False
        if status is not None and self.status != status:
            return False
        return subscriberId is None or (
            subscriberId in self.recipients or subscriberId in sent_ids(self.to)
        )


class RequestRecord:
    """One Novu call as the request journal keeps it (DESIGN section 6)."""

    __slots__ = (
        "body",
        "duration_ms",
        "environment",
        "headers",
        "method",
        "path",
        "query",
        "received_at",
        "response",
        "status",
    )

    def __init__(
        self,
        *,
        method: str,
        path: str,
        query: str,
        headers: Mapping[str, str],
        body: Any,
        status: int,
        response: Any,
        received_at: float,
        duration_ms: float,
        environment: Environment | None,
    ) -> None:
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.status = status
        self.response = response
        self.received_at = received_at
        self.duration_ms = duration_ms
        self.environment = environment

    def to_dict(self) -> dict[str, Any]:
        query: dict[str, Any] = {}
        for name, value in parse_qsl(self.query, keep_blank_values=True):
            if name in query:
                previous = query[name]
                query[name] = (
                    [*previous, value] if isinstance(previous, list) else [previous, value]
                )
            else:
                query[name] = value
        headers = dict(self.headers)
        if "authorization" in headers:
            scheme, _, key = headers["authorization"].partition(" ")
            headers["authorization"] = (
                f"{scheme} {mask_key(key.strip())}" if key.strip() else scheme
            )
        return {
            "method": self.method,
            "path": self.path,
            "query": query,
            "headers": headers,
            "body": self.body,
            "status": self.status,
            "response": self.response,
            "receivedAt": iso_utc(self.received_at),
            "durationMs": round(self.duration_ms, 3),
            "environment": self.environment.masked if self.environment is not None else None,
        }


def sent_ids(to: Any) -> list[str]:
    """subscriberIds in `to` as sent: strings and subscriber objects, not topics."""
    items = to if isinstance(to, list) else [to]
    ids = []
    for item in items:
        if isinstance(item, str):
            ids.append(item)
        elif isinstance(item, dict) and isinstance(item.get("subscriberId"), str):
            ids.append(item["subscriberId"])
    return ids


def new_subscriber(subscriber_id: str, fields: Mapping[str, Any], now: str) -> dict[str, Any]:
    entity: dict[str, Any] = {"_id": object_id(), "subscriberId": subscriber_id}
    for name in SUBSCRIBER_FIELDS:
        if name in fields:
            entity[name] = fields[name]
    entity["createdAt"] = now
    entity["updatedAt"] = now
    return entity


def new_tenant(spec: Mapping[str, Any], now: str) -> dict[str, Any]:
    return {
        "_id": object_id(),
        "identifier": spec["identifier"],
        "name": spec.get("name"),
        "data": spec.get("data", {}),
        "createdAt": now,
        "updatedAt": now,
    }


class Environment:
    """Everything one API key sees: stores, forced outcomes, settings, trigger journal."""

    def __init__(
        self,
        key: str | None,
        fixtures: Iterable[Mapping[str, Any]],
        now: float,
        journal: list[TriggerRecord],
    ) -> None:
        self.key = key
        self.masked = mask_key(key) if key is not None else None
        self.id = object_id()
        self.organization_id = object_id()
        self._journal = journal
        self.processed: dict[str, list[TriggerRecord]] = {}
        self.own_fixtures: list[Mapping[str, Any]] = []
        self.scheduler = Scheduler()  # pending delay and digest work
        self.seed(fixtures, now)

    def journal(self, record: TriggerRecord) -> None:
        """Append to the engine's journal, which every environment shares (oldest first)."""
        self._journal.append(record)

    def seed(self, fixtures: Iterable[Mapping[str, Any]], now: float) -> None:
        """Empty every store, then load the documents in order (later items replace earlier)."""
        self.workflows: dict[str, Workflow] = {}
        self.subscribers: dict[str, dict[str, Any]] = {}
        self.tenants: dict[str, dict[str, Any]] = {}
        self.topics: dict[str, Topic] = {}
        self.outcomes: list[dict[str, Any]] = []
        self.settings: dict[str, Any] = {"recipientValidation": True}
        self.rate_limits: dict[str, float] | None = None
        # Delivery (DESIGN 9): queued runs, their notifications and messages, held runs.
        self.pending: list[Any] = []
        self.notifications: list[Any] = []
        self.messages: list[Any] = []
        self.suspended: list[Any] = []
        for doc in fixtures:
            self.merge(doc, now)

    def merge(self, doc: Mapping[str, Any], now: float) -> None:
        """Add one validated fixture document to the stores."""
        stamp = iso_utc(now)
        # Deep copies: a test that mutates its fixture dict afterwards must not reach our stores.
        doc = copy.deepcopy(dict(doc))
        for spec in doc.get("workflows") or []:
            self.workflows[spec["workflowId"]] = Workflow(spec, stamp)
        for spec in doc.get("subscribers") or []:
            entity = new_subscriber(spec["subscriberId"], spec, stamp)
            if spec.get("preferences"):
                entity["preferences"] = spec["preferences"]
            self.subscribers[spec["subscriberId"]] = entity
        for spec in doc.get("tenants") or []:
            self.tenants[spec["identifier"]] = new_tenant(spec, stamp)
        for spec in doc.get("topics") or []:
            self.topics[spec["key"]] = Topic(
                spec["key"], spec.get("name"), spec.get("subscribers") or [], stamp
            )
        self.outcomes.extend(doc.get("outcomes") or [])
        self.settings.update(doc.get("settings") or {})
        if "rateLimits" in doc:
            self.rate_limits = dict(doc["rateLimits"])

    def to_fixture(self) -> dict[str, Any]:
        """The stores as a fixture document (round-trips through `merge`)."""
        doc: dict[str, Any] = {
            "workflows": [w.to_fixture() for w in self.workflows.values()],
            "subscribers": [
                {
                    k: copy.deepcopy(v)
                    for k, v in s.items()
                    if k in SUBSCRIBER_FIELDS or k in ("subscriberId", "preferences")
                }
                for s in self.subscribers.values()
            ],
            "tenants": [
                {
                    "identifier": t["identifier"],
                    **({"name": t["name"]} if t.get("name") is not None else {}),
                    "data": copy.deepcopy(t.get("data") or {}),
                }
                for t in self.tenants.values()
            ],
            "topics": [t.to_fixture() for t in self.topics.values()],
            "outcomes": copy.deepcopy(self.outcomes),
            "settings": dict(self.settings),
        }
        if self.rate_limits is not None:
            doc["rateLimits"] = dict(self.rate_limits)
        return doc
