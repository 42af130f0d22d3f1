"""The /_mock admin endpoints (DESIGN section 6)."""

from __future__ import annotations

import re

from conftest import Api

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def test_health(api: Api) -> None:
    response = api.client.get(str(api.client.base_url).rstrip("/") + "/_mock/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_trigger_record_fields(api: Api) -> None:
    api.post(
        "/v1/events/trigger",
        {
            "name": "welcome",
            "to": ["user-1", {"type": "Topic", "topicKey": "beta-users"}],
            "payload": {"a": 1},
            "overrides": {"email": {"subject": "s"}},
            "actor": "user-3",
            "tenant": "acme",
            "transactionId": "rec-1",
        },
    )
    (record,) = api.triggers()
    assert ISO.match(record.pop("receivedAt"))
    assert record == {
        "transactionId": "rec-1",
        "workflowId": "welcome",
        "status": "processed",
        "error": None,
        "to": ["user-1", {"type": "Topic", "topicKey": "beta-users"}],
        "recipients": ["user-1", "user-2"],
        "payload": {"a": 1},
        "overrides": {"email": {"subject": "s"}},
        "actor": "user-3",
        "tenant": "acme",
        "source": "trigger",
        "bulkIndex": None,
        "canceled": False,
        "forced": False,
        "notes": [],
        "jobs": [],
        "environment": "****" + api.key[-4:],
    }


def test_trigger_filters(api: Api) -> None:
    events = [
        {"name": "welcome", "to": "user-1", "transactionId": "f-1"},
        {"name": "status-inactive", "to": "user-2", "transactionId": "f-2"},
        {
            "name": "welcome",
            "to": {"type": "Topic", "topicKey": "beta-users"},
            "transactionId": "f-3",
        },
    ]
    api.post("/v1/events/trigger/bulk", {"events": events})

    def ids(**filters: str) -> list[str]:
        return [r["transactionId"] for r in api.triggers(**filters)]

    assert ids() == ["f-1", "f-2", "f-3"]
    assert ids(workflowId="welcome") == ["f-1", "f-3"]
    assert ids(status="trigger_not_active") == ["f-2"]
    assert ids(transactionId="f-3") == ["f-3"]
    assert ids(subscriberId="user-2") == ["f-2", "f-3"]
    assert ids(subscriberId="user-1", workflowId="welcome") == ["f-1", "f-3"]


def test_request_journal(api: Api) -> None:
    api.post(
        "/v1/events/trigger",
        {"name": "welcome", "to": "user-1"},
        params={"a": ["1", "2"], "b": "x"},
    )
    api.get("/_mock/state")
    response = api.get("/_mock/requests")
    (record,) = response.json()["data"]
    assert record["method"] == "POST"
    assert record["path"] == "/v1/events/trigger"
    assert record["query"] == {"a": ["1", "2"], "b": "x"}
    assert record["headers"]["authorization"] == "ApiKey ****" + api.key[-4:]
    assert record["body"] == {"name": "welcome", "to": "user-1"}
    assert record["status"] == 201
    assert record["response"]["data"]["status"] == "processed"
    assert ISO.match(record["receivedAt"])
    assert record["durationMs"] >= 0
    assert record["environment"] == "****" + api.key[-4:]


def test_failed_and_unauthenticated_calls_are_journaled(api: Api) -> None:
    api.post("/v1/events/trigger", content="{", headers={"Content-Type": "application/json"})
    records = api.get("/_mock/requests").json()["data"]
    assert records[0]["status"] == 400
    assert records[0]["body"] == "{"


def test_reset_with_key_restores_fixtures_and_drops_records(api: Api) -> None:
    api.seed({"subscribers": [{"subscriberId": "temp"}]})
    api.post("/v1/events/trigger", {"name": "welcome", "to": "new-sub"})
    response = api.post("/_mock/reset")
    assert response.status_code == 204
    assert response.content == b""
    ids = [s["subscriberId"] for s in api.state()["subscribers"]]
    assert "temp" not in ids and "new-sub" not in ids
    assert api.triggers() == []
    assert api.get("/_mock/requests").json()["data"] == []


def test_reset_with_key_leaves_other_environments(api: Api) -> None:
    other = api.key + "-other"
    api.post("/v1/events/trigger", {"name": "welcome", "to": "user-1"}, key=other)
    api.post("/_mock/reset")
    assert len(api.get("/_mock/triggers", key=other).json()["data"]) == 1


def test_posted_fixtures_count_and_merge(api: Api) -> None:
    response = api.post(
        "/_mock/fixtures",
        {
            "workflows": [{"workflowId": "posted"}],
            "subscribers": [{"subscriberId": "p1"}, {"subscriberId": "p2"}],
            "topics": [{"key": "pt", "subscribers": ["p1", "user-1"]}],
        },
    )
    assert response.status_code == 201
    assert response.json() == {
        "data": {"workflows": 1, "subscribers": 2, "tenants": 0, "topics": 1}
    }
    data = api.post(
        "/v1/events/trigger", {"name": "posted", "to": {"type": "Topic", "topicKey": "pt"}}
    ).json()
    assert data["data"]["status"] == "processed"
    assert api.triggers()[0]["recipients"] == ["p1", "user-1"]


def test_invalid_posted_fixtures_are_422_with_paths(api: Api) -> None:
    response = api.post(
        "/_mock/fixtures", {"workflows": [{"workflowId": "w", "steps": [{"type": "mail"}]}]}
    )
    assert response.status_code == 422
    body = response.json()
    assert body["statusCode"] == 422
    assert list(body["errors"]) == ["workflows[0].steps[0].type"]
    assert body["errors"]["workflows[0].steps[0].type"]["messages"][0].startswith(
        "expected one of in_app"
    )


def test_api_keys_cannot_be_posted(api: Api) -> None:
    response = api.post("/_mock/fixtures", {"apiKeys": ["x"]})
    assert response.status_code == 422
    assert "apiKeys" in response.json()["errors"]


def test_settings_take_effect_at_run_time(api: Api) -> None:
    api.seed({"settings": {"recipientValidation": False}})
    data = api.post("/v1/events/trigger", {"name": "welcome", "to": " "}).json()["data"]
    assert data["status"] == "processed"


def test_state_without_key_lists_environments_masked(api: Api) -> None:
    api.post("/v1/events/trigger", {"name": "welcome", "to": "user-1"})
    url = str(api.client.base_url).rstrip("/") + "/_mock/state"
    data = api.client.get(url).json()["data"]
    assert "****" + api.key[-4:] in data
    assert api.key not in data


def test_admin_errors_use_novus_shape(api: Api) -> None:
    response = api.get("/_mock/nothing")
    assert response.status_code == 404
    assert response.json()["message"] == "Cannot GET /_mock/nothing"
