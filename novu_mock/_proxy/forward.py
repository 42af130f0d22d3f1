"""Forwarding one call to the upstream Novu and reading its answer as it came."""

from __future__ import annotations

import asyncio
import gzip
import json
import ssl
import sys
import zlib
from collections.abc import Coroutine
from typing import Any, TypeVar
from urllib.parse import urlsplit

import h11
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
    """One keep-alive HTTP/1.1 connection to the upstream: h11's state of it (the bytes
    received are fed to h11 as they come) and a way to wait for more."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.h11 = h11.Connection(our_role=h11.CLIENT)
        self.closed = False
        self.used = False
        self.received = 0
        self._waiter: asyncio.Future[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.h11.receive_data(data)
        self.received += len(data)
        self._wake()

    def eof_received(self) -> bool:
        self._ended()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._ended()

    def _ended(self) -> None:
        if not self.closed:
            self.closed = True
            self.h11.receive_data(b"")  # h11 ends a close-delimited body, or fails a short one
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def more(self) -> None:
        """Wait for more bytes (or the end of the connection, which h11 is told of)."""
        if self.closed:
            raise ConnectionResetError("the upstream closed the connection")
        self._waiter = asyncio.get_running_loop().create_future()
        try:
            await self._waiter
        finally:
            self._waiter = None

    async def answer(self) -> Answer:
        """The answer to the request just sent, read with h11 (interim 1xx answers skipped;
        chunked bodies de-chunked, trailers dropped; HEAD, 204 and 304 without a body)."""
        h = self.h11
        status = 0
        headers: list[tuple[str, str]] = []
        chunks: list[bytes] = []
        while True:
            event = h.next_event()
            if event is h11.NEED_DATA:
                await self.more()
            elif type(event) is h11.Data:
                chunks.append(event.data)
            elif type(event) is h11.Response:
                status = event.status_code
                headers = [
                    (name.decode("latin-1"), value.decode("latin-1"))
                    for name, value in event.headers.raw_items()
                ]
            elif type(event) is h11.EndOfMessage:
                # h11 hands out bytearrays: Answer.raw (a Reply's body) is bytes
                return Answer(status, headers, b"".join(chunks))
            elif type(event) is h11.ConnectionClosed:
                raise ConnectionResetError("the upstream closed the connection")
            # h11.InformationalResponse (100 Continue, 103 Early Hints): the real one follows

    def reusable(self) -> bool:
        """Whether the connection can carry another call, made ready for it if so: both sides
        done with a keep-alive exchange and nothing more received."""
        h = self.h11
        if self.closed or h.our_state is not h11.DONE or h.their_state is not h11.DONE:
            return False
        if h.trailing_data[0]:
            return False
        h.start_next_cycle()
        self.received = 0  # bytes that come while it is idle make it unusable
        return True

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


class Upstream:
    """A keep-alive HTTP/1.1 client for one upstream base URL (`https://api.novu.co`).

    Each call's request goes out in one write (head and body together, TCP_NODELAY as asyncio
    sets it) on an idle connection of the pool, and its answer is read as it came. The HTTP/1.1
    framing both ways is h11's (sans-IO, the parser under uvicorn and httpcore); the connections
    are plain asyncio ones. Not httpx: it added its own headers (`User-Agent`, `Accept`) to
    calls that did not send them, and its layers above h11 cost about 2.7 ms CPU per call here,
    more than the whole proxy may add.
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
        self._host_header = parts.netloc.rpartition("@")[2].encode("latin-1")
        self._prefix = parts.path.rstrip("/")
        self._ssl: ssl.SSLContext | None = None
        self._idle: list[_Connection] = []
        self._slots: asyncio.Semaphore | None = None

    def _request(self, call: Call) -> h11.Request:
        method = call.method.upper()
        headers = [(b"host", self._host_header)]
        framed = False
        try:
            for name, value in call.headers.items():
                if name in _NOT_FORWARDED:
                    framed = framed or name in ("content-length", "transfer-encoding")
                    continue
                if name == "accept-encoding":
                    value = _decodable(value)
                headers.append((name.encode("latin-1"), value.encode("latin-1")))
            if call.body or framed or method in ("POST", "PUT", "PATCH"):
                headers.append((b"content-length", str(len(call.body)).encode()))
            target = f"{self._prefix}{call.url}".encode("latin-1")
            return h11.Request(method=method, target=target, headers=headers)
        except (UnicodeEncodeError, h11.LocalProtocolError) as exc:
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
                return await _within(self.timeout, self._exchange(request, call.body))
        except (asyncio.TimeoutError, TimeoutError) as exc:
            raise UpstreamFailure(
                f"the upstream {self.base_url} did not answer within {self.timeout:g} s"
            ) from exc
        except h11.RemoteProtocolError as exc:
            raise UpstreamFailure(f"the upstream {self.base_url} broke HTTP/1.1: {exc}") from exc
        except (OSError, ConnectionError) as exc:
            reason = str(exc) or type(exc).__name__
            raise UpstreamFailure(
                f"the upstream {self.base_url} could not be reached: {reason}"
            ) from exc

    async def _exchange(self, request: h11.Request, body: bytes) -> Answer:
        while True:
            connection = await self._connection()
            reused = connection.used
            connection.used = True
            try:
                h = connection.h11
                data = h.send(request)
                if body:
                    data += h.send(h11.Data(data=body))
                data += h.send(h11.EndOfMessage())
                assert connection.transport is not None
                connection.transport.write(data)
                answer = await connection.answer()
            except (ConnectionError, h11.RemoteProtocolError) as exc:
                connection.close()
                if connection.received:
                    raise
                if reused:
                    # An idle connection the upstream had closed before answering anything: the
                    # call never reached it, so it goes once more on a fresh connection.
                    continue
                raise ConnectionResetError("the upstream closed the connection unanswered") from exc
            except BaseException:
                connection.close()  # cancelled or timed out mid-answer: never reused
                raise
            if connection.reusable():
                self._release(connection)
            else:
                connection.close()
            return answer

    async def _connection(self) -> _Connection:
        while self._idle:
            connection = self._idle.pop()
            if not connection.closed and not connection.received:
                return connection
            connection.close()
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
