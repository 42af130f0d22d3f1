"""`novu-mock extract FILE.jsonl`: the workflows, subscribers, tenants and topics that a
recording shows, as a fixture document (DESIGN section 11).

The upstream's answers are the truth. An item is extracted when the recording shows that it
existed before the call that first names it: a workflow that a trigger reached (its status says
whether it was active, had steps, active steps, or a tenant override), a subscriber, tenant or
topic that a read, an update or a trigger found. Items that the recorded calls created
themselves (a `POST` that the upstream answered 201) are left out, so replaying the same calls
on the extracted fixtures meets the same state as the upstream did.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import yaml

from .._fixtures import STEP_TYPES

_SUBSCRIBER_FIELDS = (
    "email",
    "firstName",
    "lastName",
    "phone",
    "avatar",
    "locale",
    "timezone",
)
_PREFIX = re.compile(r"^/+v(\d)/")
_CREATED = 201
_KINDS = ("subscribers", "tenants", "topics")


class ExtractError(Exception):
    """A recording that cannot be read: the file, the line, and what is wrong."""


def read_recording(path: str | Path) -> Iterator[dict[str, Any]]:
    """The exchange lines of a recording, in order; a torn last line (a killed proxy) is
    skipped, any other line that is not a JSON object is an ExtractError."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    for number, text in enumerate(lines, 1):
        if not text.strip():
            continue
        try:
            line = json.loads(text)
        except ValueError:
            if number == len(lines) and text.lstrip().startswith("{"):
                return  # a line cut short by a killed proxy
            raise ExtractError(
                f"{path}:{number}: expected a JSON object; got {text[:40]!r}"
            ) from None
        if not isinstance(line, dict):
            raise ExtractError(f"{path}:{number}: expected a JSON object; got {text[:40]!r}")
        yield line


def _data(body: Any) -> Any:
    return body.get("data") if isinstance(body, dict) and "data" in body else body


def _route(path: str) -> tuple[str, list[str]]:
    """(`v1`|`v2`, path segments after it) of a Novu path."""
    path = re.sub("/{2,}", "/", path)
    found = _PREFIX.match(path)
    if found is None:
        return "", []
    rest = path[found.end() :].rstrip("/")
    return f"v{found.group(1)}", [unquote(p) for p in rest.split("/")] if rest else []


