"""Delivery (DESIGN 9, D14): each processed trigger runs its steps for each recipient, and the
messages and skips are what tests read (HTTP on both transports, and NovuMock)."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import Api

from novu_mock import NovuMock
from novu_mock._fixtures import FixtureError

WORKFLOW: dict[str, Any] = {
    "workflowId": "onboard",
    "name": "Onboard",
    "steps": [
        {
            "stepId": "inbox",
            "type": "in_app",
            "subject": "Hi {{ subscriber.firstName }}",
            "body": "Welcome, {{ subscriber.firstName | default: 'there' }}! {{ payload.nope.x }}",
            "avatar": "https://example.com/{{ actor.subscriberId }}.png",
            "redirect": {"url": "https://app.example/{{ payload.id }}"},
        },
        {
            "stepId": "mail",
            "type": "email",
            "subject": "Welcome to {{ payload.product }}",
            "body": "<p>Hello {{ subscriber.firstName }} ({{ tenant.name }}, {{ transactionId }})</p>",
            "conditions": {"==": [{"var": "payload.plan"}, "pro"]},
        },
        {"stepId": "text", "type": "sms", "body": "Your code is {{ payload.code }}"},
    ],
}
PEOPLE: list[dict[str, Any]] = [
    {"subscriberId": "ada", "email": "ada@example.com", "phone": "+15550001", "firstName": "Ada"},
    {"subscriberId": "bob", "phone": "+15550002"},
]
PAYLOAD = {"id": 7, "product": "Acme", "plan": "pro", "code": "1234"}


def seed(api: Api, **workflow: Any) -> None:
    api.seed({"workflows": [{**WORKFLOW, **workflow}], "subscribers": PEOPLE})


def messages(api: Api, **filters: str) -> list[dict[str, Any]]:
    response = api.get("/_mock/messages", params=filters)
    assert response.status_code == 200, response.text
    data: list[dict[str, Any]] = response.json()["data"]
    return data


def skips(api: Api, **filters: str) -> list[dict[str, Any]]:
    response = api.get("/_mock/skips", params=filters)
    assert response.status_code == 200, response.text
    data: list[dict[str, Any]] = response.json()["data"]
    return data


def trigger(api: Api, payload: dict[str, Any] | None = None, **event: Any) -> str:
    body = {"name": "onboard", "to": ["ada", "bob"], "payload": payload or PAYLOAD, **event}
    response = api.post("/v1/events/trigger", body)
    assert response.status_code == 201, response.text
    assert response.json()["data"]["status"] == "processed"
    txn: str = response.json()["data"]["transactionId"]
    return txn


def test_rendered_messages_and_skips(api: Api) -> None:
    seed(api)
    api.seed({"tenants": [{"identifier": "acme", "name": "Acme Inc"}]})
    txn = trigger(api, actor="bob", tenant="acme")
    got = {(m["subscriberId"], m["channel"]): m for m in messages(api)}
    assert sorted(got) == [
        ("ada", "email"),
        ("ada", "in_app"),
        ("ada", "sms"),
        ("bob", "in_app"),
        ("bob", "sms"),
    ]
    inbox = got[("ada", "in_app")]
    assert inbox["subject"] == "Hi Ada"
    assert inbox["content"] == "Welcome, Ada! "  # an undefined variable renders empty
    assert inbox["avatar"] == "https://example.com/bob.png"
    assert inbox["cta"] == {"type": "redirect", "data": {"url": "https://app.example/7"}}
    assert inbox["workflowId"] == "onboard" and inbox["stepId"] == "inbox"
    assert inbox["transactionId"] == txn and inbox["status"] == "sent"
    assert inbox["seen"] is False and inbox["read"] is False and len(inbox["id"]) == 24
    assert got[("bob", "in_app")]["content"] == "Welcome, there! "
    mail = got[("ada", "email")]
    assert mail["subject"] == "Welcome to Acme"
    assert mail["content"] == f"<p>Hello Ada (Acme Inc, {txn})</p>"
    assert mail["to"] == {"email": "ada@example.com"} and mail["providerId"] == "sendgrid"
    assert got[("bob", "sms")]["content"] == "Your code is 1234"
    assert got[("bob", "sms")]["subject"] is None
    [skip] = skips(api)
    assert skip["subscriberId"] == "bob" and skip["channel"] == "email"
    assert skip["reason"] == "no_address"
    assert skip["detail"] == "Subscriber missing recipient details"
    assert [m["channel"] for m in messages(api, subscriberId="bob", channel="sms")] == ["sms"]
    assert messages(api, transactionId="nope") == []


def test_false_condition_skips_the_step(api: Api) -> None:
    seed(api)
    trigger(api, {**PAYLOAD, "plan": "free"})
    assert not messages(api, subscriberId="ada", channel="email")
    found = skips(api, subscriberId="ada")
    assert [(s["channel"], s["reason"], s["detail"]) for s in found] == [
        ("email", "condition", "Step was filtered based on steps filters")
    ]


def test_preferences_order_and_critical(api: Api) -> None:
    seed(api, preferences={"channels": {"sms": {"enabled": False}}})
    trigger(api)
    assert not messages(api, channel="sms")
    assert {s["level"] for s in skips(api, channel="sms")} == {"workflow"}
    # The preferences endpoint shows what delivery enforces.
    shown = api.get("/v2/subscribers/ada/preferences").json()["data"]["workflows"]
    assert next(w for w in shown if w["workflow"]["identifier"] == "onboard")["channels"] == {
        "in_app": True,
        "email": True,
        "sms": False,
    }
    # The subscriber's global choice beats the workflow default ...
    r = api.patch("/v2/subscribers/ada/preferences", {"channels": {"sms": True}})
    assert r.status_code == 200, r.text
    # ... and the per-workflow choice beats the global one.
    r = api.patch("/v2/subscribers/bob/preferences", {"channels": {"sms": True}})
    r = api.patch(
        "/v2/subscribers/bob/preferences", {"workflowId": "onboard", "channels": {"sms": False}}
    )
    assert r.status_code == 200, r.text
    txn = trigger(api)
    assert [m["subscriberId"] for m in messages(api, channel="sms", transactionId=txn)] == ["ada"]
    [skip] = skips(api, channel="sms", transactionId=txn)
    assert skip["subscriberId"] == "bob" and skip["level"] == "subscriber_workflow"
    assert skip["detail"] == "Step filtered by subscriber workflow preferences"
    # critical ignores every preference.
    seed(api, critical=True, preferences={"channels": {"sms": {"enabled": False}}})
    txn = trigger(api)
    assert len(messages(api, channel="sms", transactionId=txn)) == 2


def test_reads_see_the_subscriber_as_it_was_at_trigger_time(api: Api) -> None:
    seed(api)
    trigger(api)
    api.put("/v1/subscribers/ada", {"firstName": "Augusta"})
    # In a bulk, a later event's subscriber object does not rewrite an earlier event's message.
    bulk = api.post(
        "/v1/events/trigger/bulk",
        {
            "events": [
                {"name": "onboard", "to": "ada", "payload": PAYLOAD},
                {
                    "name": "onboard",
                    "to": {"subscriberId": "ada", "firstName": "Lady"},
                    "payload": PAYLOAD,
                },
            ]
        },
    )
    assert bulk.status_code == 201, bulk.text
    names = [m["subject"] for m in messages(api, subscriberId="ada", channel="in_app")]
    assert names == ["Hi Ada", "Hi Augusta", "Hi Lady"]


def test_reset_drops_messages(api: Api) -> None:
    seed(api)
    trigger(api)
    assert messages(api)
    assert api.post("/_mock/reset").status_code == 204
    assert messages(api) == [] and skips(api) == []


def test_inactive_steps_and_actions_make_no_message(api: Api) -> None:
    api.seed(
        {
            "workflows": [
                {
                    "workflowId": "mixed",
                    "steps": [
                        {"type": "in_app", "active": False, "body": "off"},
                        {"type": "custom"},
                        {"type": "in_app", "body": "on"},
                    ],
                }
            ],
            "subscribers": PEOPLE,
        }
    )
    r = api.post("/v1/events/trigger", {"name": "mixed", "to": "ada"})
    assert r.status_code == 201
    assert [m["content"] for m in messages(api)] == ["on"]


def test_push_and_chat_need_credentials(api: Api) -> None:
    api.seed(
        {
            "workflows": [
                {
                    "workflowId": "ship",
                    "steps": [
                        {"type": "push", "subject": "Order {{ payload.id }}", "body": "It shipped"},
                        {"type": "chat", "body": "shipped"},
                    ],
                }
            ],
            "subscribers": PEOPLE,
        }
    )
    assert (
        api.post(
            "/v1/events/trigger", {"name": "ship", "to": "ada", "payload": {"id": 1}}
        ).status_code
        == 201
    )
    assert messages(api) == []
    details = {s["channel"]: s["detail"] for s in skips(api)}
    assert details == {
        "push": "Subscriber credentials is missing the tokens for sending a push notification message",
        "chat": "Webhook URL for the chat channel is missing",
    }
    api.put(
        "/v1/subscribers/ada/credentials",
        {"providerId": "fcm", "credentials": {"deviceTokens": ["t1"]}},
    )
    api.put(
        "/v1/subscribers/ada/credentials",
        {"providerId": "slack", "credentials": {"webhookUrl": "https://hooks.example/x"}},
    )
    assert (
        api.post(
            "/v1/events/trigger", {"name": "ship", "to": "ada", "payload": {"id": 2}}
        ).status_code
        == 201
    )
    got = {m["channel"]: m for m in messages(api)}
    assert got["push"]["subject"] == "Order 2" and got["push"]["to"] == {
        "providerId": "fcm",
        "deviceTokens": ["t1"],
    }
    assert (
        got["chat"]["providerId"] == "slack"
        and got["chat"]["to"]["webhookUrl"] == "https://hooks.example/x"
    )


def test_fixture_validation_names_bad_templates_and_conditions() -> None:
    doc = {
        "workflows": [
            {
                "workflowId": "w",
                "steps": [
                    {"type": "email", "subject": "{{ oops", "conditions": {"and": [{"nope": [1]}]}},
                    {"type": "in_app", "redirect": {"url": "{% if %}"}, "body": 3},
                ],
                "preferences": {"channels": {"sms": {"enabled": "no"}}},
            }
        ]
    }
    with pytest.raises(FixtureError) as caught:
        NovuMock([doc])
    problems = caught.value.problems
    assert problems[0].startswith(
        "<fixture document 0>: workflows[0].steps[0].subject: expected a Liquid template that parses"
    )
    assert (
        "<fixture document 0>: workflows[0].steps[0].conditions.and[0]: unknown operator `nope`"
        in problems[1]
    )
    assert problems[2].startswith(
        "<fixture document 0>: workflows[0].steps[1].redirect.url: expected a Liquid template"
    )
    assert (
        problems[3]
        == "<fixture document 0>: workflows[0].steps[1].body: expected a Liquid template (a string); got int"
    )
    assert (
        problems[4]
        == '<fixture document 0>: workflows[0].preferences.channels.sms: expected {enabled: true|false}; got {"enabled": "no"}'
    )


def test_messages_count_toward_the_journal_limit() -> None:
    import json

    from novu_mock._core.engine import Engine
    from novu_mock._core.http import Call
    from novu_mock._delivery.records import message_records

    engine = Engine([{"workflows": [WORKFLOW], "subscribers": PEOPLE}], journal_limit=4)
    for _ in range(3):
        body = json.dumps({"name": "onboard", "to": ["ada", "bob"], "payload": PAYLOAD}).encode()
        call = Call(
            "POST",
            "/v1/events/trigger",
            "",
            {"authorization": "ApiKey k", "content-type": "application/json"},
            body,
        )
        assert engine.handle(call).status == 201
    assert len(message_records(engine)) == 4


def test_assert_notified_and_near_misses() -> None:
    mock = NovuMock([{"workflows": [WORKFLOW], "subscribers": PEOPLE}])
    import novu_py

    with mock.intercept():
        novu = novu_py.Novu(secret_key="k")
        novu.trigger(
            trigger_event_request_dto={
                "workflow_id": "onboard",
                "to": ["ada", "bob"],
                "payload": PAYLOAD,
            }
        )
    mock.assert_notified("ada", channel="email", subject="Welcome to Acme")
    mock.assert_notified("ada", contains="Hello Ada")
    mock.assert_notified("bob", channel="sms", content="Your code is 1234", times=1)
    mock.assert_not_notified("bob", channel="email")
    with pytest.raises(AssertionError) as caught:
        mock.assert_notified("ada", channel="email", subject="Welcome to Acme!")
    text = str(caught.value)
    assert (
        "Expected a message to 'ada', channel='email', subject='Welcome to Acme!'; 0 of the 5 message(s) matched."
        in text
    )
    assert "Nearest messages:\n  - email to 'ada' (workflow 'onboard', step 'mail'" in text
    assert "subject: expected 'Welcome to Acme!', recorded 'Welcome to Acme'" in text
    with pytest.raises(AssertionError) as caught:
        mock.assert_notified("bob", channel="email")
    assert "Skipped steps:\n  - email step 'mail' of 'onboard'" in str(caught.value)
    assert "no_address: Subscriber missing recipient details" in str(caught.value)
    with pytest.raises(AssertionError) as caught:
        mock.assert_not_notified("ada", channel="sms")
    assert "Expected no message to 'ada', channel='sms'; 1 matched:" in str(caught.value)
    assert "content 'Your code is 1234'" in str(caught.value)
    assert [s["reason"] for s in mock.skips] == ["no_address"]
    mock.reset()
    assert mock.messages == []


def test_email_overrides_apply_as_novu_merges_them(api: Api) -> None:
    seed(api)
    overrides = {
        "email": {"from": "team@example.com", "senderName": "Team", "replyTo": "help@example.com"},
        # keyed by the provider of the environment's email integration (sendgrid in default.yaml)
        "sendgrid": {"senderName": "Provider"},
        "steps": {"mail": {"providers": {"sendgrid": {"replyTo": "step@example.com"}}}},
    }
    trigger(api, overrides=overrides)
    [mail] = messages(api, channel="email")
    assert (mail["from"], mail["senderName"], mail["replyTo"]) == (
        "team@example.com",
        "Provider",
        "step@example.com",
    )
    assert mail["overrides"] == overrides  # the message keeps the trigger's overrides
    [sms] = messages(api, channel="sms", subscriberId="ada")
    assert "from" not in sms


def test_a_delay_holds_the_run_until_resumed() -> None:
    """What the scheduler of issue 14 builds on: a run stops at a delay or digest step and goes
    on from the next step when resumed."""
    from novu_mock._core.engine import Engine
    from novu_mock._delivery.records import message_records

    engine = Engine(
        [
            {
                "workflows": [
                    {
                        "workflowId": "later",
                        "steps": [
                            {"type": "in_app", "body": "now"},
                            {"type": "delay", "amount": 5, "unit": "minutes"},
                            {"type": "in_app", "body": "later"},
                        ],
                    }
                ],
                "subscribers": PEOPLE,
            }
        ]
    )
    import json

    from novu_mock._core.http import Call

    body = json.dumps({"name": "later", "to": "ada"}).encode()
    headers = {"authorization": "ApiKey k", "content-type": "application/json"}
    assert engine.handle(Call("POST", "/v1/events/trigger", "", headers, body)).status == 201
    assert [m["content"] for m in message_records(engine)] == ["now"]
    [env] = engine.delivered()
    [run] = env.suspended
    assert run.suspended and run.index == 1
    assert [j.status for j in run.notification.jobs] == ["completed", "delayed"]
    run.resume(engine.clock.now())
    assert [m["content"] for m in message_records(engine)] == ["now", "later"]
    assert [j.status for j in run.notification.jobs] == ["completed", "completed", "completed"]
    assert not env.suspended
