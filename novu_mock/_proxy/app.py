"""The proxy: each Novu call forwarded to the upstream and answered with its answer, the same call
run on the engine in a shadow environment, and the two answers compared (DESIGN section 11).

`/_mock/drift` is the proxy's own; every other `/_mock` path is the shadow engine's (dashboard,
journals, state, reset), as on `novu-mock serve`.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote, unquote

import httpx
from starlette.types import Receive, Scope, Send

from .._core.engine import Engine
from .._core.http import Call, Reply
from .._core.routes import normalise
from .._fixtures import load
from .._model.clock import iso_utc
from .._transports.asgi import call_headers, create_app
from . import DEFAULT_TIMEOUT
from .drift import DriftLog, compare
from .forward import Answer, Upstream, UpstreamFailure
from .recording import Recorder, environment_mask, exchange_line, key_of, parsed_body, scrub

ALIAS_LIMIT = 10_000
#: The shadow keeps the newest records like `serve` does by default (a proxy runs for long).
SHADOW_JOURNAL_LIMIT = 100_000
_log = logging.getLogger("novu_mock")


def shadow_engine(fixtures: Iterable[Any]) -> Engine:
    """An engine that takes any key (the upstream decides who may call), one environment per key
    seeded from `fixtures`; their `apiKeys` are the upstream's business and are left out."""
    documents = [{k: v for k, v in f.document.items() if k != "apiKeys"} for f in load(fixtures)]
    return Engine(documents, journal_limit=SHADOW_JOURNAL_LIMIT)


class _Aliases:
    """Per key, the upstream's ids (generated transactionIds, `_id`s) and the shadow's ids for
    the same thing, so that a call naming an upstream id in its path reaches the shadow's."""

    def __init__(self) -> None:
        self._by_key: dict[str | None, OrderedDict[str, str]] = {}

    def learn(self, key: str | None, pairs: list[tuple[str, str]]) -> None:
        if not pairs:
            return
        known = self._by_key.setdefault(key, OrderedDict())
        for upstream, mock in pairs:
            known[upstream] = mock
            known.move_to_end(upstream)
        while len(known) > ALIAS_LIMIT:
            known.popitem(last=False)

    def rewrite(self, key: str | None, call: Call) -> Call:
        known = self._by_key.get(key)
        if not known:
            return call
        parts = call.path.split("/")
        changed = False
        for index, part in enumerate(parts):
            mock = known.get(unquote(part))
            if mock is not None:
                parts[index] = quote(mock, safe="")
                changed = True
        if not changed:
            return call
        return Call(call.method, "/".join(parts), call.query, call.headers, call.body)


def _error_reply(status: int, message: str, path: str) -> Reply:
    body = {
        "statusCode": status,
        "timestamp": iso_utc(time.time()),
        "path": path,
        "message": message,
        "error": "Bad Gateway",
    }
    return Reply.json(status, body)


