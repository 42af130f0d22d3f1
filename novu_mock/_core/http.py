"""Transport-neutral request and reply values: what every adapter hands the engine."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

JSON_CONTENT_TYPE = "application/json; charset=utf-8"

_encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)
_ascii_encoder = json.JSONEncoder(ensure_ascii=True, separators=(",", ":"), allow_nan=False)


# orjson refuses what it would write differently (subclasses, dataclasses, dates: json's
# TypeError stays json's).
_ORJSON_STRICT = (
    orjson.OPT_PASSTHROUGH_SUBCLASS
    | orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_DATETIME
)


def dump_json(value: Any, *, floats: bool = True) -> bytes:
    """Compact UTF-8 JSON, as Express `res.json` writes it.

    `floats=False` is the caller's word that `value` holds no float: then orjson writes it
    (about 10 times faster on a bulk's answer), byte for byte as below; it writes floats and NaN
    differently, and refuses the rest it would (lone surrogates, integers past 64 bits, keys
    that are not strings, deep nesting), which then go the `json` way."""
    if not floats:
        try:
            return orjson.dumps(value, option=_ORJSON_STRICT)
        except orjson.JSONEncodeError:
            pass
    text = _encoder.encode(value)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        # A lone surrogate (sent as "\ud800"): escape it, as JSON.stringify does.
        return _ascii_encoder.encode(value).encode("ascii")


def join_headers(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Header names lower-cased; a repeated header's values joined with `, ` as Node does."""
    headers: dict[str, str] = {}
    for raw_name, value in pairs:
        name = raw_name.lower()
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return headers


@dataclass(frozen=True, slots=True)
class Call:
    """One HTTP request as the engine sees it.

    `headers` keys are lower-case; `path` is the raw path (no query string) and `query` the raw
    query string without `?`. `size` is the body's length in bytes when an adapter kept only
    the start of it (a body over its limit, see limits.py); None when `body` is all of it.
    """

    method: str
    path: str
    query: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    size: int | None = None

    @property
    def body_size(self) -> int:
        return len(self.body) if self.size is None else self.size

    @property
    def url(self) -> str:
        """Path and query string, as Novu echoes it in error bodies."""
        return self.path + ("?" + self.query if self.query else "")


@dataclass(slots=True)
class Reply:
    """One HTTP answer: status, headers (in order) and body bytes.

    `payload` keeps the Python value behind a JSON body so that journals need not parse it again.
    `delay` (seconds) and `connection` (`"drop"` or `"timeout"`, answered instead of the reply)
    are injected faults that the adapters carry out (the engine never sleeps). `warning`: the
    adapter should tell the caller (in-process: raise it in the test; server: log it).
    """

    status: int
    headers: list[tuple[str, str]]
    body: bytes
    payload: Any = None
    delay: float = 0.0
    connection: str | None = None
    # Set when this answer closes a retry loop (novu_mock/_policies/retry_watch.py).
    warning: str | None = None

    @classmethod
    def json(
        cls,
        status: int,
        value: Any,
        headers: list[tuple[str, str]] | None = None,
        *,
        floats: bool = True,
    ) -> Reply:
        """A JSON answer; `floats=False`: `value` holds no float (see `dump_json`)."""
        hdrs = [("content-type", JSON_CONTENT_TYPE)]
        if headers:
            hdrs.extend(headers)
        return cls(status, hdrs, dump_json(value, floats=floats), value)

    @classmethod
    def data(cls, status: int, value: Any) -> Reply:
        """Novu's usual envelope: `{"data": value}`."""
        return cls.json(status, {"data": value})

    @classmethod
    def empty(cls, status: int, headers: list[tuple[str, str]] | None = None) -> Reply:
        return cls(status, list(headers or []), b"", None)

    def header(self, name: str) -> str | None:
        lname = name.lower()
        for key, value in self.headers:
            if key.lower() == lname:
                return value
        return None
