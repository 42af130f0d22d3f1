"""The Starlette adapter: an ASGI request in, the engine's reply out, nothing else."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.types import Receive, Scope, Send

from .._core.engine import Engine
from .._core.http import Call, Reply, join_headers
from .._core.limits import EXCERPT, body_limit
from .._core.routes import normalise

RequestLog = Callable[[Call, Reply, float], None]
_log = logging.getLogger("novu_mock")


def call_headers(pairs: list[tuple[bytes, bytes]]) -> dict[str, str]:
    """Lower-case header names; repeated headers joined with `, ` as Node does."""
    return join_headers((n.decode("latin-1"), v.decode("latin-1")) for n, v in pairs)


def raw_headers(reply: Reply) -> list[tuple[bytes, bytes]]:
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in reply.headers]
    if reply.status != 204:
        headers.append((b"content-length", str(len(reply.body)).encode()))
    return headers


class _Endpoint:
    """Every method and path goes to the engine (an ASGI app, so Starlette allows all methods)."""

    def __init__(self, engine: Engine, log: RequestLog | None = None) -> None:
        self.engine = engine
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw_path = scope.get("raw_path")
        path = raw_path.decode("latin-1") if raw_path else quote(scope["path"])
        headers: dict[str, str] = scope.get(HEADERS) or call_headers(scope["headers"])
        length = headers.get("content-length", "")
        declared = int(length) if length.isdigit() else None
        read = await read_body(receive, body_limit(normalise(path)), declared)
        if read is None:
            return
        body, size = read
        call = Call(
            method=scope["method"],
            path=path,
            query=scope.get("query_string", b"").decode("latin-1"),
            headers=headers,
            body=body,
            size=size,
        )
        started = time.perf_counter()
        reply = self.engine.handle(call)
        if self.log is not None:
            self.log(call, reply, (time.perf_counter() - started) * 1000.0)
        elif reply.warning:
            _log.warning("%s", reply.warning)
        holds: Holds | None = scope.get(HOLDS)
        if reply.delay and not await hold(holds, reply.delay):
            _abort(receive)  # the server is stopping: end the held call at once
            return
        if reply.connection:
            await lose_connection(reply.connection, receive, holds)
            return
        await send(
            {"type": "http.response.start", "status": reply.status, "headers": raw_headers(reply)}
        )
        await send({"type": "http.response.body", "body": reply.body})


async def read_body(
    receive: Receive, limit: int, declared: int | None = None
) -> tuple[bytes, int | None] | None:
    """The request body, streamed: all of it, `(body, None)`, up to `limit` bytes; past the
    limit (or when the Content-Length `declared` is past it) only its first EXCERPT bytes are
    kept while the rest is read and dropped, `(excerpt, size)`. None when the client left."""
    chunks: list[bytes] = []
    kept = size = 0
    over = declared is not None and declared > limit
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk: bytes = message.get("body", b"")
        more = message.get("more_body", False)
        size += len(chunk)
        if not over and size > limit:
            over = True
            chunks = [b"".join(chunks)[:EXCERPT]]
            kept = len(chunks[0])
        if kept < (EXCERPT if over else limit + 1):
            piece = chunk[: EXCERPT - kept] if over else chunk
            chunks.append(piece)
            kept += len(piece)
    body = b"".join(chunks)
    return (body, max(size, declared or 0)) if over else (body, None)


STALL_LIMIT = 60.0  # seconds a "timeout" fault holds a connection whose client never gives up


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


HOLDS = "novu_mock.holds"  # the scope key of the serving run's Holds (live servers only)
HEADERS = "novu_mock.headers"  # the call's headers as the server's guard read them (one parse)


class Holds:
    """Calls held by a fault (latency, `connection: timeout`) in one serving run; `release()`
    (from the server's event loop, when it stops) ends them all at once."""

    def __init__(self) -> None:
        self._stopping: asyncio.Event | None = None
        self.released = False

    def event(self) -> asyncio.Event:
        if self._stopping is None:
            self._stopping = asyncio.Event()
            if self.released:
                self._stopping.set()
        return self._stopping

    def release(self) -> None:
        self.released = True
        if self._stopping is not None:
            self._stopping.set()


async def hold(holds: Holds | None, seconds: float) -> bool:
    """Wait `seconds`; False when the server stops first."""
    if holds is None:
        await asyncio.sleep(seconds)
        return True
    try:
        await asyncio.wait_for(holds.event().wait(), seconds)
    except asyncio.TimeoutError:
        return True
    return False


def _abort(receive: Receive) -> bool:
    """Close the call's connection without a response; False when there is none to close."""
    # uvicorn's receive is a method of the connection's request cycle, which holds the transport.
    transport = getattr(getattr(receive, "__self__", None), "transport", None)
    if transport is None:
        return False
    transport.abort()
    return True


async def lose_connection(kind: str, receive: Receive, holds: Holds | None = None) -> None:
    """A connection fault: `drop` closes it without a response; `timeout` answers nothing until
    the client gives up (at most STALL_LIMIT seconds, or until the server stops, then drops)."""
    if kind == "timeout":
        waits: list[asyncio.Future[Any]] = [asyncio.ensure_future(_disconnected(receive))]
        if holds is not None:
            waits.append(asyncio.ensure_future(holds.event().wait()))
        try:
            done, _ = await asyncio.wait(waits, timeout=STALL_LIMIT, return_when="FIRST_COMPLETED")
        finally:
            for waiting in waits:
                waiting.cancel()
        if waits[0] in done:
            return
    if not _abort(receive):
        raise ConnectionAbortedError("novu-mock: connection dropped by an injected fault")
    if holds is None or not holds.released:
        await _disconnected(receive)


def create_app(engine: Engine, log: RequestLog | None = None) -> Starlette:
    """An ASGI app that answers every path through `engine`; `log` sees every answer (the
    server's access log)."""
    # The router's fallback, not a `/{path:path}` route: that pattern stops at a newline
    # (`%0A` in a transactionId), and Starlette would answer a plain-text 404 itself.
    app = Starlette()
    app.router.default = _Endpoint(engine, log)
    app.state.engine = engine
    return app
