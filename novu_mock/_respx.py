"""The respx adapter: httpx requests for Novu's base URLs go to the engine, in-process."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

import httpx
import respx

from ._engine import Engine
from ._http import Call

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
        path = path[len(prefix) :] or "/"
    headers: dict[str, str] = {}
    for name, value in request.headers.multi_items():
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return Call(request.method, path, query, headers, request.read())


def to_response(engine: Engine, call: Call) -> httpx.Response:
    reply = engine.handle(call)
    return httpx.Response(reply.status, headers=reply.headers, content=reply.body)


def router(engine: Engine, base_urls: Iterable[str] = (), strict: bool = False) -> respx.MockRouter:
    """A respx router sending Novu's hosts and `base_urls` to `engine`; other hosts pass through
    unless `strict`, where they raise `respx.models.AllMockedAssertionError`."""
    mock = respx.MockRouter(assert_all_called=False, assert_all_mocked=strict)
    seen: set[str] = set()
    for base in (*NOVU_BASE_URLS, *base_urls):
        if base in seen:
            continue
        seen.add(base)
        origin, prefix = _prefix(base)

        def answer(request: httpx.Request, prefix: str = prefix) -> httpx.Response:
            return to_response(engine, to_call(request, prefix))

        pattern = origin + prefix + "/" if prefix else origin + "/"
        mock.route(url__startswith=pattern).mock(side_effect=answer)
    if not strict:
        mock.route().pass_through()
    return mock
