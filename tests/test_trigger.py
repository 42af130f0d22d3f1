"""POST /v1/events/trigger (contract 4.1, 2.5, 8; decisions D1, D2, D3, D7, D8)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from conftest import Api

TXN = re.compile(r"^txn_[0-9a-f]{24}$")


def trigger(api: Api, body: dict[str, Any]) -> Any:
    return api.post("/v1/events/trigger", body)


def test_processed_answer_has_exactly_novus_keys(api: Api) -> None:
    response = trigger(api, {"name": "welcome", "to": "user-1", "payload": {"a": 1}})
    assert response.status_code == 201
    data = response.json()["data"]
    assert list(response.json()) == ["data"]
    assert set(data) == {"acknowledged", "status", "transactionId", "activityFeedLink"}
    assert data["acknowledged"] is True
    assert data["status"] == "processed"
    assert TXN.match(data["transactionId"])
    assert data["activityFeedLink"].startswith("https://dashboard.novu.co/env/")


def test_given_transaction_id_is_echoed(api: Api) -> None:
    data = trigger(api, {"name": "welcome", "to": "user-1", "transactionId": "my-txn"}).json()
    assert data["data"]["transactionId"] == "my-txn"


def test_generated_transaction_ids_are_unique(api: Api) -> None:
    ids = {
        trigger(api, {"name": "welcome", "to": "user-1"}).json()["data"]["transactionId"]
        for _ in range(5)
    }
    assert len(ids) == 5


def test_payload_is_optional(api: Api) -> None:
    assert trigger(api, {"name": "welcome", "to": "user-1"}).status_code == 201
    assert api.triggers()[0]["payload"] == {}


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (
            {},
            {
                "name": {
                    "messages": ["name should not be null or undefined", "name must be a string"]
                },
                "to": {"messages": ["to should not be null or undefined"]},
            },
        ),
        (
            {"name": 5, "to": "a", "payload": "x", "transactionId": 7},
            {
                "name": {"messages": ["name must be a string"], "value": 5},
                "payload": {"messages": ["payload must be an object"], "value": "x"},
                "transactionId": {"messages": ["transactionId must be a string"], "value": 7},
            },
        ),
        (
            {"name": "welcome", "to": None},
            {"to": {"messages": ["to should not be null or undefined"], "value": None}},
        ),
        (
            {"name": "welcome", "to": "a", "actor": {"email": "bad"}},
            {
                "actor.subscriberId": {
                    "messages": [
                        "actor.subscriberId should not be null or undefined",
                        "actor.subscriberId must be a string",
                    ]
                },
                "actor.email": {"messages": ["actor.email must be an email"], "value": "bad"},
            },
        ),
        (
            {"name": "welcome", "to": "a", "actor": 123},
            {
                "actor": {
                    "messages": ["nested property actor must be either object or array"],
                    "value": 123,
                }
            },
        ),
        (
            {"name": "welcome", "to": "a", "overrides": [1]},
            {"overrides": {"messages": ["overrides must be an object"], "value": [1]}},
        ),
        (
            {"name": "welcome", "to": "a", "tenant": {"identifier": 1}},
            {"tenant.identifier": {"messages": ["tenant.identifier must be a string"], "value": 1}},
        ),
    ],
)
def test_validation_failures_are_422_validation_error_dto(
    api: Api, body: dict[str, Any], errors: dict[str, Any]
) -> None:
    response = trigger(api, body)
    assert response.status_code == 422
    got = response.json()
    assert set(got) == {"statusCode", "timestamp", "path", "message", "ctx", "errors"}
    assert got["statusCode"] == 422
    assert got["message"] == "Validation failed"
    assert got["ctx"] == {}
    assert got["path"] == "/v1/events/trigger"
    assert got["errors"] == errors
    assert api.triggers() == []


def test_unknown_workflow_is_422_without_errors(api: Api) -> None:
    response = trigger(api, {"name": "no-such-workflow", "to": "user-1"})
    assert response.status_code == 422
    body = response.json()
    assert set(body) == {"statusCode", "timestamp", "path", "message", "error"}
    assert body["message"] == "workflow_not_found"
    assert body["error"] == "Unprocessable Entity"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"name": "status-inactive", "to": "u"}, "trigger_not_active"),
        ({"name": "status-no-steps", "to": "u"}, "no_workflow_steps_defined"),
        ({"name": "status-no-active-steps", "to": "u"}, "no_workflow_active_steps_defined"),
        ({"name": "status-processed", "to": "u", "tenant": "nope"}, "no_tenant_found"),
        (
            {"name": "status-processed", "to": "u", "tenant": {"identifier": "nope"}},
            "no_tenant_found",
        ),
        (
            {"name": "status-tenant-override", "to": "u", "tenant": "paused-tenant"},
            "trigger_not_active",
        ),
        ({"name": "status-processed", "to": "   "}, "invalid_recipients"),
        ({"name": "status-processed", "to": {"email": "no-id@example.com"}}, "invalid_recipients"),
        ({"name": "status-forced-error", "to": "u"}, "error"),
        ({"name": "status-subscriber-id-missing", "to": "u"}, "subscriber_id_missing"),
    ],
)
def test_non_processed_statuses_are_201_with_transaction_id(
    api: Api, body: dict[str, Any], status: str
) -> None:
    response = trigger(api, {**body, "transactionId": "t-1"})
    assert response.status_code == 201
    data = response.json()["data"]
    assert data["status"] == status
    assert data["transactionId"] == "t-1"
    assert data["acknowledged"] is True
    record = api.triggers()[0]
    assert record["status"] == status
    assert record["recipients"] == []


def test_forced_error_carries_its_messages(api: Api) -> None:
    data = trigger(api, {"name": "status-forced-error", "to": "u"}).json()["data"]
    assert data["error"] == ["simulated failure"]
    assert TXN.match(data["transactionId"])
    assert api.triggers()[0]["forced"] is True


def test_override_active_makes_inactive_workflow_triggerable_for_that_tenant(api: Api) -> None:
    api.seed(
        {
            "workflows": [
                {
                    "workflowId": "off",
                    "active": False,
                    "tenantOverrides": {"acme": {"active": True}},
                }
            ]
        }
    )
    assert trigger(api, {"name": "off", "to": "u"}).json()["data"]["status"] == "trigger_not_active"
    with_tenant = trigger(api, {"name": "off", "to": "u", "tenant": "acme"})
    assert with_tenant.json()["data"]["status"] == "processed"


def test_payload_schema_failure_is_400_payload_validation_exception(api: Api) -> None:
    response = trigger(api, {"name": "status-schema", "to": "u", "payload": {"other": 1}})
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "PAYLOAD_VALIDATION_ERROR"
    assert (
        body["message"]
        == "Payload validation failed: root.name: must have required property 'name'"
    )
    assert body["errors"] == [
        {
            "field": "root.name",
            "message": "must have required property 'name'",
            "value": {"other": 1},
            "schemaPath": "#/required",
        }
    ]
    assert body["schema"]["required"] == ["name"]
    assert "error" not in body


def test_payload_schema_type_error_names_the_field(api: Api) -> None:
    response = trigger(api, {"name": "status-schema", "to": "u", "payload": {"name": 5}})
    body = response.json()
    assert body["errors"][0]["field"] == "name"
    assert body["errors"][0]["message"] == "must be string"
    assert body["errors"][0]["schemaPath"] == "#/properties/name/type"


def test_payload_schema_pass(api: Api) -> None:
    response = trigger(api, {"name": "status-schema", "to": "u", "payload": {"name": "Ada"}})
    assert response.json()["data"]["status"] == "processed"


def test_schema_defaults_satisfy_required(api: Api) -> None:
    api.seed(
        {
            "workflows": [
                {
                    "workflowId": "defaults",
                    "payloadSchema": {
                        "type": "object",
                        "required": ["plan"],
                        "properties": {"plan": {"type": "string", "default": "free"}},
                    },
                }
            ]
        }
    )
    assert trigger(api, {"name": "defaults", "to": "u"}).json()["data"]["status"] == "processed"


def test_payload_over_512kb_is_413(api: Api) -> None:
    big = "x" * 524_300
    response = trigger(api, {"name": "welcome", "to": "u", "payload": {"blob": big}})
    assert response.status_code == 413
    body = response.json()
    size = len(('{"blob":"' + big + '"}').encode())
    assert body["message"] == (
        f"Payload size ({size} bytes) exceeds maximum allowed size of 524288 bytes (512KB). "
        "Note: Attachments are excluded from this limit."
    )
    assert set(body) == {"statusCode", "timestamp", "path", "message"}
    assert api.triggers() == []


def test_payload_just_under_the_limit_passes(api: Api) -> None:
    blob = "x" * (524_288 - len('{"blob":""}'))
    response = trigger(api, {"name": "welcome", "to": "u", "payload": {"blob": blob}})
    assert response.status_code == 201
