"""A trigger's `overrides` on push, chat and sms (and email's subject/body) reach the messages as
Novu's worker and providers apply them (HTTP on both transports; docs/fixtures.md "Overrides")."""

from __future__ import annotations

from typing import Any

from conftest import Api

PERSON = {
    "subscriberId": "ada",
    "email": "ada@example.com",
    "phone": "+15550001",
    "firstName": "Ada",
    "channels": [
        {"providerId": "fcm", "credentials": {"deviceTokens": ["own-token"]}},
        {"providerId": "slack", "credentials": {"webhookUrl": "https://hooks.example/own"}},
    ],
}
WORKFLOW = {
    "workflowId": "ship",
    "steps": [
        {
            "stepId": "mail",
            "type": "email",
            "subject": "Order {{ payload.id }}",
            "body": "<p>x</p>",
        },
        {"stepId": "text", "type": "sms", "body": "Order {{ payload.id }} shipped"},
        {"stepId": "phone", "type": "push", "subject": "Order {{ payload.id }}", "body": "Shipped"},
        {"stepId": "team", "type": "chat", "body": "Order {{ payload.id }} shipped"},
        {"stepId": "inbox", "type": "in_app", "body": "Order {{ payload.id }}"},
    ],
}


def run(
    api: Api, overrides: dict[str, Any], person: dict[str, Any] | None = None
) -> dict[str, Any]:
    api.seed({"workflows": [WORKFLOW], "subscribers": [person or PERSON]})
    body = {"name": "ship", "to": "ada", "payload": {"id": 7}, "overrides": overrides}
    response = api.post("/v1/events/trigger", body)
    assert response.status_code == 201, response.text
    got = api.get("/_mock/messages")
    assert got.status_code == 200, got.text
    return {m["channel"]: m for m in got.json()["data"]}


def test_push_title_body_and_device_tokens_from_the_provider_override(api: Api) -> None:
    got = run(api, {"fcm": {"title": "New title", "body": "New body", "deviceTokens": ["t9"]}})
    push = got["push"]
    assert (push["subject"], push["content"]) == ("New title", "New body")
    assert push["to"] == {"providerId": "fcm", "deviceTokens": ["t9"]}
    # Novu's push usecase reads `overrides.<providerId>` only: `overrides.push` changes nothing.
    assert run(api, {"push": {"title": "ignored"}})["push"]["subject"] == "Order 7"
    # An FCM data message carries no notification: the title and body stay the step's.
    data = run(api, {"fcm": {"type": "data", "title": "T"}})["push"]
    assert data["subject"] == "Order 7"


def test_push_device_tokens_override_shows_in_novus_message(api: Api) -> None:
    run(api, {"fcm": {"deviceTokens": ["t9", "t10"]}})
    response = api.get("/v1/messages", params={"channel": "push"})
    assert response.status_code == 200, response.text
    [message] = response.json()["data"]
    assert message["deviceTokens"] == ["t9", "t10"]


def test_sms_content_and_to_from_the_channel_then_provider_override(api: Api) -> None:
    got = run(api, {"sms": {"content": "Channel text", "to": "+15559999"}})
    assert got["sms"]["content"] == "Channel text"
    assert got["sms"]["to"] == {"phone": "+15559999"}
    # `overrides.<providerId>` (twilio in default.yaml) wins over `overrides.sms`.
    got = run(api, {"sms": {"content": "Channel text"}, "twilio": {"content": "Twilio text"}})
    assert got["sms"]["content"] == "Twilio text"
    # Novu keeps the subscriber's phone on its message and sends to the override.
    response = api.get("/v1/messages", params={"channel": "sms"})
    assert {m["phone"] for m in response.json()["data"]} == {"+15550001"}


def test_sms_override_does_not_reach_a_subscriber_without_a_phone(api: Api) -> None:
    person = {k: v for k, v in PERSON.items() if k != "phone"}
    got = run(api, {"sms": {"to": "+15559999"}, "fcm": {"title": "T"}}, person)
    assert "sms" not in got and got["push"]["subject"] == "T"
    skips = api.get("/_mock/skips", params={"channel": "sms"}).json()["data"]
    assert [s["reason"] for s in skips] == ["no_address"]


def test_chat_text_and_webhook_url(api: Api) -> None:
    got = run(
        api,
        {
            "chat": {"text": "Channel text"},
            "providers": {"slack": {"webhookUrl": "https://hooks.example/workflow"}},
            "steps": {"team": {"providers": {"slack": {"text": "Step text"}}}},
        },
    )
    # The provider layer (workflow-wide, then the step's) is merged over the channel layer.
    assert got["chat"]["content"] == "Step text"
    assert got["chat"]["to"]["webhookUrl"] == "https://hooks.example/workflow"
    got = run(api, {"slack": {"text": "Provider text"}, "in_app": {"content": "x"}})
    assert got["chat"]["content"] == "Provider text"
    assert got["in_app"]["content"] == "Order 7"  # in_app takes no overrides


def test_chat_webhook_url_from_the_payload_or_overrides_without_credentials(api: Api) -> None:
    person = {**PERSON, "channels": [{"providerId": "slack", "credentials": {}}]}
    api.seed({"workflows": [WORKFLOW], "subscribers": [person]})
    body = {"name": "ship", "to": "ada", "payload": {"id": 1}}
    assert api.post("/v1/events/trigger", body).status_code == 201
    assert not [m for m in api.get("/_mock/messages").json()["data"] if m["channel"] == "chat"]
    body["payload"] = {"id": 2, "webhookUrl": "https://hooks.example/payload"}
    assert api.post("/v1/events/trigger", body).status_code == 201
    body["payload"] = {"id": 3}
    body["overrides"] = {"steps": {"team": {"providers": {"slack": {"webhookUrl": "https://s"}}}}}
    assert api.post("/v1/events/trigger", body).status_code == 201
    chats = [m for m in api.get("/_mock/messages").json()["data"] if m["channel"] == "chat"]
    assert [m["to"]["webhookUrl"] for m in chats] == ["https://hooks.example/payload", "https://s"]


def test_email_subject_and_html_overrides(api: Api) -> None:
    got = run(api, {"email": {"subject": "Other subject", "text": "plain"}})
    assert (got["email"]["subject"], got["email"]["content"]) == ("Other subject", "plain")
    got = run(api, {"sendgrid": {"html": "<b>html</b>", "text": "plain"}})
    assert got["email"]["content"] == "<b>html</b>"
    # workflow-wide provider overrides join the sender fields (below the step's)
    got = run(
        api,
        {
            "providers": {"sendgrid": {"from": "wf@example.com", "replyTo": "wf@example.com"}},
            "steps": {"mail": {"providers": {"sendgrid": {"replyTo": "step@example.com"}}}},
        },
    )
    assert (got["email"]["from"], got["email"]["replyTo"]) == (
        "wf@example.com",
        "step@example.com",
    )