class _Extraction:
    def __init__(self) -> None:
        self.workflows: dict[str, dict[str, Any]] = {}
        self.outcomes: dict[str, list[tuple[str, str | None]]] = {}
        self.subscribers: dict[str, dict[str, Any]] = {}
        self.tenants: dict[str, dict[str, Any]] = {}
        self.topics: dict[str, dict[str, Any]] = {}
        self.created: set[tuple[str, str]] = set()
        self.gone: set[tuple[str, str]] = set()
        self.listed: set[str] = set()  # topics whose members a v1 answer listed

    # -- what one kind of item looks like in answers -------------------------------------------

    def _fresh(self, kind: str, ident: str) -> bool:
        """True when the item was neither created nor deleted by an earlier recorded call."""
        return (kind, ident) not in self.created and (kind, ident) not in self.gone

    def subscriber(self, item: Any, recipient: bool = False) -> None:
        if isinstance(item, str):
            item = {"subscriberId": item}
        if not isinstance(item, Mapping) or not isinstance(item.get("subscriberId"), str):
            return
        ident = item["subscriberId"]
        if not ident.strip() or not self._fresh("subscribers", ident):
            return
        if recipient:
            self.subscribers.setdefault(ident, {"subscriberId": ident})
            return
        if ident in self.subscribers and len(self.subscribers[ident]) > 1:
            return  # the earliest full view wins
        entry: dict[str, Any] = {"subscriberId": ident}
        for name in _SUBSCRIBER_FIELDS:
            if isinstance(item.get(name), str):
                entry[name] = item[name]
        if isinstance(item.get("data"), dict) and item["data"]:
            entry["data"] = item["data"]
        self.subscribers[ident] = entry

    def tenant(self, item: Any) -> None:
        if isinstance(item, str):
            item = {"identifier": item}
        if not isinstance(item, Mapping) or not isinstance(item.get("identifier"), str):
            return
        ident = item["identifier"]
        if not ident.strip() or not self._fresh("tenants", ident):
            return
        if ident in self.tenants and len(self.tenants[ident]) > 1:
            return
        entry: dict[str, Any] = {"identifier": ident}
        if isinstance(item.get("name"), str):
            entry["name"] = item["name"]
        if isinstance(item.get("data"), dict) and item["data"]:
            entry["data"] = item["data"]
        self.tenants[ident] = entry

    def topic(self, item: Any, members: Iterable[str] | None = None) -> None:
        if not isinstance(item, Mapping) or not isinstance(item.get("key"), str):
            return
        key = item["key"]
        if not key.strip() or not self._fresh("topics", key):
            return
        entry = self.topics.setdefault(key, {"key": key})
        if isinstance(item.get("name"), str) and "name" not in entry:
            entry["name"] = item["name"]
        if members is not None and key not in self.listed:
            # The earliest v1 member list (in stored order) wins over a subscriptions page.
            entry["subscribers"] = [m for m in members if isinstance(m, str)]
            self.listed.add(key)

    def workflow(self, item: Any) -> None:
        if not isinstance(item, Mapping):
            return
        ident = item.get("workflowId")
        if not isinstance(ident, str):
            triggers = item.get("triggers")
            if isinstance(triggers, list) and triggers and isinstance(triggers[0], dict):
                ident = triggers[0].get("identifier")
        if not isinstance(ident, str) or not ident.strip() or ident in self.workflows:
            return
        entry: dict[str, Any] = {"workflowId": ident}
        if isinstance(item.get("name"), str):
            entry["name"] = item["name"]
        if isinstance(item.get("active"), bool):
            entry["active"] = item["active"]
        elif item.get("status") in ("ACTIVE", "INACTIVE"):
            entry["active"] = item["status"] == "ACTIVE"
        steps = item.get("steps")
        if isinstance(steps, list):
            entry["steps"] = [s for s in (_step(raw) for raw in steps) if s is not None]
        self.workflows[ident] = entry

    # -- one exchange ---------------------------------------------------------------------------

    def exchange(self, line: Mapping[str, Any]) -> None:
        status = line.get("upstreamStatus")
        if not isinstance(status, int):
            return
        method = str(line.get("method", "")).upper()
        version, parts = _route(str(line.get("path", "")))
        body = line.get("body")
        data = _data(line.get("upstreamBody"))
        if parts[:2] == ["events", "trigger"] and method == "POST" and status == _CREATED:
            self.triggers(parts[2:], body, data)
            return
        if not parts or status >= 300:
            missing = status == 404 and len(parts) >= 2 and parts[0] in _KINDS
            if missing and method in ("GET", "PATCH", "PUT", "DELETE"):
                self.gone.add((parts[0], parts[1]))
            return
        collection = parts[0]
        if method == "POST" and len(parts) == 1 and status == _CREATED:
            created = _created(collection, body, data)
            if created is not None and created[1] not in self._known(created[0]):
                self.created.add(created)
            return
        if method == "DELETE" and len(parts) == 2:
            if collection in _KINDS and parts[1] not in self._known(collection):
                self.gone.add((collection, parts[1]))
            return
        if collection == "subscribers":
            self.subscribers_answer(method, version, parts, data)
        elif collection == "tenants":
            for item in data if isinstance(data, list) else [data]:
                self.tenant(item)
        elif collection == "topics":
            self.topics_answer(method, version, parts, data)
        elif collection == "workflows" and method == "GET":
            items: Any = data
            if isinstance(data, dict) and isinstance(data.get("workflows"), list):
                items = data["workflows"]
            for item in items if isinstance(items, list) else [items]:
                self.workflow(item)

    def _known(self, kind: str) -> Mapping[str, Any]:
        known: Mapping[str, Any] = getattr(self, kind)
        return known

    def subscribers_answer(self, method: str, version: str, parts: list[str], data: Any) -> None:
        if len(parts) == 1 and method == "GET":
            for item in data if isinstance(data, list) else []:
                self.subscriber(item)
        elif len(parts) == 2 and method in ("GET", "PATCH", "PUT"):
            if method == "GET":
                self.subscriber(data)
            else:
                self.subscriber({"subscriberId": parts[1]})

    def topics_answer(self, method: str, version: str, parts: list[str], data: Any) -> None:
        if len(parts) == 1 and method == "GET":
            for item in data if isinstance(data, list) else []:
                self._topic_with_members(item, version)
        elif len(parts) == 2 and method == "GET" and isinstance(data, dict):
            self._topic_with_members(data, version)
        elif len(parts) >= 2:
            self.topic({"key": parts[1]})
            if len(parts) == 3 and parts[2] == "subscriptions" and method == "GET":
                items = data if isinstance(data, list) else []
                members = [
                    s.get("subscriber", {}).get("subscriberId")
                    for s in items
                    if isinstance(s, dict) and isinstance(s.get("subscriber"), dict)
                ]
                entry = self.topics.get(parts[1])
                if entry is not None and "subscribers" not in entry:
                    entry["subscribers"] = [m for m in members if isinstance(m, str)]
                    for member in entry["subscribers"]:
                        self.subscriber(member, recipient=True)

    def _topic_with_members(self, item: Any, version: str) -> None:
        """A topic as a read shows it; v1 answers list its members' subscriberIds."""
        members = item.get("subscribers") if isinstance(item, dict) and version == "v1" else None
        # Members become subscribers of the document at the end (document()).
        self.topic(item, members if isinstance(members, list) else None)

    def triggers(self, rest: list[str], body: Any, data: Any) -> None:
        if not isinstance(body, dict):
            return
        if rest == ["bulk"]:
            events = body.get("events")
            answers = data if isinstance(data, list) else []
            if isinstance(events, list):
                for event, answer in zip(events, answers, strict=False):
                    self.trigger(event, answer)
        elif rest in ([], ["broadcast"]):
            self.trigger(body, data)

    def trigger(self, event: Any, answer: Any) -> None:
        if not isinstance(event, dict) or not isinstance(answer, dict):
            return
        name = event.get("name") or event.get("workflowId")
        status = answer.get("status")
        if not isinstance(name, str) or not isinstance(status, str):
            return
        errors = answer.get("error") or []
        if status == "error" and any(
            "not found" in str(e) or "not_found" in str(e) for e in errors
        ):
            return
        tenant = event.get("tenant")
        tenant_id = tenant if isinstance(tenant, str) else None
        if isinstance(tenant, dict) and isinstance(tenant.get("identifier"), str):
            tenant_id = tenant["identifier"]
        self.outcomes.setdefault(name, []).append((status, tenant_id))
        if status == "no_tenant_found":
            return
        if tenant_id is not None and status in ("processed", "trigger_not_active"):
            self.tenant(tenant_id)
        if status == "processed":
            recipients = event.get("to")
            for item in recipients if isinstance(recipients, list) else [recipients]:
                if isinstance(item, str):
                    self.subscriber(item, recipient=True)

    # -- the document ---------------------------------------------------------------------------

    def document(self) -> dict[str, Any]:
        for name, outcomes in self.outcomes.items():
            entry = self.workflows.setdefault(name, {"workflowId": name})
            statuses = [s for s, _ in outcomes]
            if "no_workflow_steps_defined" in statuses and "steps" not in entry:
                entry["steps"] = []
            if "no_workflow_active_steps_defined" in statuses and "steps" not in entry:
                entry["steps"] = [{"type": "in_app", "active": False}]
            inactive = [t for s, t in outcomes if s == "trigger_not_active"]
            elsewhere = [s for s in statuses if s not in ("trigger_not_active", "no_tenant_found")]
            if inactive and not elsewhere:
                entry.setdefault("active", False)
            elif inactive and entry.get("active", True):
                overrides = {t: {"active": False} for t in inactive if t is not None}
                if overrides:
                    entry["tenantOverrides"] = overrides
        for topic in self.topics.values():
            for member in topic.get("subscribers") or []:
                self.subscribers.setdefault(member, {"subscriberId": member})
        doc: dict[str, Any] = {}
        for kind in ("workflows", "subscribers", "tenants", "topics"):
            items = list(getattr(self, kind).values())
            if items:
                doc[kind] = items
        return doc


