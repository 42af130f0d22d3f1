"""Forwarding one call to the upstream Novu and reading its answer as it came."""

from __future__ import annotations

import asyncio
import gzip
import json
import ssl
import sys
import zlib
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx

from .._core.http import Call, Reply
from . import DEFAULT_TIMEOUT

T = TypeVar("T")
#: Calls in flight to the upstream at once (more wait for a free one), and idle connections kept.
MAX_CONNECTIONS = 100
MAX_IDLE = 20
#: Hop-by-hop headers (RFC 9110 7.6.1) and those the HTTP client sets itself.
_NOT_FORWARDED = frozenset(
    {
        "host",
        "connection",
        "keep-alive",
        "proxy-connection",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "content-length",
        "expect",
    }
)
_NOT_RETURNED = frozenset(
    {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "trailer"}
)


class Answer:
    """The upstream's answer: status, headers in order (repeats kept), the body's bytes as sent
    (still encoded if the upstream compressed it; de-chunked), and `body`, the bytes decoded
    for comparison (parsed when first asked for: after the caller has its answer)."""

    __slots__ = ("_body", "headers", "raw", "status")

    def __init__(self, status: int, headers: list[tuple[str, str]], raw: bytes) -> None:
        self.status = status
        self.headers = headers
        self.raw = raw
        self._body: Any = _UNREAD

    @property
    def body(self) -> Any:
        if self._body is _UNREAD:
            self._body = decoded(self.raw, self.headers)
        return self._body

    def reply(self) -> Reply:
        """The answer to hand back unchanged (minus hop-by-hop headers; the length of the bytes
        as they are sent)."""
        headers = [(k, v) for k, v in self.headers if k.lower() not in _NOT_RETURNED]
        if self.status != 204 and not any(k.lower() == "content-length" for k, _ in headers):
            headers.append(("content-length", str(len(self.raw))))
        return Reply(self.status, headers, self.raw)


_UNREAD: Any = object()


class UpstreamFailure(Exception):
    """The upstream did not answer: timed out, refused, or broke the connection."""


_DECODABLE = frozenset({"gzip", "deflate", "identity"})


def _decodable(accepted: str) -> str:
    """The caller's Accept-Encoding without the codings the proxy cannot read (br, zstd), so
    that the upstream's answer, which the caller gets as it is, can also be compared."""
    kept = [
        part.strip()
        for part in accepted.split(",")
        if part.split(";")[0].strip().lower() in _DECODABLE
    ]
    return ", ".join(kept) or "identity"


def decoded(raw: bytes, headers: list[tuple[str, str]]) -> Any:
    """A body as parsed JSON, else text, else None when empty."""
    encoding = next((v.lower() for k, v in headers if k.lower() == "content-encoding"), "")
    try:
        if encoding == "gzip":
            raw = gzip.decompress(raw)
        elif encoding == "deflate":
            raw = zlib.decompress(raw)
        elif encoding not in ("", "identity"):
            return None  # br, zstd: compared by status and headers only
    except (OSError, zlib.error, EOFError):
        return None
    if not raw:
        return None
    text = raw.decode("utf-8", "replace")
    try:
        return json.loads(text)
    except ValueError:
        return text


async def _within(seconds: float, work: Coroutine[Any, Any, T]) -> T:
    """`work`, or asyncio.TimeoutError after `seconds` (without a task of its own where
    asyncio.timeout exists, Python 3.11+)."""
    if sys.version_info >= (3, 11):
        async with asyncio.timeout(seconds):
            return await work
    return await asyncio.wait_for(work, seconds)


