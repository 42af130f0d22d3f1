"""Recordings: one JSON line per exchange (`--record FILE.jsonl`), keys masked.

A line holds the RequestRecord fields of the shadow's answer (DESIGN section 6: `method`, `path`,
`query`, `headers`, `body`, `status`, `response`, `receivedAt`, `durationMs`, `environment`)
plus the upstream's `upstreamStatus`, `upstreamHeaders`, `upstreamBody` and
`upstreamDurationMs`. An upstream that did not answer leaves `upstreamStatus` null and says why
in `upstreamError`. Each line is flushed as it is written: a killed proxy loses at most the line
in flight.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any
from urllib.parse import parse_qsl

from .._core.engine import Engine, authenticate
from .._core.errors import NovuError
from .._core.http import Call
from .._model.values import mask_key

_SCHEMES = ("ApiKey", "Bearer")
#: Shorter keys are not searched for in bodies: they would match ordinary text.
MIN_SCRUBBED = 8


def key_of(headers: Mapping[str, str]) -> str | None:
    """The secret in an Authorization header, whatever its shape (`ApiKey k`, `Bearer k`, `k`)."""
    raw = headers.get("authorization", "").strip()
    if not raw:
        return None
    scheme, _, rest = raw.partition(" ")
    if scheme in _SCHEMES:
        return rest.strip() or None
    return raw


def environment_mask(engine: Engine, headers: Mapping[str, str]) -> str | None:
    """The mask of the caller's key: the name of its shadow environment when the header is one
    the engine accepts (`ApiKey <key>`), else the plain mask of the secret (DESIGN section 6);
    None without a key. Only an accepted key has (or gets) an environment."""
    secret = key_of(headers)
    if secret is None:
        return None
    try:
        key = authenticate(headers)
        masked = engine.environment(key).masked
    except NovuError:
        masked = None
    return masked if isinstance(masked, str) else mask_key(secret)


def masked_headers(headers: Mapping[str, str], engine: Engine) -> dict[str, str]:
    """The headers with the key replaced by its mask (the scheme kept when there is one)."""
    out = dict(headers)
    key = key_of(headers)
    if key is not None:
        raw = out["authorization"].strip()
        scheme = raw.partition(" ")[0]
        mask = environment_mask(engine, headers) or mask_key(key)
        out["authorization"] = f"{scheme} {mask}" if scheme in _SCHEMES else mask
    return out


def query_object(query: str) -> dict[str, Any]:
    """`a=1&a=2&b=3` as `{"a": ["1", "2"], "b": "3"}`, as RequestRecord shows it."""
    out: dict[str, Any] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        if name in out:
            previous = out[name]
            out[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            out[name] = value
    return out


def parsed_body(raw: bytes) -> Any:
    if not raw:
        return None
    text = raw.decode("utf-8", "replace")
    try:
        return json.loads(text)
    except ValueError:
        return text


def scrub(value: Any, key: str | None) -> Any:
    """`value` with every occurrence of the key replaced by `****` (an echo of the key in a body
    or a header must not reach a recording or a report)."""
    if not key or len(key) < MIN_SCRUBBED:
        return value
    if isinstance(value, str):
        return value.replace(key, "****") if key in value else value
    if isinstance(value, list):
        return [scrub(v, key) for v in value]
    if isinstance(value, dict):
        return {scrub(k, key): scrub(v, key) for k, v in value.items()}
    return value


def exchange_line(
    call: Call,
    engine: Engine,
    *,
    environment: str | None,
    status: int | None,
    response: Any,
    received_at: str,
    duration_ms: float,
    upstream_status: int | None,
    upstream_headers: list[tuple[str, str]],
    upstream_body: Any,
    upstream_ms: float,
    upstream_error: str | None = None,
) -> dict[str, Any]:
    """One recording line (a JSON object)."""
    headers: dict[str, str] = {}
    for name, value in upstream_headers:
        lname = name.lower()
        headers[lname] = f"{headers[lname]}, {value}" if lname in headers else value
    line: dict[str, Any] = {
        "method": call.method.upper(),
        "path": call.path,
        "query": query_object(call.query),
        "headers": masked_headers(call.headers, engine),
        "body": parsed_body(call.body),
        "status": status,
        "response": response,
        "receivedAt": received_at,
        "durationMs": round(duration_ms, 3),
        "environment": environment,
        "upstreamStatus": upstream_status,
        "upstreamHeaders": headers,
        "upstreamBody": upstream_body,
        "upstreamDurationMs": round(upstream_ms, 3),
    }
    if upstream_error is not None:
        line["upstreamError"] = upstream_error
    result: dict[str, Any] = scrub(line, key_of(call.headers))
    return result


class Recorder:
    """Appends exchange lines to a JSONL file, one flushed line per call."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._file: IO[str] = self.path.open("a", encoding="utf-8")
        self._lock = threading.Lock()

    def write(self, line: Mapping[str, Any]) -> None:
        text = json.dumps(line, ensure_ascii=False, separators=(",", ":"))
        with self._lock:
            self._file.write(text + "\n")
            self._file.flush()

    def close(self) -> None:
        with self._lock:
            self._file.close()
