"""POST /v1/events/trigger/bulk (contract 2; decisions D3, D5, D6, D8)."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import Api

BULK = "/v1/events/trigger/bulk"
ENVELOPE_ALL = [
    "events must contain no more than 100 elements",
    "events should not be empty",
    "events must be an array",
]


@pytest.mark.parametrize(
    ("body", "messages", "value"),
    [
        ({}, ENVELOPE_ALL, "absent"),
        ({"events": {"a": 1}}, ENVELOPE_ALL, {"a": 1}),
        ({"events": "x"}, ENVELOPE_ALL, "x"),
        ({"events": []}, ["events should not be empty"], []),
    ],
)
def test_envelope_errors_are_422(
    api: Api, body: dict[str, Any], messages: list[str], value: Any
) -> None:
    response = api.post(BULK, body)
    assert response.status_code == 422
    got = response.json()
    assert got["message"] == "Validation failed"
    assert got["ctx"] == {}
    assert got["errors"]["events"]["messages"] == messages
    if value == "absent":
        assert "value" not in got["errors"]["events"]
    else:
        assert got["errors"]["events"]["value"] == value


def test_more_than_100_events_is_422(api: Api) -> None:
    # Novu's e2e "should throw an error when sending more than 100 events" (NEW: 422).
    events = [{"name": "welcome", "to": "user-1"}] * 101
    response = api.post(BULK, {"events": events})
    assert response.status_code == 422
    assert response.json()["errors"]["events"]["messages"][0] == (
        "events must contain no more than 100 elements"
    )
    assert api.triggers() == []


def test_100_events_are_answered_in_order(api: Api) -> None:
    events = [{"name": "welcome", "to": f"sub-{i}", "transactionId": f"t-{i}"} for i in range(100)]
    response = api.post(BULK, {"events": events})
    assert response.status_code == 201
    data = response.json()["data"]
    assert [item["transactionId"] for item in data] == [f"t-{i}" for i in range(100)]
    records = api.triggers()
    assert [r["bulkIndex"] for r in records] == list(range(100))
    assert {r["source"] for r in records} == {"bulk"}


def test_one_bad_event_does_not_fail_the_others(api: Api) -> None:
    # Novu's e2e "should handle bulk if one of the events returns errors".
    events: list[Any] = [
        {"name": "no-such-workflow", "to": "user-1", "payload": {}},
        {"name": "welcome", "to": "user-1", "payload": {}},
        {"payload": {"name": ""}},
    ]
    response = api.post(BULK, {"events": events})
    assert response.status_code == 201
    data = response.json()["data"]
    assert len(data) == 3
    assert data[0] == {"acknowledged": True, "status": "error", "error": ["workflow_not_found"]}
    assert data[1]["status"] == "processed"
    assert data[2] == {
        "acknowledged": True,
        "status": "error",
        "error": [
            "to should not be null or undefined",
            "identifier should not be null or undefined",
            "identifier must be a string",
        ],
    }


@pytest.mark.parametrize(
    ("event", "messages"),
    [
        ({"name": 5, "to": "u"}, ["identifier must be a string"]),
        ({"name": "welcome", "to": "u", "transactionId": 7}, ["transactionId must be a string"]),
        (
            {"name": "welcome", "to": "u", "actor": 123},
            ["nested property actor must be either object or array"],
        ),
        ({"name": "welcome"}, ["to should not be null or undefined"]),
        (
            "not-an-object",
            [
                "to should not be null or undefined",
                "identifier should not be null or undefined",
                "identifier must be a string",
            ],
        ),
    ],
)
def test_bad_events_are_error_items_in_place(api: Api, event: Any, messages: list[str]) -> None:
    response = api.post(BULK, {"events": [{"name": "welcome", "to": "u"}, event]})
    data = response.json()["data"]
    assert data[0]["status"] == "processed"
    assert data[1]["status"] == "error"
    assert data[1]["error"] == messages
    assert api.triggers()[1]["status"] == "error"


def test_error_item_carries_the_events_transaction_id_only_when_sent(api: Api) -> None:
    events = [
        {"name": "no-such-workflow", "to": "u", "transactionId": "mine"},
        {"name": "no-such-workflow", "to": "u"},
    ]
    data = api.post(BULK, {"events": events}).json()["data"]
    assert data[0]["transactionId"] == "mine"
    assert "transactionId" not in data[1]


def test_payload_is_optional_per_event(api: Api) -> None:
    data = api.post(BULK, {"events": [{"name": "welcome", "to": "u"}]}).json()["data"]
    assert data[0]["status"] == "processed"


def test_every_documented_status_in_one_bulk(api: Api) -> None:
    events = [
        {"name": "status-processed", "to": "status-user"},
        {"name": "no-such-workflow", "to": "status-user"},
        {"name": "status-inactive", "to": "status-user"},
        {"name": "status-no-steps", "to": "status-user"},
        {"name": "status-no-active-steps", "to": "status-user"},
        {"name": "status-processed", "to": "status-user", "tenant": "nope"},
        {"name": "status-processed", "to": " "},
        {"name": "status-subscriber-id-missing", "to": "status-user"},
    ]
    data = api.post(BULK, {"events": events}).json()["data"]
    assert [item["status"] for item in data] == [
        "processed",
        "error",
        "trigger_not_active",
        "no_workflow_steps_defined",
        "no_workflow_active_steps_defined",
        "no_tenant_found",
        "invalid_recipients",
        "subscriber_id_missing",
    ]


def test_payload_schema_failure_is_an_error_item(api: Api) -> None:
    data = api.post(BULK, {"events": [{"name": "status-schema", "to": "u"}]}).json()["data"]
    assert data[0] == {
        "acknowledged": True,
        "status": "error",
        "error": ["Payload validation failed: root.name: must have required property 'name'"],
    }


def test_an_oversized_event_payload_fails_the_whole_bulk_with_413(api: Api) -> None:
    big = {"blob": "y" * 524_300}
    events = [{"name": "welcome", "to": "u"}, {"name": "welcome", "to": "u", "payload": big}]
    response = api.post(BULK, {"events": events})
    assert response.status_code == 413
    message = response.json()["message"]
    assert message.startswith('Event at index 1 (workflow: "welcome") has payload size (')
    assert message.endswith(
        "exceeds maximum allowed size of 524288 bytes (512KB). "
        "Note: Attachments are excluded from this limit."
    )
    assert api.triggers() == []
