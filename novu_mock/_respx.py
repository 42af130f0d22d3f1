"""The respx adapter: httpx requests for Novu's base URLs go to the engine, in-process."""

from __future__ import annotations

import asyncio
import contextvars
import time
from collections.abc import Awaitable, Iterable
from urllib.parse import urlsplit

import httpx
import respx

from ._engine import Engine
from ._http import Call, Reply

NOVU_BASE_URLS = ("https://api.novu.co", "https://eu.api.novu.co")


def _prefix(base_url: str) -> tuple[str, str]:
    """(`scheme://host[:port]`, path prefix without trailing slash) of a base URL."""
    parts = urlsplit(base_url.rstrip("/"))
    return f"{parts.scheme}://{parts.netloc}", parts.path.rstrip("/")


def to_call(request: httpx.Request, prefix: str = "") -> Call:
    """The engine's view of an httpx request, with the base URL's path prefix removed."""
    raw = request.url.raw_path.decode("ascii")
    path, _, query = raw.partition("?")
    if prefix and (path == prefix or path.startswith(prefix + "/")):
        path = path[len(prefix):] or "/"
    headers: dict[str, str] = {}
    for name, value in request.headers.multi_items():
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return Call(request.method, path, query, headers, request.read())


_in_async_client = contextvars.ContextVar("novu_mock_async_client", default=False)


def _outcome(reply: Reply, request: httpx.Request) -> httpx.Response:
    """The response, or the transport error httpx raises for a lost connection."""
    if reply.connection == "drop":
        message = "Server disconnected without sending a response."
        raise httpx.RemoteProtocolError(message, request=request)
    if reply.connection == "timeout":
        raise httpx.ReadTimeout("timed out (novu-mock fault)", request=request)
    return httpx.Response(reply.status, headers=reply.headers, content=reply.body)


async def _later(reply: Reply, request: httpx.Request) -> httpx.Response:
    await asyncio.sleep(reply.delay)
    return _outcome(reply, request)


def to_response(
    engine: Engine, call: Call, request: httpx.Request | None = None
) -> httpx.Response | Awaitable[httpx.Response]:
    """The engine's answer; with a latency fault, slept through (asynchronously for async
    clients, whose event loop must keep running)."""
    reply = engine.handle(call)
    request = request or httpx.Request(call.method, "http://novu-mock" + call.url)
    if reply.delay and _in_async_client.get():
        return _later(reply, request)
    if reply.delay:
        time.sleep(reply.delay)
    return _outcome(reply, request)


class _Router(respx.MockRouter):
    async def async_handler(self, request: httpx.Request) -> httpx.Response:
        token = _in_async_client.set(True)
        try:
            return await super().async_handler(request)
        finally:
            _in_async_client.reset(token)


def router(engine: Engine, base_urls: Iterable[str] = (), strict: bool = False) -> respx.MockRouter:
    """A respx router sending Novu's hosts and `base_urls` to `engine`; other hosts pass through
    unless `strict`, where they raise `respx.models.AllMockedAssertionError`."""
    mock = _Router(assert_all_called=False, assert_all_mocked=strict)
    seen: set[str] = set()
    for base in (*NOVU_BASE_URLS, *base_urls):
        if base in seen:
            continue
        seen.add(base)
        origin, prefix = _prefix(base)

        def answer(
            request: httpx.Request, prefix: str = prefix
        ) -> httpx.Response | Awaitable[httpx.Response]:
            return to_response(engine, to_call(request, prefix), request)

        pattern = origin + prefix + "/" if prefix else origin + "/"
        mock.route(url__startswith=pattern).mock(side_effect=answer)
    if not strict:
        mock.route().pass_through()
    return mock
