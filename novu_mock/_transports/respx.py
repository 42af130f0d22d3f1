"""The respx adapter: httpx requests for Novu's base URLs go to the engine, in-process.

A `NovuRouter` registers with respx's httpcore mocker (the one `respx.mock` uses), so it
patches every httpx client, sync or async, including clients created before it started, and it
cooperates with the test's own respx routers. It answers synchronously: sync clients need no
event loop. It skips respx's route objects, whose call bookkeeping costs more than a whole
engine call.
"""

from __future__ import annotations

import asyncio
import functools
import pkgutil
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import httpx
from respx.mocks import HTTPCoreMocker
from respx.models import AllMockedAssertionError, PassThrough

from .._core.http import Call, Reply, join_headers

if TYPE_CHECKING:
    from .._core.engine import Engine

NOVU_BASE_URLS = ("https://api.novu.co", "https://eu.api.novu.co")

# (scheme, host, port or None for the default, path prefix without trailing slash)
_Target = tuple[str, str, "int | None", str]


@functools.lru_cache(maxsize=256)  # every test's router parses the same few base URLs
def parse_base_url(base_url: str) -> _Target:
    """The parts of a base URL that a request must share to be routed to the mock."""
    url = httpx.URL(base_url.strip())
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError(
            f"expected an http(s) base URL such as https://api.novu.co; got {base_url!r}"
        )
    prefix = url.raw_path.decode("ascii").partition("?")[0].rstrip("/")
    return url.scheme, url.host, url.port, prefix


@functools.lru_cache(maxsize=256)  # every test's router is made for the same base URLs
def _targets(base_urls: tuple[str, ...]) -> tuple[_Target, ...]:
    targets = {parse_base_url(base) for base in (*NOVU_BASE_URLS, *base_urls)}
    # The longest prefix first, so https://h/a/b wins over https://h/a for /a/b/...
    return tuple(sorted(targets, key=lambda t: len(t[3]), reverse=True))


def to_call(request: httpx.Request, prefix: str = "") -> Call:
    """The engine's view of an httpx request, with the base URL's path prefix removed."""
    raw = request.url.raw_path.decode("ascii")
    path, _, query = raw.partition("?")
    if prefix:
        path = path[len(prefix) :] or "/"
    return Call(
        request.method, path, query, join_headers(request.headers.multi_items()), request.content
    )


def _outcome(reply: Reply, request: httpx.Request) -> httpx.Response:
    """The response, or the transport error httpx raises for a lost connection."""
    if reply.connection == "drop":
        message = "Server disconnected without sending a response."
        raise httpx.RemoteProtocolError(message, request=request)
    if reply.connection == "timeout":
        raise httpx.ReadTimeout("timed out (novu-mock fault)", request=request)
    return httpx.Response(reply.status, headers=reply.headers, content=reply.body)


class _Patch:
    """One of respx's httpcore patches, as `unittest.mock.patch(target, spec=True,
    new_callable=HTTPCoreMocker.mock)` makes it, but set and restored with setattr: respx's own
    start() resolves each dotted target by importing it again and re-inspects each method, about
    97 imports per start, most of a test's fixture cost. Same `start`/`stop` protocol, so
    respx's `HTTPCoreMocker.stop()` (a test's own respx router leaving last) stops it."""

    __slots__ = ("local", "name", "original", "owner", "replacement")

    def __init__(self, owner: Any, name: str) -> None:
        self.owner = owner
        self.name = name
        self.original = getattr(owner, name)
        self.local = name in vars(owner)  # inherited: stop() deletes, as mock.patch does
        self.replacement = HTTPCoreMocker.mock(self.original)  # type: ignore[no-untyped-call]

    def start(self) -> None:
        setattr(self.owner, self.name, self.replacement)

    def stop(self) -> None:
        if self.local:
            setattr(self.owner, self.name, self.original)
        else:
            delattr(self.owner, self.name)


_owners: dict[str, Any] = {}  # dotted target -> its class, imported once per process
_made: dict[tuple[str, str], _Patch] = {}


