"""Integrations (Novu's Integrations tag) on both transports: the rules of Novu's use cases
(apps/api/src/app/integrations/usecases) and the assertions of its e2e tests."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import Api
from entity_support import A_STAMP, AN_ID, env_of, error, invalid, ok

from novu_mock import NovuMock
from novu_mock._fixtures import FixtureError
from novu_mock._model.integrations import DEFAULT_INTEGRATIONS

novu_py = pytest.importorskip("novu_py")
from novu_py.utils import BackoffStrategy, RetryConfig  # noqa: E402


def integrations(api: Api, path: str = "/v1/integrations") -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = ok(api.get(path))["data"]
    return data


def by_identifier(api: Api) -> dict[str, dict[str, Any]]:
    return {i["identifier"]: i for i in integrations(api)}


def email_ranking(api: Api) -> list[tuple[str, bool, bool, int]]:
    """(identifier, active, primary, priority) of the email integrations, highest first."""
    found = [i for i in integrations(api) if i["channel"] == "email"]
    found.sort(key=lambda i: -i["priority"])
    return [(i["identifier"], i["active"], i["primary"], i["priority"]) for i in found]


def create(api: Api, **body: Any) -> dict[str, Any]:
    data: dict[str, Any] = ok(api.post("/v1/integrations", body), 201)["data"]
    return data


def test_every_environment_starts_with_one_active_integration_per_channel(api: Api) -> None:
    env = env_of(api)
    found = integrations(api)
    assert [(i["channel"], i["providerId"], i["active"]) for i in found] == [
        ("in_app", "novu", True),
        ("email", "sendgrid", True),
        ("sms", "twilio", True),
        ("push", "fcm", True),
        ("chat", "slack", True),
    ]
    assert found[1] == {
        "_id": AN_ID,
        "_environmentId": env.id,
        "_organizationId": env.organization_id,
        "name": "SendGrid",
        "identifier": "sendgrid",
        "providerId": "sendgrid",
        "channel": "email",
        "credentials": {},  # kept (see the state) but never answered
        "active": True,
        "deleted": False,
        "primary": True,
        "priority": 1,
        "conditions": [],
        "createdAt": A_STAMP,
        "updatedAt": A_STAMP,
    }
    # Only email and sms have a primary.
    assert [i["primary"] for i in found] == [False, True, True, False, False]
    kept = {i["identifier"]: i for i in api.state()["integrations"]}
    assert kept["sendgrid"]["credentials"]["apiKey"] == "SG.mock"


def test_create_minimal_is_inactive_with_novus_default_name(api: Api) -> None:
    created = create(api, providerId="sendgrid", channel="email", credentials={"apiKey": "k"})
    assert created["name"] == "SendGrid"
    assert created["identifier"].startswith("sendgrid-")
    assert (created["active"], created["primary"], created["priority"]) == (False, False, 0)
    assert created["credentials"] == {}
    custom = create(api, providerId="acme-mail", channel="email", name="Ours", identifier="ours")
    assert (custom["name"], custom["identifier"]) == ("Ours", "ours")
    assert create(api, providerId="acme-mail", channel="sms")["name"] == "Acme-mail"
    assert [i["_id"] for i in integrations(api)][-3:] == [
        created["_id"],
        custom["_id"],
        integrations(api)[-1]["_id"],
    ]


def test_an_active_integration_joins_below_the_primary(api: Api) -> None:
    created = create(api, providerId="mailgun", channel="email", active=True, identifier="mg")
    assert (created["primary"], created["priority"]) == (False, 1)
    assert email_ranking(api) == [("sendgrid", True, True, 2), ("mg", True, False, 1)]
    active = integrations(api, "/v1/integrations/active")
    assert "mg" in [i["identifier"] for i in active]
    assert all(i["active"] for i in active)


def test_the_first_active_integration_of_a_channel_without_primary_becomes_primary(
    api: Api,
) -> None:
    sendgrid = by_identifier(api)["sendgrid"]
    ok(api.put(f"/v1/integrations/{sendgrid['_id']}", {"active": False}))
    created = create(api, providerId="postmark", channel="email", active=True, identifier="pm")
    assert (created["primary"], created["priority"]) == (True, 1)


def test_set_primary_moves_the_flag_activates_and_clears_conditions(api: Api) -> None:
    cond = [
        {"children": [{"on": "tenant", "field": "identifier", "operator": "EQUAL", "value": "a"}]}
    ]
    ses = create(api, providerId="ses", channel="email", identifier="ses", conditions=cond)
    assert ses["conditions"] == cond
    answer = ok(api.post(f"/v1/integrations/{ses['_id']}/set-primary"))["data"]
    assert (answer["active"], answer["primary"], answer["priority"]) == (True, True, 2)
    assert answer["conditions"] == []
    assert email_ranking(api) == [("ses", True, True, 2), ("sendgrid", True, False, 1)]
    again = ok(api.post(f"/v1/integrations/{ses['_id']}/set-primary"))["data"]
    assert (again["primary"], again["priority"]) == (True, 2)


def test_set_primary_errors(api: Api) -> None:
    push = by_identifier(api)["fcm"]
    path = f"/v1/integrations/{push['_id']}/set-primary"
    assert api.post(path).json() == error(
        400, path, "Channel push does not support primary", "Bad Request"
    )
    missing = "/v1/integrations/0123456789abcdef01234567/set-primary"
    assert api.post(missing).json() == error(
        404, missing, "Integration with id 0123456789abcdef01234567 not found", "Not Found"
    )


def test_deactivating_the_primary_leaves_the_channel_without_one(api: Api) -> None:
    create(api, providerId="mailgun", channel="email", active=True, identifier="mg")
    sendgrid = by_identifier(api)["sendgrid"]
    answer = ok(api.put(f"/v1/integrations/{sendgrid['_id']}", {"active": False}))["data"]
    assert (answer["active"], answer["primary"], answer["priority"]) == (False, False, 0)
    assert email_ranking(api) == [("mg", True, False, 1), ("sendgrid", False, False, 0)]
    # Activating it again gives it a priority, never the primary flag.
    again = ok(api.put(f"/v1/integrations/{sendgrid['_id']}", {"active": True}))["data"]
    assert (again["active"], again["primary"], again["priority"]) == (True, False, 2)


def test_update_fields_credentials_and_conditions(api: Api) -> None:
    sendgrid = by_identifier(api)["sendgrid"]
    path = f"/v1/integrations/{sendgrid['_id']}"
    renamed = ok(
        api.put(path, {"name": "Mail", "identifier": "mail", "credentials": {"apiKey": "new"}})
    )
    assert (renamed["data"]["name"], renamed["data"]["identifier"]) == ("Mail", "mail")
    assert renamed["data"]["credentials"] == {}
    kept = {i["identifier"]: i for i in api.state()["integrations"]}
    assert kept["mail"]["credentials"] == {"apiKey": "new"}
    cond = [
        {
            "children": [
                {"on": "tenant", "field": "identifier", "operator": "EQUAL", "value": "acme"}
            ]
        }
    ]
    conditioned = ok(api.put(path, {"conditions": cond}))["data"]
    assert conditioned["conditions"] == cond and conditioned["primary"] is False


def test_update_errors(api: Api) -> None:
    create(api, providerId="mailgun", channel="email", identifier="mg")
    sendgrid = by_identifier(api)["sendgrid"]
    path = f"/v1/integrations/{sendgrid['_id']}"
    assert api.put(path, {"identifier": "mg"}).json() == error(
        409, path, "Integration with identifier already exists", "Conflict"
    )
    assert api.put(path, {}).json() == error(
        400, path, "No properties found for update", "Bad Request"
    )
    assert api.put(path, {"active": "yes", "credentials": {"secure": 1}}).json() == invalid(
        path,
        {
            "credentials.secure": {
                "messages": ["credentials.secure must be a boolean value"],
                "value": 1,
            },
            "active": {"messages": ["active must be a boolean value"], "value": "yes"},
        },
    )
    bad = api.put(path, {"conditions": [{"children": "test"}]}).json()
    assert (bad["statusCode"], bad["error"]) == (400, "Bad Request")
    missing = "/v1/integrations/0123456789abcdef01234567"
    assert api.put(missing, {"name": "x"}).json() == error(
        404, missing, "Entity with id 0123456789abcdef01234567 not found", "Not Found"
    )


def test_create_errors(api: Api) -> None:
    assert api.post("/v1/integrations", {"channel": "mail", "active": 1}).json() == invalid(
        "/v1/integrations",
        {
            "providerId": {
                "messages": [
                    "providerId should not be null or undefined",
                    "providerId must be a string",
                ]
            },
            "channel": {
                "messages": [
                    "channel must be one of the following values: in_app, email, sms, chat, push"
                ],
                "value": "mail",
            },
            "active": {"messages": ["active must be a boolean value"], "value": 1},
        },
    )
    dup = api.post(
        "/v1/integrations", {"providerId": "x", "channel": "sms", "identifier": "twilio"}
    )
    assert dup.json() == error(
        409, "/v1/integrations", "Integration with identifier already exists", "Conflict"
    )
    inbox = api.post("/v1/integrations", {"providerId": "novu", "channel": "in_app"})
    assert inbox.json() == error(
        400, "/v1/integrations", "One environment can only have one In app provider", "Bad Request"
    )
    create(api, providerId="novu-email", channel="email")
    again = api.post("/v1/integrations", {"providerId": "novu-email", "channel": "email"})
    assert again.json() == error(
        409,
        "/v1/integrations",
        "Integration with novu provider for email channel already exists",
        "Conflict",
    )
    cast = api.post(
        "/v1/integrations",
        {"providerId": "x", "channel": "email", "conditions": [{"children": "test"}]},
    ).json()
    assert (cast["statusCode"], cast["error"]) == (400, "Bad Request")
    assert cast["message"].startswith("Integration validation failed")


def test_delete_answers_the_rest_and_recomputes_priorities(api: Api) -> None:
    mg = create(api, providerId="mailgun", channel="email", active=True, identifier="mg")
    pm = create(api, providerId="postmark", channel="email", active=True, identifier="pm")
    assert email_ranking(api) == [
        ("sendgrid", True, True, 3),
        ("pm", True, False, 2),
        ("mg", True, False, 1),
    ]
    rest = ok(api.delete(f"/v1/integrations/{mg['_id']}"))["data"]
    assert mg["_id"] not in [i["_id"] for i in rest] and pm["_id"] in [i["_id"] for i in rest]
    assert email_ranking(api) == [("sendgrid", True, True, 2), ("pm", True, False, 1)]
    # Deleting the primary makes no other one primary (Novu's remove-integration use case).
    ok(api.delete(f"/v1/integrations/{by_identifier(api)['sendgrid']['_id']}"))
    assert email_ranking(api) == [("pm", True, False, 1)]
    missing = f"/v1/integrations/{mg['_id']}"
    assert api.delete(missing).json() == error(
        404, missing, f"Entity with id {mg['_id']} not found", "Not Found"
    )


def test_webhook_support_status(api: Api) -> None:
    def status(key: str) -> Any:
        return api.get(f"/v1/integrations/webhook/provider/{key}/status").json()

    assert status("sendgrid") == {"data": True}
    assert status(by_identifier(api)["twilio"]["_id"]) == {"data": True}
    create(api, providerId="mailgun", channel="email", identifier="mg", credentials={"apiKey": "k"})
    assert status("mailgun") == {"data": False}
    fcm = by_identifier(api)["fcm"]
    path = f"/v1/integrations/webhook/provider/{fcm['_id']}/status"
    assert status(fcm["_id"]) == error(
        400, path, f"Integration {fcm['_id']} doesn't have credentials set up", "Bad Request"
    )
    slack = create(
        api, providerId="slack", channel="chat", identifier="s2", credentials={"apiKey": "k"}
    )
    assert status(slack["_id"])["message"] == "Webhook for slack-chat is not supported yet"
    path = "/v1/integrations/webhook/provider/nope/status"
    assert status("nope") == error(404, path, "Integration for nope was not found", "Not Found")


def test_fixture_integrations_replace_the_default_set() -> None:
    mock = NovuMock(
        [
            {
                "integrations": [
                    {"identifier": "a", "providerId": "mailgun", "channel": "email"},
                    {"identifier": "b", "providerId": "ses", "channel": "email", "primary": True},
                    {"identifier": "c", "providerId": "plivo", "channel": "sms", "active": False},
                ]
            }
        ]
    )
    state = mock.engine.state("k")["integrations"]
    assert [(i["identifier"], i["active"], i.get("primary")) for i in state] == [
        ("a", True, False),
        ("b", True, True),
        ("c", False, False),
    ]
    assert NovuMock([{"integrations": []}]).engine.state("k")["integrations"] == []
    defaults = NovuMock([]).engine.state("k")["integrations"]
    assert [i["identifier"] for i in defaults] == [d["identifier"] for d in DEFAULT_INTEGRATIONS]


def test_without_integrations_in_the_fixtures_an_environment_has_novus_own() -> None:
    state = NovuMock([{"workflows": [{"workflowId": "w"}]}]).engine.state("k")["integrations"]
    assert [(i["providerId"], i["channel"], i.get("primary")) for i in state] == [
        ("novu", "in_app", None),
        ("novu-email", "email", True),
        ("novu-sms", "sms", True),
        ("fcm", "push", None),
        ("slack", "chat", None),
    ]


@pytest.mark.parametrize(
    ("item", "message"),
    [
        (
            {"providerId": "x", "channel": "email"},
            "integrations[0].identifier: required key missing",
        ),
        (
            {"identifier": "i", "providerId": "x", "channel": "fax"},
            'integrations[0].channel: expected one of in_app, email, sms, chat, push; got "fax"',
        ),
        (
            {"identifier": "i", "providerId": "x", "channel": "push", "primary": True},
            "integrations[0].primary: expected primary only on email or sms integrations",
        ),
        (
            {
                "identifier": "i",
                "providerId": "x",
                "channel": "sms",
                "primary": True,
                "active": False,
            },
            "integrations[0].primary: a primary integration is active; got active: false",
        ),
        (
            {
                "identifier": "i",
                "providerId": "x",
                "channel": "sms",
                "credentials": {"apikey": "k"},
            },
            "integrations[0].credentials.apikey: unknown key; expected one of apiKey,",
        ),
        (
            {
                "identifier": "i",
                "providerId": "x",
                "channel": "sms",
                "credentials": {"secure": "y"},
            },
            'integrations[0].credentials.secure: expected true or false; got "y"',
        ),
    ],
)
def test_fixture_validation_names_the_path(item: dict[str, Any], message: str) -> None:
    with pytest.raises(FixtureError) as raised:
        NovuMock([{"integrations": [item]}])
    assert any(message in problem for problem in raised.value.problems), raised.value.problems


def test_fixture_identifiers_are_unique() -> None:
    item = {"identifier": "i", "providerId": "x", "channel": "sms"}
    with pytest.raises(FixtureError) as raised:
        NovuMock([{"integrations": [item, item]}])
    assert 'integrations[1].identifier: expected a unique value; "i" is already used' in str(
        raised.value
    )


def test_novu_py_integrations(api: Api) -> None:
    novu = novu_py.Novu(
        secret_key=api.key,
        server_url=str(api.client.base_url).rstrip("/"),
        retry_config=RetryConfig("none", BackoffStrategy(0, 0, 0, 0), False),
    )
    listed = novu.integrations.list().result
    assert [i.provider_id for i in listed] == ["novu", "sendgrid", "twilio", "fcm", "slack"]
    created = novu.integrations.create(
        create_integration_request_dto={
            "provider_id": "mailgun",
            "channel": "email",
            "identifier": "py-mailgun",
            "credentials": {"api_key": "secret", "domain": "mg.example.com"},
            "active": True,
        }
    ).result
    assert (created.identifier, created.primary, created.active) == ("py-mailgun", False, True)
    assert created.credentials is None or created.credentials.api_key is None
    primary = novu.integrations.set_as_primary(integration_id=created.id).result
    assert primary.primary is True
    assert {i.identifier for i in novu.integrations.list_active().result} >= {
        "py-mailgun",
        "sendgrid",
    }
    updated = novu.integrations.update(
        integration_id=created.id, update_integration_request_dto={"active": False}
    ).result
    assert (updated.active, updated.primary) == (False, False)
    rest = novu.integrations.delete(integration_id=created.id).result
    assert "py-mailgun" not in [i.identifier for i in rest]
    with pytest.raises(novu_py.models.ErrorDto) as raised:
        novu.integrations.delete(integration_id=created.id)
    assert raised.value.data.status_code == 404


# -- delivery: the integration Novu's worker selects sends each channel step ----------------------

NO_INTEGRATION = "Subscriber does not have an active integration"


def messages(api: Api, **filters: str) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = ok(api.get("/_mock/messages", params=filters))["data"]
    return data


def skips(api: Api, **filters: str) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = ok(api.get("/_mock/skips", params=filters))["data"]
    return data


def trigger(api: Api, name: str, to: Any, **event: Any) -> str:
    answer = ok(api.post("/v1/events/trigger", {"name": name, "to": to, **event}), 201)["data"]
    assert answer["status"] == "processed", answer
    txn: str = answer["transactionId"]
    return txn


def reset_password(api: Api, **event: Any) -> str:
    return trigger(api, "password-reset", "user-1", payload={"resetUrl": "https://x"}, **event)


def provider_of(api: Api, txn: str, channel: str) -> str:
    [message] = messages(api, transactionId=txn, channel=channel)
    provider: str = message["providerId"]
    return provider


def test_deactivating_the_only_sms_integration_skips_sms_with_novus_reason(api: Api) -> None:
    assert provider_of(api, trigger(api, "order-shipped", "user-3"), "sms") == "twilio"
    twilio = by_identifier(api)["twilio"]
    ok(api.put(f"/v1/integrations/{twilio['_id']}", {"active": False}))
    txn = trigger(api, "order-shipped", "user-3")
    assert messages(api, transactionId=txn, channel="sms") == []
    [skip] = skips(api, transactionId=txn, channel="sms")
    assert (skip["reason"], skip["detail"]) == ("no_integration", NO_INTEGRATION)
    # Activating it again does not make it primary: Novu's SMS step still has no integration.
    ok(api.put(f"/v1/integrations/{twilio['_id']}", {"active": True}))
    txn = trigger(api, "order-shipped", "user-3")
    assert [s["reason"] for s in skips(api, transactionId=txn, channel="sms")] == ["no_integration"]
    ok(api.post(f"/v1/integrations/{twilio['_id']}/set-primary"))
    assert provider_of(api, trigger(api, "order-shipped", "user-3"), "sms") == "twilio"


def test_setting_another_email_integration_primary_changes_the_provider(api: Api) -> None:
    assert provider_of(api, reset_password(api), "email") == "sendgrid"
    postmark = create(api, providerId="postmark", channel="email", identifier="pm", active=True)
    assert provider_of(api, reset_password(api), "email") == "sendgrid"  # active, not primary
    ok(api.post(f"/v1/integrations/{postmark['_id']}/set-primary"))
    assert provider_of(api, reset_password(api), "email") == "postmark"
    # Deactivating the primary leaves no primary: the other active one does not take over.
    ok(api.put(f"/v1/integrations/{postmark['_id']}", {"active": False}))
    txn = reset_password(api)
    assert [s["detail"] for s in skips(api, transactionId=txn)] == [NO_INTEGRATION]


def test_the_trigger_can_name_the_integration(api: Api) -> None:
    create(api, providerId="ses", channel="email", identifier="ses-eu", active=True)
    txn = reset_password(api, overrides={"email": {"integrationIdentifier": "ses-eu"}})
    assert provider_of(api, txn, "email") == "ses"
    txn = reset_password(api, overrides={"email": {"integrationIdentifier": "nope"}})
    assert [s["reason"] for s in skips(api, transactionId=txn)] == ["no_integration"]


def test_a_tenant_picks_the_integration_whose_conditions_it_passes(api: Api) -> None:
    cond = [
        {
            "children": [
                {"on": "tenant", "field": "identifier", "operator": "EQUAL", "value": "acme"}
            ]
        }
    ]
    create(
        api,
        providerId="mailgun",
        channel="email",
        identifier="acme-mail",
        active=True,
        conditions=cond,
    )
    assert provider_of(api, reset_password(api, tenant="acme"), "email") == "mailgun"
    assert provider_of(api, reset_password(api), "email") == "sendgrid"


def test_push_and_chat_need_an_integration_of_the_subscribers_provider(api: Api) -> None:
    api.seed(
        {
            "subscribers": [
                {
                    "subscriberId": "phone-owner",
                    "phone": "+15555550123",
                    "channels": [{"providerId": "fcm", "credentials": {"deviceTokens": ["t1"]}}],
                }
            ]
        }
    )
    assert provider_of(api, trigger(api, "order-shipped", "phone-owner"), "push") == "fcm"
    ok(api.delete(f"/v1/integrations/{by_identifier(api)['fcm']['_id']}"))
    txn = trigger(api, "order-shipped", "phone-owner")
    [skip] = skips(api, transactionId=txn, channel="push")
    assert (skip["reason"], skip["detail"]) == ("no_integration", NO_INTEGRATION)


def test_an_environment_without_integrations_sends_nothing() -> None:
    mock = NovuMock([{"workflows": [{"workflowId": "w"}], "integrations": []}])
    with mock.intercept():
        novu = novu_py.Novu(
            secret_key="k", retry_config=RetryConfig("none", BackoffStrategy(0, 0, 0, 0), False)
        )
        novu.trigger(trigger_event_request_dto={"workflow_id": "w", "to": "someone"})
    assert mock.messages == []
    assert [(s["channel"], s["reason"], s["detail"]) for s in mock.skips] == [
        ("in_app", "no_integration", NO_INTEGRATION)
    ]


def test_environment_id_elsewhere_takes_the_integration_out_of_this_environment(api: Api) -> None:
    other = "0123456789abcdef01234567"
    created = create(api, providerId="x", channel="sms", identifier="far", _environmentId=other)
    assert created["_environmentId"] == other
    assert "far" not in by_identifier(api)
    slack = by_identifier(api)["slack"]
    moved = ok(api.put(f"/v1/integrations/{slack['_id']}", {"_environmentId": other}))["data"]
    assert moved["_environmentId"] == other and "slack" not in by_identifier(api)
    bad = api.post("/v1/integrations", {"providerId": "x", "channel": "sms", "_environmentId": "e"})
    assert bad.json() == invalid(
        "/v1/integrations",
        {"_environmentId": {"messages": ["_environmentId must be a mongodb id"], "value": "e"}},
    )


def test_the_activity_feed_shows_the_skip_in_novus_words(api: Api) -> None:
    twilio = by_identifier(api)["twilio"]
    ok(api.put(f"/v1/integrations/{twilio['_id']}", {"active": False}))
    txn = trigger(api, "order-shipped", "user-3")
    [notification] = ok(api.get("/v1/notifications", params={"transactionId": txn}))["data"]
    [sms] = [job for job in notification["jobs"] if job["type"] == "sms"]
    assert sms["status"] == "failed"
    assert [(d["status"], d["detail"]) for d in sms["executionDetails"]][-1] == (
        "Failed",
        NO_INTEGRATION,
    )


def test_provider_overrides_follow_the_integration_that_sends(api: Api) -> None:
    overrides = {"sendgrid": {"senderName": "Via SendGrid"}, "postmark": {"senderName": "Via PM"}}
    [mail] = messages(api, transactionId=reset_password(api, overrides=overrides))
    assert mail["senderName"] == "Via SendGrid"
    postmark = create(api, providerId="postmark", channel="email", identifier="pm", active=True)
    ok(api.post(f"/v1/integrations/{postmark['_id']}/set-primary"))
    [mail] = messages(api, transactionId=reset_password(api, overrides=overrides))
    assert (mail["providerId"], mail["senderName"]) == ("postmark", "Via PM")
