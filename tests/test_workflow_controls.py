"""A workflow created through `POST /v2/workflows` delivers what its steps' control values say:
`subject`/`body`/`avatar`/`redirect` render as Liquid, and `skip` (Novu's step conditions) skips
the step when its JSON Logic is false (HTTP on both transports, and novu-py 3.19.0)."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import Api

novu_py = pytest.importorskip("novu_py")
from novu_py.utils import BackoffStrategy, RetryConfig  # noqa: E402

ADA = {"subscriberId": "ada", "email": "ada@example.com", "phone": "+15550001", "firstName": "Ada"}
STEPS: list[dict[str, Any]] = [
    {
        "name": "Inbox",
        "type": "in_app",
        "controlValues": {
            "subject": "Hi {{ subscriber.firstName }}",
            "body": "Order {{ payload.id }} shipped",
            "avatar": "https://example.com/a.png",
            "redirect": {"url": "https://shop.example/{{ payload.id }}", "target": "_blank"},
        },
    },
    {
        "name": "VIP mail",
        "type": "email",
        "controlValues": {
            "subject": "Your order {{ payload.id }}",
            "body": "<p>Thanks, {{ subscriber.firstName }}</p>",
            # Novu's "step conditions": the step runs only when this holds.
            "skip": {"==": [{"var": "payload.vip"}, True]},
        },
    },
    {"name": "Text", "type": "sms", "controlValues": {"body": "Order {{ payload.id }}"}},
]


def create(api: Api, **body: Any) -> Any:
    document = {"name": "Order shipped", "workflowId": "order-shipped-v2", "steps": STEPS, **body}
    return api.post("/v2/workflows", document)


def trigger(api: Api, payload: dict[str, Any]) -> None:
    body = {"name": "order-shipped-v2", "to": "ada", "payload": payload}
    response = api.post("/v1/events/trigger", body)
    assert response.status_code == 201, response.text
    assert response.json()["data"]["status"] == "processed", response.text


def messages(api: Api) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = api.get("/_mock/messages").json()["data"]
    return data


def test_created_workflow_renders_its_control_values_and_honours_skip(api: Api) -> None:
    api.seed({"subscribers": [ADA]})
    response = create(api)
    assert response.status_code == 201, response.text
    created = response.json()["data"]
    assert [s["stepId"] for s in created["steps"]] == ["inbox", "vip-mail", "text"]
    assert created["steps"][1]["controlValues"]["skip"] == STEPS[1]["controlValues"]["skip"]

    trigger(api, {"id": 7, "vip": False})
    got = {m["channel"]: m for m in messages(api)}
    assert sorted(got) == ["in_app", "sms"]
    assert (got["in_app"]["subject"], got["in_app"]["content"]) == ("Hi Ada", "Order 7 shipped")
    assert got["in_app"]["cta"]["data"] == {"url": "https://shop.example/7"}
    assert got["in_app"]["avatar"] == "https://example.com/a.png"
    assert got["sms"]["content"] == "Order 7"
    [skip] = api.get("/_mock/skips").json()["data"]
    assert (skip["stepId"], skip["reason"]) == ("vip-mail", "condition")

    trigger(api, {"id": 8, "vip": True})
    [mail] = [m for m in messages(api) if m["channel"] == "email"]
    assert (mail["subject"], mail["content"]) == ("Your order 8", "<p>Thanks, Ada</p>")
    # The stored workflow answers GET with the same control values.
    got_back = api.get("/v2/workflows/order-shipped-v2").json()["data"]
    assert got_back["steps"][0]["controlValues"]["body"] == "Order {{ payload.id }} shipped"


def test_skip_sees_is_online_false_until_the_subscriber_is_seen_online(api: Api) -> None:
    api.seed({"subscribers": [ADA]})
    offline_only = {"===": [{"var": "subscriber.isOnline"}, False]}
    step = {
        "name": "Mail",
        "type": "email",
        "controlValues": {"subject": "s", "skip": offline_only},
    }
    assert create(api, steps=[step]).status_code == 201
    trigger(api, {})
    online = api.patch("/v1/subscribers/ada/online-status", {"isOnline": True})
    assert online.status_code == 200, online.text
    trigger(api, {})
    assert [m["channel"] for m in messages(api)] == ["email"]  # the first trigger only
    assert [s["reason"] for s in api.get("/_mock/skips").json()["data"]] == ["condition"]


def test_created_workflow_defaults_and_settings(api: Api) -> None:
    api.seed({"subscribers": [ADA]})
    response = create(
        api,
        severity="high",
        payloadSchema={"type": "object", "required": ["id"]},
        preferences={
            "workflow": {"all": {"enabled": True}, "channels": {"sms": {"enabled": False}}}
        },
    )
    assert response.status_code == 201, response.text
    view = response.json()["data"]
    assert (view["active"], view["severity"], view["validatePayload"]) == (True, "high", True)
    missing = api.post("/v1/events/trigger", {"name": "order-shipped-v2", "to": "ada"})
    assert missing.status_code == 400, missing.text  # the payload schema is enforced
    trigger(api, {"id": 1})
    assert sorted(m["channel"] for m in messages(api)) == ["in_app"]  # sms off by default
    inactive = api.post(
        "/v2/workflows",
        {"name": "Off", "workflowId": "off", "active": False, "steps": STEPS[:1]},
    )
    assert inactive.status_code == 201 and inactive.json()["data"]["status"] == "INACTIVE"


def test_create_refuses_what_novu_refuses_and_what_cannot_render(api: Api) -> None:
    assert create(api).status_code == 201
    again = create(api)
    assert again.status_code == 400
    assert again.json()["message"] == "Workflow with identifier order-shipped-v2 already exists"
    throttle = {"name": "Bad", "workflowId": "bad", "steps": [{"name": "X", "type": "throttle"}]}
    refused = api.post("/v2/workflows", throttle)
    assert refused.status_code == 422 and set(refused.json()["errors"]) == {"steps.0.type"}
    bad = api.post(
        "/v2/workflows",
        {
            "name": "Bad",
            "workflowId": "bad",
            "steps": [
                {"name": "T", "type": "sms", "controlValues": {"body": "{% if %}"}},
                {"name": "M", "type": "email", "controlValues": {"skip": {"nope": [1]}}},
            ],
        },
    )
    assert bad.status_code == 422, bad.text
    assert set(bad.json()["errors"]) == {"steps.0.controlValues.body", "steps.1.controlValues.skip"}
    assert api.post("/v2/workflows", {"name": "No id", "steps": []}).status_code == 422
    assert api.get("/v2/workflows/bad").status_code == 404


def test_novu_py_workflows_create_then_trigger(api: Api) -> None:
    api.seed({"subscribers": [ADA]})
    retries = RetryConfig("none", BackoffStrategy(0, 0, 0, 0), False)
    server = None if api.transport == "inprocess" else str(api.client.base_url)
    novu = novu_py.Novu(secret_key=api.key, server_url=server, retry_config=retries)
    created = novu.workflows.create(
        create_workflow_dto={
            "name": "Order shipped",
            "workflow_id": "order-shipped-v2",
            "active": True,
            "steps": [
                {
                    "name": "Inbox",
                    "type": "in_app",
                    "control_values": {"body": "Order {{ payload.id }} shipped"},
                },
                {
                    "name": "VIP mail",
                    "type": "email",
                    "control_values": {
                        "subject": "Your order {{ payload.id }}",
                        "body": "<p>Thanks</p>",
                        "skip": {"==": [{"var": "payload.vip"}, True]},
                    },
                },
            ],
        }
    ).result
    assert created.workflow_id == "order-shipped-v2"
    assert [s.step_id for s in created.steps] == ["inbox", "vip-mail"]
    for vip in (False, True):
        answer = novu.trigger(
            trigger_event_request_dto={
                "workflow_id": "order-shipped-v2",
                "to": "ada",
                "payload": {"id": 3, "vip": vip},
            }
        ).result
        assert answer.status == "processed"
    got = [(m["channel"], m["subject"] or m["content"]) for m in messages(api)]
    assert got == [
        ("in_app", "Order 3 shipped"),
        ("in_app", "Order 3 shipped"),
        ("email", "Your order 3"),
    ]
