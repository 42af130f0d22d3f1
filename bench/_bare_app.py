"""The server-side floor: a bare Starlette app on the same uvicorn settings as `novu-mock serve`
(`uvicorn_config`: the same HTTP protocol class, loop, logging and limits) that only reads the
body, parses its JSON and answers a canned body of the mock's size.

Run as `python -m bench._bare_app CANNED_FILE`; prints `listening on http://127.0.0.1:PORT`."""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from novu_mock._transports.server import uvicorn_config


class _Canned:
    def __init__(self, body: bytes) -> None:
        self.body = body
        self.headers = [
            (b"content-type", b"application/json; charset=utf-8"),
            (b"content-length", str(len(body)).encode()),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        chunks = []
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        json.loads(b"".join(chunks))
        await send({"type": "http.response.start", "status": 201, "headers": self.headers})
        await send({"type": "http.response.body", "body": self.body})


def main(path: str) -> None:
    app = Starlette(routes=[Route("/{path:path}", _Canned(Path(path).read_bytes()))])
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    print(f"listening on http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
    # The same settings as the mock's server: a change to them (a faster HTTP parser, say) moves
    # both sides of the ratio.
    uvicorn.Server(uvicorn_config(app)).run(sockets=[sock])


if __name__ == "__main__":
    main(sys.argv[1])
