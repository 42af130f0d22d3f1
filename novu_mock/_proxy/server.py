"""`ProxyServer`: the proxy on a loopback port in a thread (for tests and the benchmark)."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import uvicorn

from .._transports.server import ServerThread, base_url, listening_socket
from .app import Proxy, ProxyApp


def uvicorn_server(proxy: Proxy) -> uvicorn.Server:
    # No Date or Server header of ours: the upstream's pass through unchanged.
    config = uvicorn.Config(
        ProxyApp(proxy),
        log_level="warning",
        server_header=False,
        date_header=False,
        lifespan="off",
        # The caller's X-Forwarded-* headers go to the upstream as they came; nothing here
        # reads the client address, so uvicorn need not rewrite it per call.
        proxy_headers=False,
        access_log=False,
    )
    return uvicorn.Server(config)


async def run(server: uvicorn.Server, proxy: Proxy, sock: socket.socket) -> None:
    """Serve until told to stop, then close the upstream client and the recording."""
    try:
        await server.serve(sockets=[sock])
    finally:
        await proxy.settled()  # the last calls' drift and recording lines
        await proxy.upstream.aclose()
        if proxy.recorder is not None:
            proxy.recorder.close()


class ProxyServer:
    """A running proxy; `url` is its base URL, `proxy` its state (drift, shadow engine)."""

    def __init__(self, proxy: Proxy, host: str = "127.0.0.1", port: int = 0) -> None:
        self.proxy = proxy
        self._host = host
        self._port = port
        self._running: ServerThread | None = None
        self.url = ""

    def start(self) -> None:
        sock = listening_socket(self._host, self._port)
        self.url = base_url(sock)
        server = uvicorn_server(self.proxy)
        self._running = ServerThread(
            server, lambda: asyncio.run(run(server, self.proxy, sock)), "novu-mock-proxy", self.url
        )

    def stop(self) -> None:
        if self._running is not None:
            self._running.stop()
            self._running = None

    def __enter__(self) -> ProxyServer:
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()