def _step(raw: Any) -> dict[str, Any] | None:
    if not isinstance(raw, dict):
        return None
    kind = raw.get("type")
    template = raw.get("template")
    if not isinstance(kind, str) and isinstance(template, dict):
        kind = template.get("type")
    if kind not in STEP_TYPES:
        return None
    step: dict[str, Any] = {"type": kind}
    if isinstance(raw.get("stepId"), str) and raw["stepId"]:
        step["stepId"] = raw["stepId"]
    if raw.get("active") is False:
        step["active"] = False
    return step


def _created(collection: str, body: Any, data: Any) -> tuple[str, str] | None:
    """The item a `POST /vN/<collection>` created."""
    for source in (data, body):
        if not isinstance(source, dict):
            continue
        if collection == "subscribers" and isinstance(source.get("subscriberId"), str):
            return ("subscribers", source["subscriberId"])
        if collection == "tenants" and isinstance(source.get("identifier"), str):
            return ("tenants", source["identifier"])
        if collection == "topics" and isinstance(source.get("key"), str):
            return ("topics", source["key"])
    return None


def extract(lines: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The fixture document that a recording's exchanges show."""
    extraction = _Extraction()
    for line in lines:
        extraction.exchange(line)
    return extraction.document()


def extract_yaml(path: str | Path) -> str:
    """`extract` of the recording at `path`, as YAML with a header comment."""
    doc = extract(read_recording(path))
    head = f"# Extracted by `novu-mock extract` from {Path(path).name}\n"
    if not doc:
        return head + "{}\n"
    return head + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
