"""The Starlette adapter: an ASGI request in, the engine's reply out, nothing else."""

from __future__ import annotations

import asyncio
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.types import Receive, Scope, Send

from .._core.engine import Engine
from .._core.http import Call, Reply, join_headers


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

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        chunks = []
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        raw_path = scope.get("raw_path")
        call = Call(
            method=scope["method"],
            path=raw_path.decode("latin-1") if raw_path else quote(scope["path"]),
            query=scope.get("query_string", b"").decode("latin-1"),
            headers=call_headers(scope["headers"]),
            body=b"".join(chunks),
        )
        reply = self.engine.handle(call)
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if reply.connection:
            await lose_connection(reply.connection, receive)
            return
        await send(
            {"type": "http.response.start", "status": reply.status, "headers": raw_headers(reply)}
        )
        await send({"type": "http.response.body", "body": reply.body})


STALL_LIMIT = 60.0  # seconds a "timeout" fault holds a connection whose client never gives up


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def lose_connection(kind: str, receive: Receive) -> None:
    """A connection fault: `drop` closes it without a response; `timeout` answers nothing until
    the client gives up (at most STALL_LIMIT seconds, then drops)."""
    if kind == "timeout":
        try:
            await asyncio.wait_for(_disconnected(receive), STALL_LIMIT)
            return
        except asyncio.TimeoutError:
            pass
    # uvicorn's receive is a method of the connection's request cycle, which holds the transport.
    transport = getattr(getattr(receive, "__self__", None), "transport", None)
    if transport is None:
        raise ConnectionAbortedError("novu-mock: connection dropped by an injected fault")
    transport.abort()
    await _disconnected(receive)


def create_app(engine: Engine) -> Starlette:
    """An ASGI app that answers every path through `engine`."""
    # The router's fallback, not a `/{path:path}` route: that pattern stops at a newline
    # (`%0A` in a transactionId), and Starlette would answer a plain-text 404 itself.
    app = Starlette()
    app.router.default = _Endpoint(engine)
    app.state.engine = engine
    return app
