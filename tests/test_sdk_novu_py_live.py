"""The real novu-py SDK against a live `novu-mock serve` process (retries off)."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from novu_py import Novu, models
from novu_py.utils import BackoffStrategy, RetryConfig
from test_cli import serve

NO_RETRIES = RetryConfig("none", BackoffStrategy(0, 0, 0, 0), False)
SERVER: list[str] = []


@pytest.fixture(scope="module")
def novu() -> Iterator[Novu]:
    with serve() as (process, url):
        SERVER.append(url)
        yield Novu(secret_key="sdk-key", server_url=url, retry_config=NO_RETRIES, timeout_ms=5000)
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=10)


def test_trigger_parses(novu: Novu) -> None:
    result = novu.trigger(
        trigger_event_request_dto={"workflow_id": "welcome", "to": "user-1", "payload": {"k": 1}}
    ).result
    assert result.status == models.TriggerEventResponseDtoStatus.PROCESSED
    assert result.transaction_id is not None and result.transaction_id.startswith("txn_")


def test_bulk_with_every_recipient_shape_parses(novu: Novu) -> None:
    events: list[Any] = [
        {"workflow_id": "welcome", "to": "user-1"},
        {"workflow_id": "welcome", "to": {"subscriber_id": "user-2", "email": "a@example.com"}},
        {"workflow_id": "welcome", "to": {"topic_key": "beta-users", "type": "Topic"}},
        {"workflow_id": "welcome", "to": ["user-3", {"topic_key": "beta-users", "type": "Topic"}]},
        {"workflow_id": "no-such-workflow", "to": "user-1"},
    ]
    result = novu.trigger_bulk(
        bulk_trigger_event_dto=models.BulkTriggerEventDto(events=events)
    ).result
    assert [r.status.value for r in result] == ["processed"] * 4 + ["error"]
    assert result[4].error == ["workflow_not_found"]


def test_broadcast_and_cancel_parse(novu: Novu) -> None:
    # Cancel answers true while the trigger has pending delayed work (D10 revised).
    later = {
        "workflowId": "later",
        "steps": [{"type": "delay", "amount": 1, "unit": "hours"}, {"type": "in_app"}],
    }
    seeded = httpx.post(
        SERVER[0] + "/_mock/fixtures",
        json={"workflows": [later]},
        headers={"Authorization": "ApiKey sdk-key"},
    )
    assert seeded.status_code == 201, seeded.text
    broadcast = novu.trigger_broadcast(
        trigger_event_to_all_request_dto={"name": "later", "payload": {}}
    ).result
    assert broadcast.status == models.TriggerEventResponseDtoStatus.PROCESSED
    assert novu.cancel(transaction_id=broadcast.transaction_id or "").result is True
    assert novu.cancel(transaction_id="never-sent").result is False


def test_async_trigger_parses(novu: Novu) -> None:
    import asyncio

    async def run() -> models.TriggerEventResponseDto:
        async with httpx.AsyncClient() as client:
            sdk = Novu(
                secret_key="sdk-key",
                server_url=novu.sdk_configuration.server_url,
                retry_config=NO_RETRIES,
                async_client=client,
            )
            response = await sdk.trigger_async(
                trigger_event_request_dto={"workflow_id": "welcome", "to": "user-1"}
            )
            return response.result

    assert asyncio.run(run()).status == models.TriggerEventResponseDtoStatus.PROCESSED


def test_typed_errors(novu: Novu) -> None:
    with pytest.raises(models.ValidationErrorDto) as validation:
        novu.trigger_bulk(
            bulk_trigger_event_dto={"events": [{"workflow_id": "welcome", "to": "u"}] * 101}
        )
    assert validation.value.data.errors["events"].messages == [
        "events must contain no more than 100 elements"
    ]
    with pytest.raises(models.PayloadValidationExceptionDto) as payload:
        novu.trigger(trigger_event_request_dto={"workflow_id": "password-reset", "to": "u"})
    assert payload.value.data.type == "PAYLOAD_VALIDATION_ERROR"
    with pytest.raises(models.ResponseValidationError):
        # D7: Novu's workflow_not_found 422 has no `errors`, so novu-py cannot type it either.
        novu.trigger(trigger_event_request_dto={"workflow_id": "no-such-workflow", "to": "u"})
