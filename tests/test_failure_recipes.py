"""The README "Testing failure handling" recipes, with the real novu-py SDK.

Retries are on only where the recipe is about retrying, and then bounded to a few seconds.
"""

from __future__ import annotations

import httpx
import novu_py
import pytest
from novu_py.utils import BackoffStrategy, RetryConfig

from novu_mock import NovuMock

NO_RETRY = RetryConfig("none", BackoffStrategy(0, 0, 0, 0), False)
FAST_RETRY = RetryConfig("backoff", BackoffStrategy(10, 50, 1.1, 5000), False)
DTO = novu_py.TriggerEventRequestDto(workflow_id="welcome", to="user-1")


def test_503_then_success_is_retried(novu_mock: NovuMock) -> None:
    novu_mock.add_workflow("welcome")
    novu_mock.fail_next(503, times=2, retry_after=0.01)
    novu = novu_py.Novu(secret_key="test-key", retry_config=FAST_RETRY)
    result = novu.trigger(trigger_event_request_dto=DTO)
    assert result.result.status == "processed"
    assert [r["status"] for r in novu_mock.requests] == [503, 503, 201]
    novu_mock.assert_triggered("welcome", times=1)


def test_each_retry_carries_a_new_key_unless_the_caller_passes_one(novu_mock: NovuMock) -> None:
    novu_mock.add_workflow("welcome")
    novu = novu_py.Novu(secret_key="test-key", retry_config=FAST_RETRY)
    novu_mock.fail_next(503, retry_after=0.01)
    novu.trigger(trigger_event_request_dto=DTO)
    novu_mock.fail_next(503, retry_after=0.01)
    novu.trigger(trigger_event_request_dto=DTO, idempotency_key="order-42")
    keys = [r["headers"]["idempotency-key"] for r in novu_mock.requests]
    assert keys[0] != keys[1]
    assert keys[2] == keys[3] == "order-42"


def test_duplicate_submission_with_an_idempotency_key(novu_mock: NovuMock) -> None:
    novu_mock.add_workflow("welcome")
    novu = novu_py.Novu(secret_key="test-key", retry_config=NO_RETRY)
    first = novu.trigger(trigger_event_request_dto=DTO, idempotency_key="order-42")
    second = novu.trigger(trigger_event_request_dto=DTO, idempotency_key="order-42")
    assert first.result.transaction_id == second.result.transaction_id
    assert second.headers["idempotency-replay"] == ["true"]
    novu_mock.assert_triggered("welcome", times=1)


@pytest.mark.novu_mock(rate_limits={"trigger": 1})
def test_429_storm(novu_mock: NovuMock) -> None:
    novu_mock.add_workflow("welcome")
    novu = novu_py.Novu(secret_key="test-key", retry_config=NO_RETRY)
    outcomes = []
    for _ in range(8):
        try:
            novu.trigger(trigger_event_request_dto=DTO)
            outcomes.append(201)
        except novu_py.models.APIError as exc:
            outcomes.append(exc.status_code)
    assert outcomes == [201] * 5 + [429] * 3
    novu_mock.assert_triggered("welcome", times=5)


def test_timeout(novu_mock: NovuMock) -> None:
    novu_mock.add_fault({"connection": "timeout", "times": 1})
    novu = novu_py.Novu(secret_key="test-key", retry_config=NO_RETRY)
    with pytest.raises(httpx.TimeoutException):
        novu.trigger(trigger_event_request_dto=DTO)
    assert novu_mock.triggers == []
