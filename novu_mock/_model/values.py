"""Small value helpers shared by every layer: ids, masked keys, short reprs."""

from __future__ import annotations

import copy
import os
from typing import Any

_ATOMS = frozenset((str, int, float, bool, type(None)))


def object_id() -> str:
    """A random 24-hex-digit id, shaped like MongoDB's ObjectId."""
    return os.urandom(12).hex()


def mask_key(key: str) -> str:
    """`****` and the key's last four characters (none for a key shorter than 12); the engine
    makes masks unique (_model/masks.py)."""
    from .masks import base_mask

    return base_mask(key)


def identifier_of(value: Any, key: str) -> Any:
    """`value[key]` of an object (`{"identifier": ...}`, `{"subscriberId": ...}`), else the
    value itself (a tenant or actor sent as a plain string)."""
    return value.get(key) if isinstance(value, dict) else value


def short(value: Any, limit: int = 80) -> str:
    """`repr(value)`, cut to `limit` characters with `...`."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def json_copy(value: Any) -> Any:
    """A deep copy of JSON-shaped data (dicts, lists, atoms), several times faster than
    `copy.deepcopy`, which remembers every object it met; anything else goes to deepcopy."""
    kind = type(value)
    if kind is dict:
        return {k: json_copy(v) for k, v in value.items()}
    if kind is list:
        return [json_copy(v) for v in value]
    if kind in _ATOMS:
        return value
    return copy.deepcopy(value)
