"""Forwarding one call to the upstream Novu and reading its answer as it came."""

from __future__ import annotations

import asyncio
import gzip
import importlib.util
import json
import sys
import zlib
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from .._core.http import Call, Reply
from . import DEFAULT_TIMEOUT

T = TypeVar("T")
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


@dataclass(slots=True)
class Answer:
    """The upstream's answer: status, headers in order (repeats kept), the body's bytes as sent
    (still encoded if the upstream compressed it), and the body decoded for comparison."""

    status: int
    headers: list[tuple[str, str]]
    raw: bytes
    body: Any

    def reply(self) -> Reply:
        """The answer to hand back unchanged (minus hop-by-hop headers; the length of the bytes
        as they are sent)."""
        headers = [(k, v) for k, v in self.headers if k.lower() not in _NOT_RETURNED]
        if self.status != 204 and not any(k.lower() == "content-length" for k, _ in headers):
            headers.append(("content-length", str(len(self.raw))))
        return Reply(self.status, headers, self.raw)


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


def _settle_failed_sniffio_import() -> None:
    """httpcore tries `import sniffio` on every async request; when sniffio is not installed
    (recent anyio no longer needs it) each failed attempt searches sys.path again, about a third
    of the proxy's time per call. Recording the absence in sys.modules makes the same failure
    immediate; nothing changes when sniffio is installed."""
    if "sniffio" not in sys.modules and importlib.util.find_spec("sniffio") is None:
        sys.modules["sniffio"] = None  # type: ignore[assignment]


class Upstream:
    """An HTTP client for one upstream base URL (`https://api.novu.co`).

    httpx's transport is used without a Client: a Client would add its own default headers
    (`User-Agent: python-httpx`, `Accept`) to calls that did not send them, and its auth,
    redirect and cookie machinery only costs time here.
    """

    def __init__(
        self,
        base_url: str,
        timeout: float = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        _settle_failed_sniffio_import()
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._base = httpx.URL(self.base_url)
        self._timeouts = httpx.Timeout(timeout).as_dict()
        self._transport = transport or httpx.AsyncHTTPTransport(
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=20)
        )

    async def send(self, call: Call) -> Answer:
        """Forward `call` with its own headers; raise UpstreamFailure if no answer comes back
        within the timeout (connecting, sending and reading all included)."""
        headers = [
            (k, _decodable(v) if k == "accept-encoding" else v)
            for k, v in call.headers.items()
            if k not in _NOT_FORWARDED
        ]
        prefix = self._base.raw_path.rstrip(b"/")
        try:
            url = self._base.copy_with(raw_path=prefix + call.url.encode("latin-1"))
            request = httpx.Request(
                call.method,
                url,
                headers=headers,
                content=call.body or None,
                extensions={"timeout": self._timeouts},
            )
        except (httpx.InvalidURL, UnicodeError, ValueError) as exc:
            raise UpstreamFailure(f"the request cannot be forwarded: {exc}") from exc
        try:
            # One bound for the whole exchange: httpx's timeouts are per read, and an upstream
            # that trickles bytes would otherwise hold the caller for ever.
            response, raw = await _within(self.timeout, self._exchange(request))
        except (httpx.TimeoutException, asyncio.TimeoutError) as exc:
            raise UpstreamFailure(
                f"the upstream {self.base_url} did not answer within {self.timeout:g} s"
            ) from exc
        except (httpx.HTTPError, OSError) as exc:
            reason = str(exc) or type(exc).__name__
            raise UpstreamFailure(
                f"the upstream {self.base_url} could not be reached: {reason}"
            ) from exc
        pairs = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in response.headers.raw]
        return Answer(response.status_code, pairs, raw, decoded(raw, pairs))

    async def _exchange(self, request: httpx.Request) -> tuple[httpx.Response, bytes]:
        response = await self._transport.handle_async_request(request)
        try:
            stream = response.stream
            assert isinstance(stream, httpx.AsyncByteStream)
            raw = b"".join([chunk async for chunk in stream])
        finally:
            await response.aclose()
        return response, raw

    async def aclose(self) -> None:
        await self._transport.aclose()
