"""The operations every SDK runs against the mock, as wire-shaped (camelCase) data.

Shared by the Python matrix and, as JSON on stdin, by the Node scripts, so every SDK sends the
same intents. Workflows, subscribers, tenants and topics come from fixtures/statuses.yaml.
"""

from __future__ import annotations

from typing import Any

PAYLOAD: dict[str, Any] = {"name": "Ada", "order": {"id": "A-1", "items": [1, 2]}}

#: One bulk event per recipient shape the API takes.
RECIPIENT_SHAPES: list[tuple[str, Any]] = [
    ("string", "status-user"),
    (
        "subscriber",
        {"subscriberId": "sdk-new-user", "email": "new@example.com", "firstName": "New"},
    ),
    ("topic", {"type": "Topic", "topicKey": "status-topic"}),
    (
        "mixed",
        [
            "status-user",
            {"subscriberId": "sdk-other-user"},
            {"type": "Topic", "topicKey": "status-topic"},
        ],
    ),
]
#: subscriberIds each shape reaches (status-topic holds status-user).
RECIPIENTS_REACHED: dict[str, set[str]] = {
    "string": {"status-user"},
    "subscriber": {"sdk-new-user"},
    "topic": {"status-user"},
    "mixed": {"status-user", "sdk-other-user"},
}

#: (expected status, event): every status Novu documents, each reached on purpose. Each event
#: carries a transactionId, which every status object then echoes (contract D3).
STATUS_EVENTS: list[tuple[str, dict[str, Any]]] = [
    ("processed", {"name": "status-processed", "to": "status-user"}),
    ("trigger_not_active", {"name": "status-inactive", "to": "status-user"}),
    ("no_workflow_steps_defined", {"name": "status-no-steps", "to": "status-user"}),
    ("no_workflow_active_steps_defined", {"name": "status-no-active-steps", "to": "status-user"}),
    (
        "trigger_not_active",
        {"name": "status-tenant-override", "to": "status-user", "tenant": "paused-tenant"},
    ),
    ("error", {"name": "status-schema", "to": "status-user", "payload": {"other": 1}}),
    ("error", {"name": "no-such-workflow", "to": "status-user"}),
    ("invalid_recipients", {"name": "status-processed", "to": " "}),
    ("no_tenant_found", {"name": "status-processed", "to": "status-user", "tenant": "nope"}),
    ("error", {"name": "status-forced-error", "to": "status-user"}),
]


def status_events(prefix: str) -> list[dict[str, Any]]:
    """STATUS_EVENTS with a payload and a distinct transactionId each."""
    return [
        {"payload": PAYLOAD, **event, "transactionId": f"{prefix}-{index}"}
        for index, (_, event) in enumerate(STATUS_EVENTS)
    ]


def recipient_events() -> list[dict[str, Any]]:
    return [
        {"name": "status-processed", "to": to, "payload": PAYLOAD} for _, to in RECIPIENT_SHAPES
    ]


def too_many_events() -> list[dict[str, Any]]:
    """101 events: one over Novu's bulk limit."""
    return [{"name": "status-processed", "to": "status-user", "payload": {}}] * 101


#: Everything the Node scripts need, sent to them as JSON.
NODE_INPUT: dict[str, Any] = {
    "payload": PAYLOAD,
    "recipientEvents": recipient_events(),
    "statusEvents": status_events("node"),
    "tooManyEvents": too_many_events(),
}

#: `status-processed` with a delay first, seeded for the cancel cases: cancel answers true only
#: while a trigger has pending delayed or digest work (contract D10 revised).
DELAYED_PROCESSED: dict[str, Any] = {
    "workflows": [
        {
            "workflowId": "status-processed",
            "steps": [{"type": "delay", "amount": 1, "unit": "hours"}, {"type": "in_app"}],
        }
    ]
}