class Proxy:
    """Forwarding, shadow run, drift and recording for one upstream."""

    def __init__(
        self,
        upstream: Upstream,
        shadow: Engine,
        recorder: Recorder | None = None,
        drift: DriftLog | None = None,
    ) -> None:
        self.upstream = upstream
        self.shadow = shadow
        self.recorder = recorder
        self.drift = drift or DriftLog()
        self._aliases = _Aliases()

    async def handle(self, call: Call) -> Reply:
        """The upstream's answer to `call` (a 502 in Novu's error shape if there is none).

        Nothing that happens after the upstream answered (the shadow run, the comparison, the
        recording) can change or break that answer: a failure there is logged and skipped.
        """
        received = iso_utc(time.time())
        key = key_of(call.headers)
        started = time.perf_counter()
        try:
            answer = await self.upstream.send(call)
        except UpstreamFailure as exc:
            upstream_ms = (time.perf_counter() - started) * 1000.0
            self.drift.count(None)
            self._guarded(call, self._record_failure, call, key, received, upstream_ms, str(exc))
            return _error_reply(502, f"novu-mock proxy: {exc}", call.url)
        upstream_ms = (time.perf_counter() - started) * 1000.0
        self._guarded(call, self._shadow, call, key, received, answer, upstream_ms)
        return answer.reply()

    def _guarded(self, call: Call, step: Callable[..., None], *args: Any) -> None:
        try:
            step(*args)
        except Exception:
            # The path and method only: never the headers (they hold the key).
            _log.exception(
                "novu-mock proxy: shadow run or recording of %s %s failed; the caller got "
                "the upstream's answer",
                call.method.upper(),
                call.path,
            )

    def _shadow(
        self, call: Call, key: str | None, received: str, answer: Answer, upstream_ms: float
    ) -> None:
        """Run `call` on the shadow, keep the drift, record the exchange."""
        shadow_started = time.perf_counter()
        mock = self.shadow.handle(self._aliases.rewrite(key, call))
        shadow_ms = (time.perf_counter() - shadow_started) * 1000.0
        mock_body = mock.payload if mock.payload is not None else parsed_body(mock.body)
        # A body the proxy could not read (an unknown encoding) is compared by status and
        # headers only.
        readable = answer.body is not None or not answer.raw
        differences, ids = compare(
            answer.status,
            answer.headers,
            answer.body,
            mock.status,
            mock.headers,
            mock_body if readable else None,
        )
        self._aliases.learn(key, ids)
        environment = environment_mask(self.shadow, call.headers)
        entry: dict[str, Any] | None = None
        if differences:
            entry = scrub(
                {
                    "method": call.method.upper(),
                    "path": call.path,
                    "upstreamStatus": answer.status,
                    "mockStatus": mock.status,
                    "differences": differences,
                    "environment": environment,
                    "receivedAt": received,
                },
                key,
            )
        self.drift.count(entry)
        if self.recorder is not None:
            self.recorder.write(
                exchange_line(
                    call,
                    self.shadow,
                    environment=environment,
                    status=mock.status,
                    response=mock_body,
                    received_at=received,
                    duration_ms=shadow_ms,
                    upstream_status=answer.status,
                    upstream_headers=answer.headers,
                    upstream_body=answer.body,
                    upstream_ms=upstream_ms,
                )
            )

    def _record_failure(
        self, call: Call, key: str | None, received: str, upstream_ms: float, error: str
    ) -> None:
        if self.recorder is None:
            return
        self.recorder.write(
            exchange_line(
                call,
                self.shadow,
                environment=environment_mask(self.shadow, call.headers),
                status=None,
                response=None,
                received_at=received,
                duration_ms=0.0,
                upstream_status=None,
                upstream_headers=[],
                upstream_body=None,
                upstream_ms=upstream_ms,
                upstream_error=error,
            )
        )

    def drift_reply(self, call: Call) -> Reply:
        """GET /_mock/drift (with a key: that key's entries only); DELETE empties it."""
        method = call.method.upper()
        if method == "DELETE":
            self.drift.clear()
            return Reply.empty(204)
        if method != "GET":
            return _not_found(call)
        environment = environment_mask(self.shadow, call.headers)
        return Reply.json(200, {"data": self.drift.select(environment)})


def _not_found(call: Call) -> Reply:
    body = {
        "statusCode": 404,
        "timestamp": iso_utc(time.time()),
        "path": call.url,
        "message": f"Cannot {call.method.upper()} {call.url}",
        "error": "Not Found",
    }
    return Reply.json(404, body)


async def _read_body(receive: Receive) -> bytes | None:
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _send(send: Send, reply: Reply, add_length: bool) -> None:
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in reply.headers]
    if add_length and reply.status != 204:
        headers.append((b"content-length", str(len(reply.body)).encode()))
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    await send({"type": "http.response.body", "body": reply.body})


class ProxyApp:
    """The proxy as an ASGI app."""

    def __init__(self, proxy: Proxy) -> None:
        self.proxy = proxy
        self.admin = create_app(proxy.shadow)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        raw_path = scope.get("raw_path")
        path = raw_path.decode("latin-1") if raw_path else quote(scope["path"])
        plain = normalise(path)
        if plain == "/_mock" or (plain.startswith("/_mock/") and plain != "/_mock/drift"):
            await self.admin(scope, receive, send)
            return
        body = await _read_body(receive)
        if body is None:
            return
        call = Call(
            method=scope["method"],
            path=path,
            query=scope.get("query_string", b"").decode("latin-1"),
            headers=call_headers(scope["headers"]),
            body=body,
        )
        if plain == "/_mock/drift":
            await _send(send, self.proxy.drift_reply(call), add_length=True)
            return
        reply = await self.proxy.handle(call)
        # A forwarded answer carries its own length; a 502 of ours gets one here.
        await _send(send, reply, add_length=reply.header("content-length") is None)


def build(
    upstream_url: str,
    fixtures: Iterable[Any],
    *,
    record: str | None = None,
    timeout: float | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Proxy:
    """A Proxy for `upstream_url` with a shadow engine seeded from `fixtures`."""
    upstream = Upstream(upstream_url, timeout or DEFAULT_TIMEOUT, transport)
    return Proxy(upstream, shadow_engine(fixtures), Recorder(record) if record else None)
