"""Broadcast (contract 4.3, D13) and cancel (contract 4.4, D10)."""

from __future__ import annotations

from conftest import Api

BROADCAST = "/v1/events/trigger/broadcast"


def test_broadcast_reaches_every_subscriber(api: Api) -> None:
    # Novu's e2e "should broadcast trigger to all subscribers".
    response = api.post(BROADCAST, {"name": "welcome", "payload": {}})
    assert response.status_code == 201
    data = response.json()["data"]
    assert data["status"] == "processed"
    record = api.triggers()[0]
    assert record["source"] == "broadcast"
    assert set(record["recipients"]) == {s["subscriberId"] for s in api.state()["subscribers"]}


def test_broadcast_masks_other_statuses_as_processed(api: Api) -> None:
    response = api.post(
        BROADCAST, {"name": "status-inactive", "payload": {}, "transactionId": "b-1"}
    )
    assert response.json()["data"] == {
        "acknowledged": True,
        "status": "processed",
        "transactionId": "b-1",
    }
    record = api.triggers()[0]
    assert record["recipients"] == []
    assert record["notes"] == [
        "Novu answers processed for a broadcast but would deliver nothing: trigger_not_active"
    ]


def test_broadcast_ignores_forced_outcomes(api: Api) -> None:
    response = api.post(BROADCAST, {"name": "status-forced-error", "payload": {}})
    assert response.status_code == 422
    assert response.json()["message"] == "workflow_not_found"


def test_broadcast_requires_a_payload_object(api: Api) -> None:
    response = api.post(BROADCAST, {"name": "welcome"})
    assert response.status_code == 422
    assert response.json()["errors"] == {"payload": {"messages": ["payload must be an object"]}}


def test_broadcast_payload_schema_is_400(api: Api) -> None:
    response = api.post(BROADCAST, {"name": "status-schema", "payload": {}})
    assert response.status_code == 400
    assert response.json()["type"] == "PAYLOAD_VALIDATION_ERROR"


DELAYED = {
    "workflows": [
        {
            "workflowId": "later",
            "steps": [{"type": "delay", "amount": 1, "unit": "hours"}, {"type": "in_app"}],
        }
    ]
}


def test_cancel_pending_delayed_work_once(api: Api) -> None:
    # D10 revised: true only while the trigger has pending delayed or digest work.
    api.seed(DELAYED)
    api.post("/v1/events/trigger", {"name": "later", "to": "user-1", "transactionId": "c-1"})
    first = api.delete("/v1/events/trigger/c-1")
    assert first.status_code == 200
    assert first.json() == {"data": True}
    assert api.triggers()[0]["canceled"] is True
    assert api.delete("/v1/events/trigger/c-1").json() == {"data": False}


def test_cancel_without_pending_work_is_false(api: Api) -> None:
    # Everything of `welcome` was delivered at once: nothing is left to cancel.
    api.post("/v1/events/trigger", {"name": "welcome", "to": "user-1", "transactionId": "c-0"})
    assert api.delete("/v1/events/trigger/c-0").json() == {"data": False}
    assert api.triggers()[0]["canceled"] is False


def test_cancel_unknown_or_unprocessed_is_false(api: Api) -> None:
    assert api.delete("/v1/events/trigger/unknown").json() == {"data": False}
    api.post("/v1/events/trigger", {"name": "status-inactive", "to": "u", "transactionId": "c-2"})
    assert api.delete("/v1/events/trigger/c-2").json() == {"data": False}
    assert api.triggers()[0]["canceled"] is False


def test_cancel_is_per_environment(api: Api) -> None:
    api.seed(DELAYED)
    api.post("/v1/events/trigger", {"name": "later", "to": "user-1", "transactionId": "c-3"})
    other = api.delete("/v1/events/trigger/c-3", key=api.key + "-other")
    assert other.json() == {"data": False}
    assert api.delete("/v1/events/trigger/c-3").json() == {"data": True}
