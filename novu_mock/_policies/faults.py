"""Injected faults: error answers, latency and lost connections, on demand (README "Fault
injection"). The engine decides; the adapters sleep, drop or stall."""

from __future__ import annotations

import copy
import fnmatch
import json
import random
import threading
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from .._core.errors import NovuError, error_reply, field_problem
from .._core.http import Call, Reply
from .._core.request import Request
from .._model.fixtures import FixtureError, fault_problems

if TYPE_CHECKING:
    from .._core.engine import Engine

INTERNAL = "Internal server error, contact support and provide them with the errorId"
RATE_LIMITED = "API rate limit exceeded"


def _workflow_ids(call: Call) -> set[str]:
    """The workflowIds a request names: `name` of a trigger or broadcast, of each bulk event."""
    if not call.body or b'"name"' not in call.body:
        return set()
    try:
        body = json.loads(call.body)
    except (ValueError, RecursionError):
        return set()
    if not isinstance(body, dict):
        return set()
    found = {body["name"]} if isinstance(body.get("name"), str) else set()
    events = body.get("events")
    if isinstance(events, list):
        found.update(
            e["name"] for e in events if isinstance(e, dict) and isinstance(e.get("name"), str)
        )
    return found


class Rule:
    """One armed fault: its spec (as given), how many firings remain and its own random stream."""

    __slots__ = ("_rng", "id", "remaining", "spec")

    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.spec: dict[str, Any] = copy.deepcopy(dict(spec))
        self.id = uuid.uuid4().hex[:12]
        self.remaining: int | None = self.spec.get("times")
        self._rng = random.Random(self.spec.get("seed"))

    def matches(self, call: Call, path: str, key: str) -> bool:
        when: dict[str, Any] = self.spec.get("when") or {}
        if "method" in when and when["method"].upper() != call.method.upper():
            return False
        if "path" in when and not fnmatch.fnmatchcase(path, when["path"].rstrip("/") or "/"):
            return False
        if "apiKey" in when and when["apiKey"] != key:
            return False
        return not ("workflowId" in when and when["workflowId"] not in _workflow_ids(call))

    def fire(self) -> bool:
        """Whether this matching request is hit (`probability`), counting down `times`."""
        if self.remaining == 0:
            return False
        probability = self.spec.get("probability")
        if probability is not None and self._rng.random() >= probability:
            return False
        if self.remaining is not None:
            self.remaining -= 1
        return True

    def latency(self) -> float:
        value = self.spec.get("latency", 0)
        if isinstance(value, list):
            return float(self._rng.uniform(value[0], value[1]))
        return float(value)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, **copy.deepcopy(self.spec), "remaining": self.remaining}


@dataclass(frozen=True, slots=True)
class Decision:
    """What a fault does to one request: answer in place of Novu (`reply`), or let it through
    and then delay the answer or lose the connection."""

    reply: Reply | None = None
    delay: float = 0.0
    connection: str | None = None

    def apply(self, reply: Reply) -> Reply:
        reply.delay = self.delay
        reply.connection = self.connection
        return reply


PASS = Decision()


def fault_body(status: int, path: str, stamp: str, message: str | None = None) -> Reply:
    """The Novu-shaped error of an injected status."""
    if status == 500:
        body = {
            "statusCode": 500,
            "timestamp": stamp,
            "path": path,
            "message": message or INTERNAL,
            "errorId": str(uuid.uuid4()),
        }
        return Reply.json(500, body)
    if status == 429:
        text = message or RATE_LIMITED
    else:
        try:
            text = message or HTTPStatus(status).phrase
        except ValueError:
            text = message or "Error"
    # Nest's exceptions built without a message (and the throttler's) carry no `error` field.
    return error_reply(NovuError(status, text, reason=False), path, stamp)