class _Connection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection to the upstream: the bytes received so far and a way
    to wait for more."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.closed = False
        self.used = False
        self.received = 0
        self._waiter: asyncio.Future[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        self.received += len(data)
        self._wake()

    def eof_received(self) -> bool:
        self.closed = True
        self._wake()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def more(self) -> None:
        """Wait for more bytes; ConnectionError if the upstream closed the connection."""
        if self.closed:
            raise ConnectionResetError("the upstream closed the connection")
        self._waiter = asyncio.get_running_loop().create_future()
        try:
            await self._waiter
        finally:
            self._waiter = None

    async def line(self) -> bytes:
        """The next CRLF-ended line, without its CRLF."""
        while (end := self.buffer.find(b"\r\n")) < 0:
            await self.more()
        line = bytes(self.buffer[:end])
        del self.buffer[: end + 2]
        return line

    async def exactly(self, size: int) -> bytes:
        while len(self.buffer) < size:
            await self.more()
        data = bytes(self.buffer[:size])
        del self.buffer[:size]
        return data

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


@dataclass(slots=True)
class _Head:
    version: bytes
    status: int
    headers: list[tuple[str, str]]

    def value(self, name: str) -> str:
        return ", ".join(v for k, v in self.headers if k.lower() == name)


async def _read_head(connection: _Connection) -> _Head:
    while True:
        buffer = connection.buffer
        while (end := buffer.find(b"\r\n\r\n")) < 0:
            await connection.more()
        head = bytes(buffer[:end]).split(b"\r\n")
        del buffer[: end + 4]
        version, _, rest = head[0].partition(b" ")
        try:
            status = int(rest[:3])
        except ValueError:
            raise ConnectionError(f"the upstream answered {head[0][:80]!r}") from None
        if not version.startswith(b"HTTP/"):
            raise ConnectionError(f"the upstream answered {head[0][:80]!r}")
        if 100 <= status < 200:
            continue  # an interim answer (100 Continue, 103 Early Hints): the real one follows
        headers = []
        for raw in head[1:]:
            name, _, value = raw.partition(b":")
            headers.append((name.strip().decode("latin-1"), value.strip().decode("latin-1")))
        return _Head(version, status, headers)


async def _read_body(connection: _Connection, method: str, head: _Head) -> tuple[bytes, bool]:
    """The body's bytes (de-chunked) and whether the connection can carry another call."""
    reusable = head.version == b"HTTP/1.1" and "close" not in head.value("connection").lower()
    if method == "HEAD" or head.status in (204, 304):
        return b"", reusable
    if "chunked" in head.value("transfer-encoding").lower():
        chunks: list[bytes] = []
        while True:
            size_line = await connection.line()
            try:
                size = int(size_line.split(b";")[0].strip(), 16)
            except ValueError:
                raise ConnectionError("the upstream sent a broken chunked body") from None
            if size == 0:
                while await connection.line():  # trailers, up to the empty line
                    pass
                return b"".join(chunks), reusable
            chunks.append(await connection.exactly(size))
            await connection.exactly(2)
    length = head.value("content-length")
    if length:
        try:
            size = int(length.split(",")[0])
        except ValueError:
            raise ConnectionError(f"the upstream sent Content-Length: {length}") from None
        return await connection.exactly(size), reusable
    while not connection.closed:  # no length: the body ends with the connection
        try:
            await connection.more()
        except ConnectionError:
            break
    body = bytes(connection.buffer)
    connection.buffer.clear()
    return body, False


class Upstream:
    """A keep-alive HTTP/1.1 client for one upstream base URL (`https://api.novu.co`).

    Each call's request goes out in one write (head and body together, TCP_NODELAY as asyncio
    sets it) on an idle connection of the pool, and its answer is read as it came. No client
    library: httpx added its own headers (`User-Agent`, `Accept`) to calls that did not send
    them, and its machinery cost about as much time per call as the whole proxy may add.
    """

    def __init__(self, base_url: str, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {base_url!r}")
        self._tls = parts.scheme == "https"
        self._hostname = parts.hostname
        self._port = parts.port or (443 if self._tls else 80)
        self._host_header = parts.netloc.rpartition("@")[2]
        self._prefix = parts.path.rstrip("/")
        self._ssl: ssl.SSLContext | None = None
        self._idle: list[_Connection] = []
        self._slots: asyncio.Semaphore | None = None

    def _request(self, call: Call) -> bytes:
        method = call.method.upper()
        lines = [f"{method} {self._prefix}{call.url} HTTP/1.1", f"host: {self._host_header}"]
        framed = False
        for name, value in call.headers.items():
            if name in _NOT_FORWARDED:
                framed = framed or name in ("content-length", "transfer-encoding")
                continue
            lines.append(f"{name}: {_decodable(value) if name == 'accept-encoding' else value}")
        if call.body or framed or method in ("POST", "PUT", "PATCH"):
            lines.append(f"content-length: {len(call.body)}")
        lines.append("\r\n")
        try:
            return "\r\n".join(lines).encode("latin-1") + call.body
        except UnicodeEncodeError as exc:
            raise UpstreamFailure(f"the request cannot be forwarded: {exc}") from exc

    async def send(self, call: Call) -> Answer:
        """Forward `call` with its own headers; raise UpstreamFailure if no answer comes back
        within the timeout (connecting, sending and reading all included)."""
        request = self._request(call)
        if self._slots is None:
            self._slots = asyncio.Semaphore(MAX_CONNECTIONS)
        try:
            # One bound for the whole exchange: an upstream that trickles bytes would otherwise
            # hold the caller for ever.
            async with self._slots:
                return await _within(self.timeout, self._exchange(call.method.upper(), request))
        except (asyncio.TimeoutError, TimeoutError) as exc:
            raise UpstreamFailure(
                f"the upstream {self.base_url} did not answer within {self.timeout:g} s"
            ) from exc
        except (OSError, ConnectionError) as exc:
            reason = str(exc) or type(exc).__name__
            raise UpstreamFailure(
                f"the upstream {self.base_url} could not be reached: {reason}"
            ) from exc

    async def _exchange(self, method: str, request: bytes) -> Answer:
        while True:
            connection = await self._connection()
            reused = connection.used
            connection.used = True
            connection.received = 0
            try:
                assert connection.transport is not None
                connection.transport.write(request)
                head = await _read_head(connection)
                raw, reusable = await _read_body(connection, method, head)
            except ConnectionError:
                connection.close()
                if reused and not connection.received:
                    # An idle connection the upstream had closed before it read anything: the
                    # call never reached it, so it goes once more on a fresh connection.
                    continue
                raise
            except BaseException:
                connection.close()  # cancelled or timed out mid-answer: never reused
                raise
            if reusable and not connection.closed and not connection.buffer:
                self._release(connection)
            else:
                connection.close()
            return Answer(head.status, head.headers, raw)

    async def _connection(self) -> _Connection:
        while self._idle:
            connection = self._idle.pop()
            if not connection.closed:
                return connection
        loop = asyncio.get_running_loop()
        if self._tls and self._ssl is None:
            self._ssl = httpx.create_ssl_context()
        _, protocol = await loop.create_connection(
            _Connection,
            self._hostname,
            self._port,
            ssl=self._ssl if self._tls else None,
            server_hostname=self._hostname if self._tls else None,
        )
        return protocol

    def _release(self, connection: _Connection) -> None:
        if len(self._idle) < MAX_IDLE:
            self._idle.append(connection)
        else:
            connection.close()

    async def aclose(self) -> None:
        while self._idle:
            self._idle.pop().close()
