"""Retry loops: one request sent again and again while an armed fault or a rate limit refuses it.

novu-py and @novu/api retry 408, 409, 429 and every 5xx with backoff for up to an hour by default,
so a test that arms a fault and keeps the SDK's retries hangs. The engine tells each refused
Novu call to `RetryWatch.refused`; once the same call (method, URL, API key and body) has been
retried `LIMIT` times in a row, it answers a message that says what happened and how to turn
retries off. In-process the adapter raises it in the test; the server logs and journals it.

An attempt counts as a retry of the previous one when it carries the same `Idempotency-Key`
(@novu/api, or an explicit key), or when it comes after a backoff-like pause (novu-py draws a new
key per attempt and waits at least a second): a test that sends the same call in a quick loop on
purpose (a circuit breaker test) or a bounded fast retry is not a retry loop. A client that
honours a tiny `Retry-After` retries without pausing; `BURST` refusals of one call in a row, at
any pace, are a loop too.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from typing import Any

from .._core.http import Call

LIMIT = 3  # retries tolerated; the 4th attempt in a row is the alarm
MIN_PAUSE = 0.4  # seconds; novu-py's first backoff is at least 1 s, @novu/api's 0 to 1 s
BURST = 50  # refusals of one call in a row, however quick
MAX_LOOPS = 100  # loops kept for /_mock/warnings (memory stays bounded)
MAX_STREAKS = 10_000  # keys with a refusal in progress

TURN_OFF = (
    'Turn retries off in tests: novu-py `Novu(..., retry_config=RetryConfig("none", '
    "BackoffStrategy(0, 0, 0, 0), False))` (from novu_py.utils import BackoffStrategy, "
    'RetryConfig); @novu/api `new Novu({..., retryConfig: {strategy: "none"}})`. '
    "Or give the fault a `times:` the retries cannot outlast."
)


@dataclass(slots=True)
class _Streak:
    fingerprint: str
    key: str | None
    last_at: float
    attempts: int = 1
    burst: int = 1
    first_at: float = 0.0
    reported: bool = False


class RetryWatch:
    """Streaks of refused attempts per API key; the loops found so far in `loops`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._streaks: dict[str, _Streak] = {}
        self.loops: list[dict[str, Any]] = []

    @staticmethod
    def _fingerprint(call: Call, key: str) -> str:
        digest = hashlib.sha1(call.body).hexdigest()
        return f"{key}\0{call.method.upper()}\0{call.url}\0{digest}"

    def refused(self, call: Call, key: str, status: int, by: str, now: float) -> str | None:
        """Note a refused attempt; the alarm message when it closes a retry loop."""
        fingerprint = self._fingerprint(call, key)
        idem = call.headers.get("idempotency-key")
        with self._lock:
            streak = self._streaks.get(key)
            if streak is None or streak.fingerprint != fingerprint:
                if len(self._streaks) >= MAX_STREAKS:
                    self._streaks.clear()
                streak = _Streak(fingerprint, idem, now, first_at=now)
                self._streaks[key] = streak
            else:
                streak.burst += 1
                if (idem is not None and idem == streak.key) or now - streak.last_at >= MIN_PAUSE:
                    streak.attempts += 1
                streak.last_at = now
                streak.key = idem
            if streak.attempts <= LIMIT and streak.burst <= BURST:
                return None
            sent = max(streak.attempts, streak.burst)
            message = (
                f"novu-mock: {call.method.upper()} {call.url} was sent {sent} times in "
                f"{now - streak.first_at:.1f} s, each answered {status} by {by}: the client is "
                "retrying with backoff (novu-py and @novu/api retry 408, 409, 429 and 5xx for up "
                f"to an hour by default), so this test would hang. {TURN_OFF}"
            )
            if not streak.reported and len(self.loops) < MAX_LOOPS:
                streak.reported = True
                self.loops.append(
                    {
                        "kind": "retry-loop",
                        "key": key,
                        "method": call.method.upper(),
                        "path": call.url,
                        "attempts": sent,
                        "status": status,
                        "by": by,
                        "message": message,
                    }
                )
            return message

    def answered(self, key: str) -> None:
        """A call of this key went through: any streak is over."""
        if self._streaks:
            with self._lock:
                self._streaks.pop(key, None)

    def forget(self, key: str) -> None:
        """One environment was reset: its streak and loops are gone."""
        with self._lock:
            self._streaks.pop(key, None)
            self.loops[:] = [loop for loop in self.loops if loop["key"] != key]

    def reset(self) -> None:
        with self._lock:
            self._streaks.clear()
            self.loops.clear()
