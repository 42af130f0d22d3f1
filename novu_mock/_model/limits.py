"""Bounds every stored value respects, so no later read (a copy, a JSON answer) can fail."""

from __future__ import annotations

from typing import Any

# MongoDB keeps documents nested at most 100 levels deep, so Novu cannot store deeper data
# (its API answers 500 when Mongo refuses). The mock refuses such bodies up front, and it keeps
# every read path (deepcopy, json.dumps: both recursive) far below Python's recursion limit.
MAX_DEPTH = 100
# Triggers are different: Novu queues the event (Redis, JSON) and answers 201 before anything
# reaches MongoDB, so deep payloads are accepted. The mock accepts them up to this bound, which
# keeps every read of the journals (json.dumps recurses) far below Python's recursion limit.
MAX_EVENT_DEPTH = 512


def deeper_than(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether `value` nests objects and arrays more than `limit` levels deep (the outermost
    object or array is level 1). Iterative: deep input cannot exhaust the stack here."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def deep_path(value: Any, limit: int = MAX_DEPTH, segments: int = 3) -> str:
    """The path (`subscribers[0].data`) of the first `segments` steps towards the part of
    `value` that nests deeper than `limit`; "" when nothing does."""
    path = ""
    level = 1
    for _ in range(segments):
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for name, child in items:
            if isinstance(child, (dict, list)) and deeper_than(child, limit - level):
                path += (
                    f"[{name}]" if isinstance(value, list) else (f".{name}" if path else str(name))
                )
                value, level = child, level + 1
                break
        else:
            break
    return path
