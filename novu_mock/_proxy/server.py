"""`ProxyServer`: the proxy on a loopback port in a thread (for tests and the benchmark)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from typing import Any

import uvicorn

from .app import Proxy, ProxyApp


def listening_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP so that asyncio sets TCP_NODELAY on each connection (see _cli.py).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


def base_url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://{f'[{host}]' if ':' in host else host}:{port}"


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
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    def start(self) -> None:
        sock = listening_socket(self._host, self._port)
        self.url = base_url(sock)
        self._server = server = uvicorn_server(self.proxy)
        self._thread = threading.Thread(
            target=asyncio.run,
            args=(run(server, self.proxy, sock),),
            name="novu-mock-proxy",
            daemon=True,
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"novu-mock proxy did not start on {self.url}")
            time.sleep(0.005)

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(10)
        self._server = None
        self._thread = None

    def __enter__(self) -> ProxyServer:
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()