def _start_httpcore_mocker() -> None:
    """`HTTPCoreMocker.start()`, with each patch made once per process and reused while the
    method it replaces is still the one on the class (else made again, as respx would)."""
    if HTTPCoreMocker._patches:  # respx's rule: patch only once
        return
    for target in HTTPCoreMocker.targets:
        if target not in _owners:
            _owners[target] = pkgutil.resolve_name(target)
        owner = _owners[target]
        for method in HTTPCoreMocker.target_methods:
            current = getattr(owner, method, None)
            if current is None:
                continue  # respx skips a method the class lacks (AttributeError)
            patch = _made.get((target, method))
            if patch is None or patch.original is not current:
                patch = _made[(target, method)] = _Patch(owner, method)
            patch.start()
            HTTPCoreMocker._patches.append(patch)  # type: ignore[arg-type]


class NovuRouter:
    """Answers httpx requests for Novu's hosts and `base_urls` from `engine`.

    Any other request is left to the next respx router, if the test has one, or else passes
    through to the network; with `strict` it fails with respx's `AllMockedAssertionError`.
    `engine` may be a function giving it, called on the first request (NovuMock's engine is
    built on first use).
    """

    def __init__(
        self,
        engine: Engine | Callable[[], Engine],
        base_urls: Iterable[str] = (),
        strict: bool = False,
    ) -> None:
        self._engine = engine
        self.strict = strict
        self.targets = _targets(tuple(base_urls))
        self.started = False

    @property
    def engine(self) -> Engine:
        if callable(self._engine):
            self._engine = self._engine()
        return self._engine

    def _prefix_of(self, url: httpx.URL) -> str | None:
        scheme, host, port = url.scheme, url.host, url.port
        path = ""
        for t_scheme, t_host, t_port, prefix in self.targets:
            if t_scheme != scheme or t_host != host or t_port != port:
                continue
            if not prefix:
                return ""
            if not path:
                path = url.raw_path.decode("ascii").partition("?")[0]
            if path == prefix or path.startswith(prefix + "/"):
                return prefix
        return None

    def _reply(self, request: httpx.Request) -> Reply:
        prefix = self._prefix_of(request.url)
        if prefix is None:
            self._refuse_unknown_novu_host(request)
            others = len(HTTPCoreMocker.routers) > 1
            if self.strict or others:
                raise AllMockedAssertionError(
                    f"novu-mock: {request.method} {request.url} is not a Novu URL "
                    "(intercepted: " + ", ".join(self.base_urls()) + ")"
                )
            raise PassThrough("not a Novu URL", request=request, origin=None)  # type: ignore[arg-type]
        reply = self.engine.handle(to_call(request, prefix))
        if reply.warning is not None:
            from .._testing.retries import RetryLoopError

            raise RetryLoopError(reply.warning)
        return reply

    def _refuse_unknown_novu_host(self, request: httpx.Request) -> None:
        """A Novu API path on a base URL we do not know fails with our message."""
        from .._testing.unmatched import explain, novu_suffix

        path = request.url.raw_path.decode("ascii").partition("?")[0]
        suffix = novu_suffix(self.engine, request.method, request.url.host, path)
        if suffix is not None:
            from .._testing.retries import UnmatchedNovuRequest

            raise UnmatchedNovuRequest(explain(request, suffix, self.base_urls()))

    def handler(self, request: httpx.Request) -> httpx.Response:
        reply = self._reply(request)
        if reply.delay:
            time.sleep(reply.delay)
        return _outcome(reply, request)

    async def async_handler(self, request: httpx.Request) -> httpx.Response:
        reply = self._reply(request)
        if reply.delay:
            await asyncio.sleep(reply.delay)  # the client's event loop keeps running
        return _outcome(reply, request)

    def base_urls(self) -> list[str]:
        out = []
        for scheme, host, port, prefix in self.targets:
            out.append(f"{scheme}://{host}{f':{port}' if port else ''}{prefix}")
        return out

    def start(self) -> None:
        # First in line: the innermost interception answers Novu's URLs.
        HTTPCoreMocker.routers.insert(0, self)  # type: ignore[arg-type]
        _start_httpcore_mocker()
        self.started = True

    def stop(self, *_: Any) -> None:
        if self.started:
            HTTPCoreMocker.unregister(self)  # type: ignore[arg-type]
            HTTPCoreMocker.stop()
            self.started = False
