"""`extract`: which items a recording shows existed before the recorded calls, and how."""

from __future__ import annotations

from typing import Any

from novu_mock._fixtures import load
from novu_mock._proxy.extract import extract


def line(method: str, path: str, status: int, answer: Any, body: Any = None) -> dict[str, Any]:
    return {
        "method": method,
        "path": path,
        "body": body,
        "upstreamStatus": status,
        "upstreamBody": answer,
    }


def test_items_created_or_missing_before_the_calls_are_left_out() -> None:
    doc = extract(
        [
            line("GET", "/v2/subscribers/ghost", 404, {"message": "not found"}),
            line("POST", "/v2/subscribers", 201, {"data": {"subscriberId": "new"}}),
            line("GET", "/v2/subscribers/new", 200, {"data": {"subscriberId": "new"}}),
            line(
                "GET", "/v2/subscribers/old", 200, {"data": {"subscriberId": "old", "email": "o@x"}}
            ),
            line("DELETE", "/v2/subscribers/old", 200, {"data": {"acknowledged": True}}),
            line("POST", "/v2/subscribers", 201, {"data": {"subscriberId": "ghost"}}),
            line("GET", "/v2/subscribers/ghost", 200, {"data": {"subscriberId": "ghost"}}),
        ]
    )
    assert doc == {"subscribers": [{"subscriberId": "old", "email": "o@x"}]}


def test_workflows_from_listings_and_from_trigger_statuses() -> None:
    listing = {
        "data": {
            "workflows": [
                {"workflowId": "a", "name": "A", "status": "INACTIVE", "steps": [{"type": "sms"}]},
            ],
            "totalCount": 1,
        }
    }
    v1 = {
        "data": [
            {
                "name": "B",
                "active": True,
                "steps": [{"stepId": "s", "active": False, "template": {"type": "email"}}],
                "triggers": [{"identifier": "b"}],
            }
        ]
    }
    events = [
        {"name": "c", "to": "u"},
        {"name": "d", "to": "u"},
        {"name": "gone", "to": "u"},
        {"name": "e", "to": "u", "tenant": "t"},
        {"name": "e", "to": "u"},
    ]
    answers = [
        {"status": "no_workflow_steps_defined"},
        {"status": "no_workflow_active_steps_defined"},
        {"status": "error", "error": ["workflow_not_found"]},
        {"status": "trigger_not_active"},
        {"status": "processed"},
    ]
    doc = extract(
        [
            line("GET", "/v2/workflows", 200, listing),
            line("GET", "/v1/workflows", 200, v1),
            line("POST", "/v1/events/trigger/bulk", 201, {"data": answers}, {"events": events}),
        ]
    )
    load([doc])
    assert doc["workflows"] == [
        {"workflowId": "a", "name": "A", "active": False, "steps": [{"type": "sms"}]},
        {
            "workflowId": "b",
            "name": "B",
            "active": True,
            "steps": [{"type": "email", "stepId": "s", "active": False}],
        },
        {"workflowId": "c", "steps": []},
        {"workflowId": "d", "steps": [{"type": "in_app", "active": False}]},
        {"workflowId": "e", "tenantOverrides": {"t": {"active": False}}},
    ]
    assert doc["tenants"] == [{"identifier": "t"}]
    assert doc["subscribers"] == [{"subscriberId": "u"}]


def test_topic_members_become_subscribers_so_the_document_is_valid() -> None:
    doc = extract(
        [
            line(
                "GET",
                "/v1/topics",
                200,
                {"data": [{"key": "team", "name": "Team", "subscribers": ["x", "y"]}], "page": 0},
            ),
            line(
                "GET",
                "/v1/topics/team",
                200,
                {"data": {"key": "team", "name": "Team", "subscribers": ["x", "y", "z"]}},
            ),
        ]
    )
    load([doc])
    assert doc["topics"] == [{"key": "team", "name": "Team", "subscribers": ["x", "y"]}]
    assert doc["subscribers"] == [{"subscriberId": "x"}, {"subscriberId": "y"}]


def test_failed_exchanges_and_other_paths_show_nothing() -> None:
    assert (
        extract(
            [
                {"method": "GET", "path": "/v2/subscribers/a", "upstreamStatus": None},
                line("GET", "/_mock/state", 200, {"data": {}}),
                line("POST", "/v1/events/trigger", 422, {"message": "workflow_not_found"}),
            ]
        )
        == {}
    )
