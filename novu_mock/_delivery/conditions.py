"""Step conditions as JSON Logic, compiled once.

The evaluator is datalogic-py: a maintained JSON Logic engine (Rust core, typed stubs) that
follows json-logic-js semantics (what Novu evaluates conditions with), compiles a rule once and
evaluates it in about a microsecond, and reports malformed rules with a JSON Pointer, which the
fixture validator turns into a path.
"""

from __future__ import annotations

import json
from typing import Any

import datalogic_py

_engine = datalogic_py.Engine()
# Bounded, as the template cache: it outlives environments on a long-running server.
_CACHE_SIZE = 4096
_cache: dict[str, Any] = {}


class Condition:
    """A compiled rule; `holds(context)` is json-logic-js truthiness of its result."""

    __slots__ = ("_online", "_rule", "source")

    def __init__(self, source: Any, text: str = "") -> None:
        self.source = source
        self._rule = _engine.compile(source)
        # Novu evaluates step conditions with `subscriber.isOnline ?? false`
        # (construct-framework-workflow's processSkipOption).
        self._online = "subscriber.isOnline" in text

    def holds(self, context: dict[str, Any]) -> bool:
        if self._online:
            subscriber = context.get("subscriber")
            if isinstance(subscriber, dict) and subscriber.get("isOnline") is None:
                context = {**context, "subscriber": {**subscriber, "isOnline": False}}
        try:
            result = self._rule.evaluate(context)
        except datalogic_py.DataLogicError:
            return False  # Novu logs a failed evaluation and treats the condition as not met
        return _truthy(result)


def _truthy(value: Any) -> bool:
    # json-logic-js: an empty array is falsy, as are 0, "", null and false.
    if isinstance(value, list):
        return len(value) > 0
    return bool(value)


def compile_condition(source: Any) -> Condition:
    key = json.dumps(source, sort_keys=True, default=str)
    found = _cache.get(key)
    if found is None:
        if len(_cache) >= _CACHE_SIZE:
            del _cache[next(iter(_cache))]  # the oldest compiled rule goes first
        found = _cache[key] = Condition(source, key)
    return found


def condition_problems(source: Any) -> list[str]:
    """Each problem of a JSON Logic rule as `<pointer>: <message>` (pointer may be empty)."""
    if not isinstance(source, (dict, bool)):
        return [f": expected a JSON Logic rule (a mapping); got {type(source).__name__}"]
    try:
        diagnostics = _engine.check(source)
    except datalogic_py.DataLogicError as exc:
        return [f": expected a JSON Logic rule; {exc}"]
    out = []
    for diagnostic in diagnostics:
        if diagnostic["severity"] == "error":
            out.append(f"{diagnostic['pointer']}: {diagnostic['message']}")
    return out
