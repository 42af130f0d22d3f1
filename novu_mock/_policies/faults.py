"""Injected faults: error answers, latency and lost connections, on demand (README "Fault
injection"). The engine decides; the adapters sleep, drop or stall."""

from __future__ import annotations

import copy
import fnmatch
import json
import random
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from .._core.errors import RATE_LIMITED, NovuError, error_reply, internal_error
from .._core.http import Call, Reply
from .._core.request import Request

if TYPE_CHECKING:
    from .._model.environment import Environment


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


def spec_key(spec: Mapping[str, Any]) -> str:
    """A fault or forced outcome as canonical JSON: equal specs count as one."""
    return json.dumps(spec, sort_keys=True, default=str)


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
        return internal_error(path, stamp, message)
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
    """Which faults each environment has armed.

    An environment's armed rules live on it (`Environment.faults`), armed on first use from the
    fixtures' faults and the faults posted without a key, each rule with its own counters.
    Faults posted at run time without a key (`runtime`) reach every environment until a reset
    without a key. Callers hold the engine's lock.
    """

    def __init__(self) -> None:
        self._runtime: list[dict[str, Any]] = []
        # How often each fault (by its spec, as canonical JSON) fired: unused-fault reports.
        self.fired: dict[str, int] = {}

    def rules(self, env: Environment, documents: Iterable[Mapping[str, Any]]) -> list[Rule]:
        """The environment's armed rules, armed now if it has none yet."""
        if env.faults is None:
            specs = [f for doc in documents for f in doc.get("faults") or []]
            env.faults = [Rule(s) for s in (*specs, *self._runtime)]
        rules: list[Rule] = env.faults
        return rules

    def decide(self, req: Request, path: str, documents: Iterable[Mapping[str, Any]]) -> Decision:
        """The first armed fault that matches and fires, or PASS."""
        env = req.environment()
        key = req.key or ""
        for rule in self.rules(env, documents):
            if rule.matches(req.call, path, key) and rule.fire():
                name = spec_key(rule.spec)
                self.fired[name] = self.fired.get(name, 0) + 1
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
        env: Environment | None,
        environments: Iterable[Environment],
        documents: Iterable[Mapping[str, Any]],
    ) -> list[dict[str, Any]]:
        """Arm faults for one environment or, without, for every environment."""
        added = [Rule(s) for s in specs]
        if env is not None:
            self.rules(env, documents).extend(added)
        else:
            self._runtime.extend(r.spec for r in added)
            for each in environments:
                if each.faults is not None:
                    each.faults.extend(Rule(r.spec) for r in added)
        return [r.to_dict() for r in added]

    def merge(
        self,
        doc: Mapping[str, Any],
        env: Environment | None,
        environments: Iterable[Environment],
        documents: Iterable[Mapping[str, Any]],
    ) -> None:
        """A fixture document was added at run time: arm its faults (`documents` already holds
        it when `env` is None)."""
        specs = doc.get("faults") or []
        if env is not None:
            self.rules(env, documents).extend(Rule(s) for s in specs)
        else:
            for each in environments:
                if each.faults is not None:
                    each.faults.extend(Rule(s) for s in specs)

    def listing(
        self, env: Environment | None, documents: Iterable[Mapping[str, Any]]
    ) -> list[dict[str, Any]]:
        if env is not None:
            return [r.to_dict() for r in self.rules(env, documents)]
        return [
            {"id": "", **copy.deepcopy(s), "remaining": s.get("times")}
            for s in (*(f for d in documents for f in d.get("faults") or []), *self._runtime)
        ]

    def clear(self, env: Environment | None, environments: Iterable[Environment]) -> None:
        """Disarm every fault of one environment, or of all (a reset arms fixture faults again)."""
        if env is not None:
            env.faults = []
            return
        self._runtime.clear()
        for each in environments:
            if each.faults is not None:
                each.faults.clear()

    def reset(self) -> None:
        """A reset without a key: faults posted without a key are gone."""
        self._runtime.clear()
        self.fired.clear()
