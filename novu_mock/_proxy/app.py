"""The proxy: each Novu call forwarded to the upstream and answered with its answer, the same call
run on the engine in a shadow environment, and the two answers compared (DESIGN section 11).

`/_mock/drift` is the proxy's own; every other `/_mock` path is the shadow engine's (dashboard,
journals, state, reset), as on `novu-mock serve`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import quote, quote_plus, unquote, unquote_plus

from starlette.types import Receive, Scope, Send

from .._core.engine import Engine
from .._core.http import Call, Reply, dump_json
from .._core.routes import normalise
from .._fixtures import load
from .._model.clock import iso_utc
from .._transports.asgi import call_headers, create_app
from . import DEFAULT_TIMEOUT
from .drift import DriftLog, compare
from .forward import Answer, Upstream, UpstreamFailure
from .recording import Recorder, environment_mask, exchange_line, key_of, parsed_body, scrub

#: Ids kept per key (the oldest go first): a long run through one key cannot grow without end.
ID_LIMIT = 10_000
#: The shadow keeps the newest records like `serve` does by default (a proxy runs for long).
SHADOW_JOURNAL_LIMIT = 100_000
#: Calls answered but not yet shadowed beyond which a caller waits for the shadow to catch up.
MAX_PENDING = 1_000
_log = logging.getLogger("novu_mock")


def shadow_engine(fixtures: Iterable[Any]) -> Engine:
    """An engine that takes any key (the upstream decides who may call), one environment per key
    seeded from `fixtures`; their `apiKeys` are the upstream's business and are left out."""
    documents = [{k: v for k, v in f.document.items() if k != "apiKeys"} for f in load(fixtures)]
    return Engine(documents, journal_limit=SHADOW_JOURNAL_LIMIT)


class IdMap:
    """Per key, the upstream's ids (generated transactionIds, `_id`s of subscribers, topics,
    messages, notifications, integrations, workflows...) and the shadow's ids for the same thing,
    learnt by lining the two answers to each call up (drift.compare), so that a later call naming
    an upstream id, in its path, its query string or its JSON body, reaches the shadow's. The
    pairs live in the key's shadow environment (`Environment.upstream_ids`): a reset or an
    eviction of that environment forgets them."""

    def __init__(self, shadow: Engine, limit: int = ID_LIMIT) -> None:
        self.shadow = shadow
        self.limit = limit

    def _known(self, key: str | None) -> OrderedDict[str, str] | None:
        with self.shadow.lock:
            env = self.shadow.environments.get(key) if key is not None else None
        return env.upstream_ids if env is not None else None

    def learn(self, key: str | None, pairs: list[tuple[str, str]]) -> None:
        known = self._known(key) if pairs else None
        if known is None:
            return
        for upstream, mock in pairs:
            known[upstream] = mock
            known.move_to_end(upstream)
        while len(known) > self.limit:
            known.popitem(last=False)

    def translate(self, key: str | None, call: Call) -> Call:
        """`call` with every upstream id the map knows replaced by the shadow's."""
        known = self._known(key)
        if not known:
            return call
        path = _translate_path(call.path, known)
        query = _translate_query(call.query, known) if call.query else call.query
        body = _translate_body(call.body, known) if call.body else call.body
        if path is call.path and query is call.query and body is call.body:
            return call
        return Call(call.method, path, query, call.headers, body, call.size)


def _translate_path(path: str, known: Mapping[str, str]) -> str:
    parts = path.split("/")
    changed = False
    for index, part in enumerate(parts):
        mock = known.get(unquote(part))
        if mock is not None:
            parts[index] = quote(mock, safe="")
            changed = True
    return "/".join(parts) if changed else path


def _translate_query(query: str, known: Mapping[str, str]) -> str:
    """`transactionId=<id>&transactionId=<id>`, `messageId=<id>`: each value that is a known id
    (the rest of the string is kept byte for byte)."""
    parts = query.split("&")
    changed = False
    for index, part in enumerate(parts):
        name, equals, value = part.partition("=")
        if not equals:
            continue
        mock = known.get(unquote_plus(value))
        if mock is not None:
            parts[index] = f"{name}={quote_plus(mock)}"
            changed = True
    return "&".join(parts) if changed else query


