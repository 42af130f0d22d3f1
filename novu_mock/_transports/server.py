"""Live servers: `MockServer` (uvicorn in a thread over a `NovuMock`, sharing its state) and
the pieces `novu-mock serve` shares with it: the guard of Host and Origin, a header-read timeout,
a cap on open connections, and a stop that ends held faults at once."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Protocol

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.utils import get_path_with_query_string

from .._core.errors import NovuError, error_reply
from .._model.clock import iso_utc
from .asgi import HEADERS, HOLDS, Holds, call_headers, raw_headers
from .guard import Guard

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Receive, Scope, Send

    from .._core.engine import Engine

if TYPE_CHECKING:
    from .._testing.clock import MockClock


class Served(Protocol):
    """What the server needs of the `NovuMock` it serves (the mock imports this module, so
    this one names the mock's interface rather than importing it)."""

    @property
    def app(self) -> Any: ...

    @property
    def triggers(self) -> list[dict[str, Any]]: ...

    @property
    def requests(self) -> list[dict[str, Any]]: ...

    def reset(self) -> None: ...

    @property
    def assert_triggered(self) -> Callable[..., None]: ...

    @property
    def assert_not_triggered(self) -> Callable[..., None]: ...

    # Delivery (DESIGN 9) and time (DESIGN 10):
    @property
    def clock(self) -> MockClock: ...

    @property
    def messages(self) -> list[dict[str, Any]]: ...

    @property
    def skips(self) -> list[dict[str, Any]]: ...

    @property
    def assert_notified(self) -> Callable[..., None]: ...

    @property
    def assert_not_notified(self) -> Callable[..., None]: ...


HEADER_TIMEOUT = 10.0  # seconds a connection may take to send a request's head
MAX_CONNECTIONS = 2048  # open connections at most; more evict the oldest idle or slow one
_RESERVED_FILES = 64  # file descriptors kept for everything but connections


class GuardedApp:
    """The mock's ASGI app as one serving run exposes it: the Guard's refusals first, and the
    run's Holds handed to the app (so that stopping ends held faults)."""

    def __init__(self, app: ASGIApp, engine: Engine, guard: Guard, holds: Holds) -> None:
        self.app = app
        self.engine = engine
        self.guard = guard
        self.holds = holds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = call_headers(scope["headers"])
        refusal = self.guard.refusal(scope["method"], scope["path"], headers)
        if refusal is not None:
            status, message = refusal
            stamp = iso_utc(self.engine.clock.now())
            url = get_path_with_query_string(scope)  # type: ignore[arg-type]
            reply = error_reply(NovuError(status, message), url, stamp)
            await send(
                {"type": "http.response.start", "status": status, "headers": raw_headers(reply)}
            )
            await send({"type": "http.response.body", "body": reply.body})
            return
        await self.app({**scope, HOLDS: self.holds, HEADERS: headers}, receive, send)


def connection_limits(wanted: int = MAX_CONNECTIONS) -> tuple[int, int]:
    """(open connections at most, accept backlog): `wanted` connections, fewer when the
    open-files limit cannot hold them. asyncio accepts up to a backlog's worth of connections at
    once, before any is seen by the cap, so the backlog is sized to fit the limit too."""
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return wanted, 2048
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return wanted, 2048
    # From accept to connection_made (where the cap closes the oldest idle connection) and on
    # to that connection's close, asyncio takes a few loop turns, each of which may accept
    # another backlog's worth: room is kept for four.
    backlog = max(16, min(2048, (soft - _RESERVED_FILES) // 16))
    return max(16, min(wanted, soft - _RESERVED_FILES - 4 * backlog)), backlog


def raise_open_files_limit() -> None:
    """The soft open-files limit up to the hard one (what a server process may use)."""
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = 65_536 if hard == resource.RLIM_INFINITY else hard
    if soft != resource.RLIM_INFINITY and soft < target:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


class OneSend(asyncio.Transport):
    """A connection's transport that sends a response's head with its body, in one send() (one
    TCP segment) instead of two: uvicorn's h11 protocol writes them separately, and on loopback
    each send is a system call that costs more than the head's own handling.

    Only the head is held (the first write once the response has started), and only until the
    next write, the response's end or the connection's close, whichever comes first; an
    interim `100 Continue` or a streamed body is not held."""

    def __init__(self, transport: asyncio.Transport, protocol: H11Protocol) -> None:
        super().__init__()
        self.transport = transport
        self.protocol = protocol
        self.held = b""
        self.held_for: object = None  # the request cycle whose head was held

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self.held:
            data, self.held = self.held + data, b""
        else:
            cycle = self.protocol.cycle
            if (
                data
                and cycle is not None
                and cycle is not self.held_for
                and cycle.response_started
                and not cycle.response_complete
            ):
                # The response's first write, its head: its body follows in this same send().
                self.held, self.held_for = bytes(data), cycle
                return
        self.transport.write(data)

    def flush(self) -> None:
        if self.held:
            data, self.held = self.held, b""
            self.transport.write(data)

    def close(self) -> None:
        self.flush()
        self.transport.close()

    def abort(self) -> None:
        self.held = b""
        self.transport.abort()

    def is_closing(self) -> bool:
        return self.transport.is_closing()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self.transport.get_extra_info(name, default)

    def pause_reading(self) -> None:
        self.transport.pause_reading()

    def resume_reading(self) -> None:
        self.transport.resume_reading()

    def is_reading(self) -> bool:
        return self.transport.is_reading()

    def get_write_buffer_size(self) -> int:
        return self.transport.get_write_buffer_size() + len(self.held)

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        self.transport.set_write_buffer_limits(high, low)

    def can_write_eof(self) -> bool:
        return self.transport.can_write_eof()

    def write_eof(self) -> None:
        self.flush()
        self.transport.write_eof()


def protocol_class(header_timeout: float, max_connections: int) -> type[H11Protocol]:
    """uvicorn's h11 protocol with a header-read timeout, its keep-alive timeout on the same one
    timer, and a cap on open connections.

    A connection that has not sent a whole request head `header_timeout` seconds after it
    opened (or after its last response) is closed; so is one that sent nothing at all for
    uvicorn's keep-alive timeout (5 s) after a response. When `max_connections` are open, a new
    one evicts the oldest connection that is not in the middle of a request (idle, or still
    sending its head), so slow clients cannot starve everyone else, nor exhaust the open-files
    limit.
    """
    order: collections.OrderedDict[Guarded, None] = collections.OrderedDict()

    class Guarded(H11Protocol):
        _head_timer: asyncio.TimerHandle | None = None
        _head_since = 0.0
        _idle = False  # nothing received since the last response (keep-alive)

        def waiting_for_head(self) -> bool:
            return self.cycle is None or self.cycle.response_complete

        def _due(self) -> float:
            wait = min(header_timeout, self.timeout_keep_alive) if self._idle else header_timeout
            return self._head_since + wait

        def _start_head_timer(self) -> None:
            # One timer per connection, re-armed when it fires early: a keep-alive connection's
            # every response then costs a clock read, not a cancelled timer and a new one
            # (uvicorn's way: the cancelled ones stay queued, with what they hold, until due).
            self._head_since = self.loop.time()
            due = self._due()
            if self._head_timer is not None and self._head_timer.when() > due:
                self._head_timer.cancel()  # the first response: keep-alive is sooner
                self._head_timer = None
            if self._head_timer is None:
                self._head_timer = self.loop.call_at(due, self._head_expired)

        def _head_expired(self) -> None:
            self._head_timer = None
            if not self.waiting_for_head() or self.transport.is_closing():
                return  # busy with a request: re-armed when its response completes
            due = self._due()
            if self.loop.time() < due:  # a response completed, or bytes came, since it was set
                self._head_timer = self.loop.call_at(due, self._head_expired)
                return
            if self._idle:  # uvicorn's keep-alive timeout
                self.timeout_keep_alive_handler()
            else:
                self.transport.close()

        def _unset_keepalive_if_required(self) -> None:
            # uvicorn cancels its keep-alive timer here, on every byte received.
            self._idle = False

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            if len(order) >= max_connections:
                victim = next((c for c in order if c.waiting_for_head()), None)
                if victim is None:
                    transport.abort()  # every connection is busy with a request
                    return
                order.pop(victim, None)
                victim.transport.abort()
            super().connection_made(OneSend(transport, self))
            order[self] = None
            self._start_head_timer()

        def connection_lost(self, exc: Exception | None) -> None:
            order.pop(self, None)
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None
            if getattr(self, "transport", None) is not None:
                super().connection_lost(exc)

        def on_response_complete(self) -> None:
            # uvicorn's, with its keep-alive timer folded into the head timer.
            self.transport.flush()  # type: ignore[attr-defined]
            self.server_state.total_requests += 1
            if not self.transport.is_closing():
                self._idle = True
                self.flow.resume_reading()
                # Unblock any pipelined events.
                if self.conn.our_state is h11.DONE and self.conn.their_state is h11.DONE:
                    self.conn.start_next_cycle()
                    self.handle_events()
            if not self.transport.is_closing():
                self._start_head_timer()

    return Guarded


class StoppingServer(uvicorn.Server):
    """uvicorn's server that, when asked to stop, first ends the calls faults hold."""

    def __init__(self, config: uvicorn.Config, holds: Holds) -> None:
        super().__init__(config)
        self.holds = holds

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self.holds.release()
        await super().shutdown(sockets)


def uvicorn_config(
    app: ASGIApp, header_timeout: float = HEADER_TIMEOUT, max_connections: int = MAX_CONNECTIONS
) -> uvicorn.Config:
    """uvicorn's settings for a live server (bench/_bare_app.py runs its floor on the same)."""
    cap, backlog = connection_limits(max_connections)
    return uvicorn.Config(
        app,
        log_level="warning",
        # uvicorn's access log is off (its logger filters every line at this level, after
        # formatting its arguments); `serve` writes its own (access_log.py).
        access_log=False,
        # Nothing reads the client's address or scheme: X-Forwarded-* would change nothing.
        proxy_headers=False,
        server_header=False,
        lifespan="off",
        http=protocol_class(header_timeout, cap),
        backlog=backlog,
    )


def build_server(
    engine: Engine,
    app: ASGIApp,
    sock: socket.socket,
    *,
    allowed_hosts: Iterable[str] = (),
    header_timeout: float = HEADER_TIMEOUT,
    max_connections: int = MAX_CONNECTIONS,
) -> StoppingServer:
    """A uvicorn server for `app` on the bound socket `sock`, with the guards of this module."""
    host, port = sock.getsockname()[:2]
    holds = Holds()
    guarded = GuardedApp(app, engine, Guard(host, port, allowed_hosts), holds)
    config = uvicorn_config(guarded, header_timeout, max_connections)
    return StoppingServer(config, holds)


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound to `host`:`port` (0: a free port) for uvicorn to listen on."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP so that asyncio sets TCP_NODELAY on each connection (see _cli.py).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


def base_url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://{f'[{host}]' if ':' in host else host}:{port}"


class ServerThread:
    """`server` run by `target` in a daemon thread named `name`, started once it accepts calls
    (MockServer, ProxyServer); `stop()` ends it."""

    def __init__(
        self, server: uvicorn.Server, target: Callable[[], object], name: str, url: str
    ) -> None:
        self.server = server
        self.thread = threading.Thread(target=target, name=name, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not start on {url}")
            time.sleep(0.005)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


class MockServer:
    """An HTTP server on a loopback port (a free one by default) answering through `mock`.

    `url` is the base URL without `/v1` and without a trailing slash. The recording and
    assertion helpers are the mock's own.
    """

    def __init__(self, mock: Served, host: str = "127.0.0.1", port: int = 0) -> None:
        self.mock = mock
        self._host = host
        self._port = port
        self._running: ServerThread | None = None
        self.url = ""

    def start(self) -> None:
        sock = listening_socket(self._host, self._port)
        self.url = base_url(sock)
        app = self.mock.app
        server = build_server(app.state.engine, app, sock)
        self._running = ServerThread(
            server, lambda: server.run(sockets=[sock]), "novu-mock-server", self.url
        )

    def stop(self) -> None:
        if self._running is not None:
            self._running.stop()
            self._running = None

    def __enter__(self) -> MockServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def clock(self) -> MockClock:
        return self.mock.clock

    @property
    def triggers(self) -> list[dict[str, Any]]:
        return self.mock.triggers

    @property
    def requests(self) -> list[dict[str, Any]]:
        return self.mock.requests

    @property
    def messages(self) -> list[dict[str, Any]]:
        return self.mock.messages

    @property
    def skips(self) -> list[dict[str, Any]]:
        return self.mock.skips

    def reset(self) -> None:
        self.mock.reset()

    def assert_triggered(self, workflow_id: str, **filters: Any) -> None:
        self.mock.assert_triggered(workflow_id, **filters)

    def assert_not_triggered(self, workflow_id: str, **filters: Any) -> None:
        self.mock.assert_not_triggered(workflow_id, **filters)

    def assert_notified(self, subscriber_id: str, **filters: Any) -> None:
        __tracebackhide__ = True
        self.mock.assert_notified(subscriber_id, **filters)

    def assert_not_notified(self, subscriber_id: str, **filters: Any) -> None:
        __tracebackhide__ = True
        self.mock.assert_not_notified(subscriber_id, **filters)
