"""RateLimit headers and 429s (contract section 7, decision D12)."""

from __future__ import annotations

import httpx
import pytest
from conftest import FIXTURES, Api

from novu_mock import Clock, NovuMock
from novu_mock._model.environment import Environment
from novu_mock._policies.rate_limits import RateLimiter

TRIGGER = "/v1/events/trigger"
BULK = "/v1/events/trigger/bulk"
EVENT = {"name": "welcome", "to": "user-1"}


def _policy(limit: int, burst: int, category: str, cost: str, level: str) -> str:
    return (
        f'{limit};w=5;burst={burst};comment="token bucket";category="{category}";'
        f'cost="{cost}";serviceLevel="{level}"'
    )


def test_unlimited_level_headers_without_configured_limits(api: Api) -> None:
    first = api.post(TRIGGER, EVENT)
    assert first.headers["RateLimit-Limit"] == "30000"
    assert first.headers["RateLimit-Remaining"] == "32999"
    assert first.headers["RateLimit-Reset"] == "5"
    assert first.headers["RateLimit-Policy"] == _policy(
        30000, 33000, "trigger", "single", "unlimited"
    )
    bulk = api.post(BULK, {"events": [EVENT]})
    assert bulk.headers["RateLimit-Remaining"] == "32899"
    assert bulk.headers["RateLimit-Policy"] == _policy(30000, 33000, "trigger", "bulk", "unlimited")


def test_no_headers_on_admin_calls_or_refused_authentication(api: Api) -> None:
    assert "RateLimit-Limit" not in api.get("/_mock/health").headers
    refused = api.post(TRIGGER, EVENT, headers={"Authorization": "Bearer x"})
    assert refused.status_code == 401
    assert "RateLimit-Limit" not in refused.headers


def test_configured_limit_refuses_with_429_and_costs_nothing(api: Api) -> None:
    api.seed({"rateLimits": {"trigger": 1}})  # 5 per window, burst floor(5.5) = 5
    remaining = []
    for _ in range(5):
        response = api.post(TRIGGER, EVENT)
        assert response.status_code == 201
        remaining.append(response.headers["RateLimit-Remaining"])
    assert remaining == ["4", "3", "2", "1", "0"]
    refused = api.post(TRIGGER, EVENT)
    assert refused.status_code == 429
    body = refused.json()
    assert set(body) == {"statusCode", "timestamp", "path", "message"}
    assert body["message"] == "API rate limit exceeded"
    assert refused.headers["Retry-After"] == refused.headers["RateLimit-Reset"]
    assert 0 <= int(refused.headers["Retry-After"]) <= 5
    assert refused.headers["RateLimit-Policy"] == _policy(5, 5, "trigger", "single", "custom")
    assert len(api.triggers()) == 5


def test_errors_cost_tokens_and_carry_headers(api: Api) -> None:
    api.seed({"rateLimits": {"trigger": 2}})
    invalid = api.post(TRIGGER, {"to": "user-1"})
    assert invalid.status_code == 422
    assert invalid.headers["RateLimit-Remaining"] == "10"


def test_bulk_costs_100(api: Api) -> None:
    api.seed({"rateLimits": {"trigger": 30}})  # limit 150, burst 165
    assert api.post(BULK, {"events": [EVENT]}).headers["RateLimit-Remaining"] == "65"
    assert api.post(BULK, {"events": [EVENT]}).status_code == 429
    single = api.post(TRIGGER, EVENT)
    assert single.status_code == 201
    assert single.headers["RateLimit-Remaining"] == "64"


def test_a_category_left_out_stays_unlimited(api: Api) -> None:
    api.seed({"rateLimits": {"configuration": 1}})
    response = api.post(TRIGGER, EVENT)
    assert response.headers["RateLimit-Policy"].endswith('serviceLevel="unlimited"')


def test_tokens_refill_per_window_on_the_engine_clock() -> None:
    clock = Clock(frozen=1_000_000.0)
    mock = NovuMock(FIXTURES, clock=clock)
    mock.set_rate_limits({"trigger": 1})
    with mock.intercept(), httpx.Client(base_url="https://api.novu.co") as client:
        auth = {"Authorization": "ApiKey k"}
        statuses = [client.post(TRIGGER, json=EVENT, headers=auth).status_code for _ in range(6)]
        assert statuses == [201] * 5 + [429]
        clock.advance(4.9)
        refused = client.post(TRIGGER, json=EVENT, headers=auth)
        assert (refused.status_code, refused.headers["Retry-After"]) == (429, "1")
        clock.advance(0.1)
        refilled = client.post(TRIGGER, json=EVENT, headers=auth)
        assert refilled.status_code == 201
        assert refilled.headers["RateLimit-Remaining"] == "4"
        mock.reset()  # limits set for every environment stay; buckets are full again
        assert client.post(TRIGGER, json=EVENT, headers=auth).headers["RateLimit-Remaining"] == "4"


@pytest.mark.parametrize(
    ("category", "limit"), [("trigger", 30000), ("configuration", 10000), ("global", 15000)]
)
def test_categories_have_their_own_buckets(category: str, limit: int) -> None:
    env = Environment("k", [{"rateLimits": {"global": 2}}], 0.0)
    limiter = RateLimiter()
    for _ in range(11):
        limiter.evaluate(env, "global", "single", 0.0)
    verdict = limiter.evaluate(env, category, "single", 0.0)
    headers = dict(verdict.headers)
    if category == "global":
        assert verdict.refusal is not None and verdict.refusal.status == 429
        assert headers["RateLimit-Limit"] == "10"
    else:
        assert verdict.refusal is None
        assert headers["RateLimit-Limit"] == str(limit)
        assert headers["RateLimit-Remaining"] == str(int(limit * 1.1) - 1)
