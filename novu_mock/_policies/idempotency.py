"""Novu's `Idempotency-Key` handling, per environment (contract section 6, decision D11)."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .._core.errors import NovuError, error_reply
from .._core.http import Reply

if TYPE_CHECKING:
    from .._core.request import Request

HEADER = "idempotency-key"
METHODS = ("POST", "PATCH")
MAX_KEY_LENGTH = 255
TTL = 86_400.0  # seconds a result is kept (IDEMPOTENCY_CACHE_TTL)
DEFAULT_LIMIT = 10_000  # results kept per environment when the journals are not capped
LINK = "https://docs.novu.co/additional-resources/idempotency"


@dataclass(slots=True)
class _Entry:
    fingerprint: str
    created: float  # engine clock
    reply: Reply
    done_at: float  # monotonic: the first answer is in flight (delayed by a fault) until then


def fingerprint(req: Request) -> str:
    """A hash of the body as Novu takes it (JSON.stringify of the parsed body, so formatting
    and white space do not count); the raw bytes when it is not JSON. The parse is the one the
    handler reuses."""
    try:
        value = req.raw_json()
    except NovuError:
        data = req.call.body
    else:
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        data = text.encode("utf-8", "surrogatepass")
    return hashlib.blake2s(data).hexdigest()


class Idempotency:
    """Results of POST and PATCH calls by key, for 24 hours of the engine clock; each
    environment keeps its own (`Environment.idempotency`, oldest first), at most `limit` of
    them: the oldest go first, so a client that sends a fresh key on every call (novu-py does)
    cannot grow them without bound."""

    def __init__(self, limit: int | None = None) -> None:
        self.limit = limit or DEFAULT_LIMIT

    def run(self, req: Request, answer: Callable[[], Reply], delay: float = 0.0) -> Reply:
        """Answer through `answer` once per key; replay, 409 or 422 afterwards.

        `delay` is how long the adapter holds the first answer back: the key stays in progress
        (409 for overlapping calls) until it has been sent.
        """
        call = req.call
        key = call.headers.get(HEADER, "")
        if call.method.upper() not in METHODS or not key:
            return answer()
        if len(key) > MAX_KEY_LENGTH:
            message = (
                f'idempotencyKey "{key}" has exceeded the maximum allowed length of '
                f"{MAX_KEY_LENGTH} characters"
            )
            return error_reply(NovuError(400, message), call.url, req.stamp)
        entries = req.environment().idempotency
        # Entries are kept in the order they were made: the expired ones are at the front.
        while entries:
            oldest = next(iter(entries.values()))
            if req.now - oldest.created < TTL:
                break
            entries.popitem(last=False)
        print_ = fingerprint(req)
        entry: _Entry | None = entries.get(key)
        if entry is not None and req.now - entry.created >= TTL:
            del entries[key]
            entry = None
        if entry is None:
            reply = answer()
            stored = Reply(reply.status, list(reply.headers), reply.body, reply.payload)
            entries[key] = _Entry(print_, req.now, stored, time.monotonic() + delay)
            while len(entries) > self.limit:
                entries.popitem(last=False)
            reply.headers.append(("Idempotency-Key", key))
            return reply
        if time.monotonic() < entry.done_at:
            message = (
                f'Request with key "{key}" is currently being processed. '
                "Please retry after 1 second"
            )
            headers = [("Idempotency-Key", key), ("Retry-After", "1"), ("Link", LINK)]
            return error_reply(NovuError(409, message, headers=headers), call.url, req.stamp)
        if entry.fingerprint != print_:
            message = f'Request with key "{key}" is being reused for a different body'
            headers = [("Idempotency-Key", key), ("Link", LINK)]
            return error_reply(NovuError(422, message, headers=headers), call.url, req.stamp)
        return self._replay(entry.reply, key, req)

    @staticmethod
    def _replay(cached: Reply, key: str, req: Request) -> Reply:
        headers = [*cached.headers, ("Idempotency-Key", key), ("Idempotency-Replay", "true")]
        if cached.status < 400 or not isinstance(cached.payload, dict):
            return Reply(cached.status, headers, cached.body, cached.payload)
        # A cached error is thrown again, so Novu's filter stamps it anew.
        payload: dict[str, Any] = {**cached.payload, "timestamp": req.stamp, "path": req.call.url}
        return Reply.json(
            cached.status, payload, [h for h in headers if h[0].lower() != "content-type"]
        )
