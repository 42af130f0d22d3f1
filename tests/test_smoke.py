from __future__ import annotations

from conftest import Api


def test_trigger_is_processed_and_journaled(api: Api) -> None:
    response = api.post("/v1/events/trigger", {"name": "welcome", "to": "user-1"})
    assert response.status_code == 201
    body = response.json()
    assert body["data"]["status"] == "processed"
    assert api.triggers()[0]["transactionId"] == body["data"]["transactionId"]
