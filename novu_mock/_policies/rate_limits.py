"""Novu's API rate limiter: a token bucket per environment and category (contract section 7)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .._core.errors import RATE_LIMITED, NovuError

if TYPE_CHECKING:
    from .._model.environment import Environment

WINDOW = 5  # seconds
BURST_ALLOWANCE = 0.1
COSTS = {"single": 1, "bulk": 100}
UNLIMITED = {"trigger": 6000, "configuration": 2000, "global": 3000}  # requests per second


@dataclass(slots=True)
class _Bucket:
    limit: int
    burst: int
    tokens: int
    refilled_at: float


@dataclass(frozen=True, slots=True)
class Verdict:
    """The limiter's answer: the RateLimit headers and, when refused, the 429 to send."""

    headers: list[tuple[str, str]]
    refusal: NovuError | None = None


class RateLimiter:
    """Token buckets per category, kept by each environment (`Environment.buckets`), on the
    engine's clock.

    An environment without `rateLimits` (or a category it leaves out) gets the "unlimited"
    service level: headers are computed as Novu's, but nothing is refused (decision D12).
    """

    def evaluate(self, env: Environment, category: str, cost_name: str, now: float) -> Verdict:
        """Take the request's tokens, or refuse it without taking any."""
        custom = env.rate_limits or {}
        per_second = custom.get(category)
        level = "custom" if per_second is not None else "unlimited"
        if per_second is None:
            per_second = UNLIMITED.get(category, UNLIMITED["global"])
        limit = max(1, math.floor(per_second * WINDOW + 1e-9))
        burst = math.floor(limit * (1 + BURST_ALLOWANCE) + 1e-9)
        cost = COSTS.get(cost_name, 1)

        bucket: _Bucket | None = env.buckets.get(category)
        if bucket is None or bucket.limit != limit:
            bucket = _Bucket(limit, burst, burst, now)
            env.buckets[category] = bucket
        refills = max(0, math.floor((now - bucket.refilled_at) / WINDOW))
        if refills:
            bucket.tokens = min(burst, bucket.tokens + refills * limit)
            bucket.refilled_at += refills * WINDOW

        refused = bucket.tokens < cost and level == "custom"
        if not refused:
            bucket.tokens = max(0, bucket.tokens - cost)
        remaining = 0 if refused else bucket.tokens
        reset = str(max(math.ceil(bucket.refilled_at + WINDOW - now), 0))
        policy = (
            f'{limit};w={WINDOW};burst={burst};comment="token bucket";'
            f'category="{category}";cost="{cost_name}";serviceLevel="{level}"'
        )
        headers = [
            ("RateLimit-Remaining", str(remaining)),
            ("RateLimit-Limit", str(limit)),
            ("RateLimit-Reset", reset),
            ("RateLimit-Policy", policy),
        ]
        if not refused:
            return Verdict(headers)
        return Verdict(
            headers, NovuError(429, RATE_LIMITED, reason=False, headers=[("Retry-After", reset)])
        )