class Faults:
    """The armed faults of every environment.

    Fixture faults (files, and documents posted without a key) are armed anew, with their own
    counters, in each environment; faults posted at run time without a key reach every
    environment until the next reset. Environment-specific faults are tried first.
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._armed: dict[str, list[Rule]] = {}
        self._runtime: list[dict[str, Any]] = []

    def _rules(self, key: str, documents: Iterable[Mapping[str, Any]]) -> list[Rule]:
        rules = self._armed.get(key)
        if rules is None:
            specs = [f for doc in documents for f in doc.get("faults") or []]
            rules = [Rule(s) for s in (*specs, *self._runtime)]
            self._armed[key] = rules
        return rules

    def decide(self, req: Request, path: str, documents: Iterable[Mapping[str, Any]]) -> Decision:
        """The first armed fault that matches and fires, or PASS."""
        if not self._armed and not self._runtime and not any(d.get("faults") for d in documents):
            return PASS
        key = req.key or ""
        with self._lock:
            for rule in self._rules(key, documents):
                if rule.matches(req.call, path, key) and rule.fire():
                    return self._decision(rule, req)
        return PASS

    @staticmethod
    def _decision(rule: Rule, req: Request) -> Decision:
        spec = rule.spec
        delay = rule.latency()
        if "status" in spec:
            reply = fault_body(spec["status"], req.call.url, req.stamp, spec.get("message"))
            if "retryAfter" in spec:
                reply.headers.append(("Retry-After", f"{spec['retryAfter']:g}"))
            return Decision(reply=reply, delay=delay)
        connection = spec.get("connection")
        if connection and not spec.get("handled", False):
            return Decision(reply=Reply.empty(0), delay=delay, connection=connection)
        return Decision(delay=delay, connection=connection)

    def add(
        self,
        specs: Iterable[Mapping[str, Any]],
        key: str | None,
        documents: Iterable[Mapping[str, Any]],
    ) -> list[dict[str, Any]]:
        """Arm faults for one environment (`key`) or, without, for every environment."""
        with self._lock:
            added = [Rule(s) for s in specs]
            if key is not None:
                self._rules(key, documents).extend(added)
            else:
                self._runtime.extend(r.spec for r in added)
                for rules in self._armed.values():
                    rules.extend(Rule(r.spec) for r in added)
            return [r.to_dict() for r in added]

    def merge(
        self, doc: Mapping[str, Any], key: str | None, documents: Iterable[Mapping[str, Any]]
    ) -> None:
        """A fixture document was added at run time: arm its faults (documents already holds it
        when `key` is None)."""
        specs = doc.get("faults") or []
        with self._lock:
            if key is not None:
                self._rules(key, documents).extend(Rule(s) for s in specs)
            else:
                for rules in self._armed.values():
                    rules.extend(Rule(s) for s in specs)

    def listing(
        self, key: str | None, documents: Iterable[Mapping[str, Any]]
    ) -> list[dict[str, Any]]:
        with self._lock:
            if key is not None:
                return [r.to_dict() for r in self._rules(key, documents)]
            return [
                {"id": "", **copy.deepcopy(s), "remaining": s.get("times")}
                for s in (*(f for d in documents for f in d.get("faults") or []), *self._runtime)
            ]

    def clear(self, key: str | None) -> None:
        """Disarm every fault of one environment, or of all (a reset arms fixture faults again)."""
        with self._lock:
            if key is not None:
                self._armed[key] = []
            else:
                self._runtime.clear()
                for rules in self._armed.values():
                    rules.clear()

    def reset(self, key: str | None) -> None:
        with self._lock:
            if key is not None:
                self._armed.pop(key, None)
            else:
                self._runtime.clear()
                self._armed.clear()


def arm(
    engine: Engine, specs: Iterable[Mapping[str, Any]], key: str | None = None
) -> list[dict[str, Any]]:
    """Validate and arm faults from Python; FixtureError lists the problems."""
    specs = list(specs)
    problems: list[str] = []
    for i, spec in enumerate(specs):
        fault_problems(spec, f"faults[{i}]", problems)
    if problems:
        raise FixtureError(problems)
    with engine.lock:
        return engine.faults.add(specs, key, engine.documents)


# -- /_mock/faults ------------------------------------------------------------------------------


def _specs(req: Request) -> list[dict[str, Any]]:
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
        raise NovuError(422, "Validation failed", reason=False, extra={"ctx": {}, "errors": errors})
    return specs


def post_faults(req: Request) -> Reply:
    """POST /_mock/faults: arm one fault (an object) or several (an array)."""
    specs = _specs(req)
    engine = req.engine
    return Reply.json(
        201, {"data": _masked(engine, engine.faults.add(specs, req.key, engine.documents))}
    )


def get_faults(req: Request) -> Reply:
    """GET /_mock/faults: the armed faults with what remains of their `times`."""
    listing = req.engine.faults.listing(req.key, req.engine.documents)
    return Reply.json(200, {"data": _masked(req.engine, listing)})


def _masked(engine: Engine, faults: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Faults as the admin API shows them: `when.apiKey` as its mask (DESIGN section 6)."""
    for fault in faults:
        when = fault.get("when")
        if isinstance(when, dict) and isinstance(when.get("apiKey"), str):
            fault["when"] = {**when, "apiKey": engine.masks.of(when["apiKey"])}
    return faults


def delete_faults(req: Request) -> Reply:
    """DELETE /_mock/faults: disarm every fault (of the key's environment, or of all)."""
    req.engine.faults.clear(req.key)
    return Reply.empty(204)
