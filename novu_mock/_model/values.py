"""Small value helpers shared by every layer: ids, masked keys, short reprs."""

from __future__ import annotations

import os
from typing import Any


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
