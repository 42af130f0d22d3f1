"""The request as a handler sees it: the call, its route parameters and its parsed body."""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Mapping, Sequence
from typing import Any, Protocol
from urllib.parse import parse_qsl

import orjson

from .._model.clock import Clock
from .._model.environment import Environment
from .._model.limits import MAX_DEPTH, MAX_EVENT_DEPTH, deeper_than
from .._model.masks import Masks
from .._model.records import RequestRecord, TriggerRecord
from .._model.scheduler import Timeline
from .errors import NovuError
from .http import Call

_JSON_TYPES = ("application/json", "application/merge-patch+json")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _finite(text: str) -> float | None:
    # JSON.parse reads 1e400 as Infinity, which Novu stores and answers as null.
    value = float(text)
    return value if math.isfinite(value) else None


# One decoder for every call: json.loads with options builds a decoder (and its scanner) per call.
_decoder = json.JSONDecoder(parse_constant=_reject_constant, parse_float=_finite)

# Every digit as "0": a body with 19 digits in a row may hold an integer past 64 bits, which
# orjson would read as a float (json keeps it exact).
_DIGITS_AS_ZERO = bytes.maketrans(b"0123456789", b"0000000000")
_LONG_NUMBER = b"0" * 19


def parse_json(raw: bytes) -> Any:
    """JSON as body-parser reads it; ValueError with a position for anything else.

    orjson first (about 3 times faster on a bulk body); it gives the same values as `json`
    wherever it succeeds, except integers past 64 bits (guarded above). Whatever it refuses
    (lone surrogates, 1e400, NaN, any error: `json` words them differently) goes to `json`,
    so the values, and the messages of the errors, are `json`'s."""
    if raw.translate(_DIGITS_AS_ZERO).find(_LONG_NUMBER) < 0:
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass
    return _json_loads(raw)


def _json_loads(raw: bytes) -> Any:
    """The reference: `json` as body-parser reads JSON (and the one source of error messages)."""
    text = raw.decode("utf-8")
    if text.startswith("\ufeff"):  # as json.loads says it
        raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
    return _decoder.decode(text)


def _too_deep(limit: int) -> NovuError:
    why = " (MongoDB's limit)" if limit == MAX_DEPTH else ""
    return NovuError(400, f"Invalid JSON body: nested deeper than {limit} levels{why}")


class Host(Protocol):
    """What the admin endpoints and the dashboard may ask of the engine that runs them (the
    engine's explicit interface to them; Novu's handlers need only their own environment)."""

    masks: Masks  # keys are shown as these masks only (DESIGN section 6)

    def reset(self, key: str | None = None) -> None: ...

    def add_fixtures(self, doc: Mapping[str, Any], key: str | None = None) -> dict[str, int]: ...

    def trigger_records(self, key: str | None = None, **filters: str) -> list[dict[str, Any]]: ...

    def request_records(self, key: str | None = None) -> list[dict[str, Any]]: ...

    def state(self, key: str | None = None) -> dict[str, Any]: ...

    def arm_faults(
        self, specs: Sequence[Mapping[str, Any]], key: str | None = None
    ) -> list[dict[str, Any]]: ...

    def armed_faults(self, key: str | None = None) -> list[dict[str, Any]]: ...

    def clear_faults(self, key: str | None = None) -> None: ...

    def trigger_journal(self, key: str | None = None) -> Sequence[TriggerRecord]: ...

    def request_journal(self, key: str | None = None) -> Sequence[RequestRecord]: ...

    def journal_summary(self, key: str | None = None) -> dict[str, int]: ...

    def environment_names(self, key: str | None = None) -> list[str]: ...

    def warnings(self, key: str | None = None) -> list[dict[str, Any]]: ...

    # Delivery (DESIGN 9): the environments with their queued runs done, and the lock to hold
    # while reading them.
    def delivered(self, key: str | None = None) -> list[Environment]: ...

    def locked(self) -> threading.RLock: ...

    # Delivery (DESIGN 9) and time (DESIGN 10): reads under the lock, the clock, pending work.
    clock: Clock
    journal_limit: int | None

    @property
    def timeline(self) -> Timeline: ...

    @property
    def lock(self) -> Any: ...

    @property
    def environments(self) -> Mapping[str, Environment]: ...


class Request:
    """One call in flight: route `params`, the caller's environment (None for admin calls
    without a key) and the request's moment (`now`, and `stamp` as ISO text)."""

    __slots__ = ("_body", "_parsed", "call", "engine", "env", "key", "now", "params", "stamp")

    def __init__(
        self,
        engine: Host,
        call: Call,
        params: dict[str, str],
        now: float,
        stamp: str,
    ) -> None:
        self.engine = engine
        self.call = call
        self.params = params
        self.now = now
        self.stamp = stamp
        self.env: Environment | None = None
        self.key: str | None = None
        self._parsed = False
        self._body: Any = None

    def raw_json(self) -> Any:
        """The body parsed as JSON (None when empty); NovuError 400/415 when it cannot be."""
        if self._parsed:
            return self._body
        body = self.call.body
        if not body.strip():
            value: Any = None
        else:
            ctype = self.call.headers.get("content-type", "")
            media = ctype.split(";", 1)[0].strip().lower()
            if media not in _JSON_TYPES and not media.endswith("+json"):
                raise NovuError(
                    415,
                    f"Unsupported Media Type: send the body as JSON with "
                    f"Content-Type: application/json (got {json.dumps(ctype or None)})",
                )
            try:
                value = parse_json(body)
            except UnicodeDecodeError:
                raise NovuError(400, "Invalid JSON body: the body is not valid UTF-8") from None
            except RecursionError:
                raise _too_deep(self.depth_limit()) from None
            except ValueError as exc:
                raise NovuError(400, f"Invalid JSON body: {exc}") from None
            limit = self.depth_limit()
            # Cheap first: a body with few brackets cannot nest deeply.
            if body.count(b"{") + body.count(b"[") > limit and deeper_than(value, limit):
                raise _too_deep(limit)
        self._body, self._parsed = value, True
        return value

    def depth_limit(self) -> int:
        """How deep this call's body may nest (README "Deep data"): Novu stores entities in
        MongoDB (100 levels at most) but queues trigger events first (accepted deeper)."""
        return MAX_EVENT_DEPTH if "/v1/events/" in self.call.path else MAX_DEPTH

    def json_object(self) -> dict[str, Any]:
        """The body as a JSON object (`{}` when empty), as Novu's DTOs need it."""
        value = self.raw_json()
        if value is None:
            return {}
        if not isinstance(value, dict):
            kind = "an array" if isinstance(value, list) else f"a {type(value).__name__}"
            raise NovuError(400, f"Invalid JSON body: expected a JSON object, got {kind}")
        return value

    def query(self) -> dict[str, str]:
        """Query parameters (the last value wins when a name repeats)."""
        return dict(parse_qsl(self.call.query, keep_blank_values=True))

    def environment(self) -> Environment:
        assert self.env is not None, "route requires an API key"
        return self.env
