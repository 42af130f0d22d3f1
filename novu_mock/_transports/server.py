"""`MockServer`: a live uvicorn server in a thread over a `NovuMock`, sharing its state."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

import uvicorn

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


class MockServer:
    """An HTTP server on a loopback port (a free one by default) answering through `mock`.

    `url` is the base URL without `/v1` and without a trailing slash. The recording and
    assertion helpers are the mock's own.
    """

    def __init__(self, mock: Served, host: str = "127.0.0.1", port: int = 0) -> None:
        self.mock = mock
        self._host = host
        self._port = port
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    def start(self) -> None:
        family = socket.AF_INET6 if ":" in self._host else socket.AF_INET
        # IPPROTO_TCP so that asyncio sets TCP_NODELAY on each connection (see _cli.py).
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self._host, self._port))
        host, port = sock.getsockname()[:2]
        self.url = f"http://{f'[{host}]' if ':' in host else host}:{port}"
        config = uvicorn.Config(
            self.mock.app, log_level="warning", server_header=False, lifespan="off"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [sock]},
            name="novu-mock-server",
            daemon=True,
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"novu-mock server did not start on {self.url}")
            time.sleep(0.005)

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(10)
        self._server = None
        self._thread = None

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