def _translate_body(body: bytes, known: Mapping[str, str]) -> bytes:
    """A JSON body with every string value that is a known id replaced; any other body as it
    is (only ids the shadow generated are swapped, so the rest of the document is unchanged)."""
    if body.lstrip()[:1] not in (b"{", b"["):
        return body
    try:
        document = json.loads(body)
    except ValueError:
        return body
    changed = False

    def swap(value: Any) -> Any:
        nonlocal changed
        if isinstance(value, str):
            mock = known.get(value)
            if mock is None:
                return value
            changed = True
            return mock
        if isinstance(value, list):
            return [swap(v) for v in value]
        if isinstance(value, dict):
            return {k: swap(v) for k, v in value.items()}
        return value

    translated = swap(document)
    return dump_json(translated) if changed else body


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
        self.ids = IdMap(shadow)
        self._jobs: deque[tuple[Call, Callable[..., None], tuple[Any, ...]]] = deque()
        self._worker: asyncio.Task[None] | None = None

    async def handle(self, call: Call) -> Reply:
        """The upstream's answer to `call` (a 502 in Novu's error shape if there is none).

        The caller gets it as soon as the upstream answered: the shadow run, the comparison and
        the recording follow off the caller's path, one call at a time in the order the
        upstream answered (so the ids a call taught reach the next call's shadow run), and
        whatever reads their results (`/_mock/drift`, the rest of `/_mock`, `DriftLog.select`,
        the summary on exit) first waits for them (`settled`). Nothing there can change or
        break the caller's answer: a failure is logged and skipped.
        """
        received = time.time()  # as text later, off the caller's path
        key = key_of(call.headers)
        started = time.perf_counter()
        try:
            answer = await self.upstream.send(call)
        except UpstreamFailure as exc:
            upstream_ms = (time.perf_counter() - started) * 1000.0
            self._defer(call, self._record_failure, call, key, received, upstream_ms, str(exc))
            return _error_reply(502, f"novu-mock proxy: {exc}", call.url)
        upstream_ms = (time.perf_counter() - started) * 1000.0
        self._defer(call, self._shadow, call, key, received, answer, upstream_ms)
        if len(self._jobs) > MAX_PENDING:
            await self.settled()  # a shadow that cannot keep up slows the callers down
        return answer.reply()

    def _defer(self, call: Call, step: Callable[..., None], *args: Any) -> None:
        self.drift.expect()
        self._jobs.append((call, step, args))
        if self._worker is None:
            self._worker = asyncio.get_running_loop().create_task(self._work())

    async def _work(self) -> None:
        """Runs the deferred steps in order; the event loop serves callers between two."""
        try:
            while self._jobs:
                call, step, args = self._jobs.popleft()
                try:
                    self._guarded(call, step, *args)
                finally:
                    self.drift.done()
                await asyncio.sleep(0)
        finally:
            self._worker = None

    async def settled(self) -> None:
        """Returns once every call answered so far has been shadowed, compared and recorded."""
        while self._worker is not None:
            await asyncio.shield(self._worker)

    def _guarded(self, call: Call, step: Callable[..., None], *args: Any) -> None:
        try:
            step(*args)
        except Exception:
            # The path and method only: never the headers (they hold the key).
            _log.exception(
                "novu-mock proxy: shadow run or recording of %s %s failed; the caller got "
                "the upstream's answer",
                call.method.upper(),
                scrub(call.path, key_of(call.headers)),  # a key pasted into a path, even
            )

    def _shadow(
        self, call: Call, key: str | None, at: float, answer: Answer, upstream_ms: float
    ) -> None:
        """Run `call` on the shadow, keep the drift, record the exchange."""
        received = iso_utc(at)
        shadow_started = time.perf_counter()
        mock = self.shadow.handle(self.ids.translate(key, call))
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
        self.ids.learn(key, ids)
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
        self, call: Call, key: str | None, at: float, upstream_ms: float, error: str
    ) -> None:
        received = iso_utc(at)
        self.drift.count(None)
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
        return Reply.json(200, {"data": self.drift.select(environment, wait=False)})


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
            await self.proxy.settled()  # the shadow's journals and state as of the last answer
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
            await self.proxy.settled()
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
) -> Proxy:
    """A Proxy for `upstream_url` with a shadow engine seeded from `fixtures`."""
    upstream = Upstream(upstream_url, timeout or DEFAULT_TIMEOUT)
    return Proxy(upstream, shadow_engine(fixtures), Recorder(record) if record else None)
