"""The last operations of Novu's document outside the read APIs: activity statistics, a
subscriber's online flag and the chat OAuth links (which use the chat integration)."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import Api
from entity_support import A_STAMP, env_of, error, invalid, ok


def test_stats_count_the_notifications_of_the_week_and_month(api: Api) -> None:
    assert ok(api.get("/v1/notifications/stats")) == {"data": {"weeklySent": 0, "monthlySent": 0}}
    for to in (["user-1", "user-2"], "user-3"):
        ok(api.post("/v1/events/trigger", {"name": "welcome", "to": to}), 201)
    assert ok(api.get("/v1/notifications/stats")) == {"data": {"weeklySent": 3, "monthlySent": 3}}
    graph = ok(api.get("/v1/notifications/graph/stats", params={"days": "7"}))["data"]
    welcome = next(w for w in env_of(api).workflows.values() if w.workflow_id == "welcome")
    assert graph == [
        {
            "_id": graph[0]["_id"],
            "count": 6,
            "templates": [welcome.id],
            "channels": ["in_app", "email"],
        }
    ]
    assert ok(api.get("/v1/notifications/graph/stats", params={"days": "x"}))["data"] == graph


def test_online_status(api: Api) -> None:
    path = "/v1/subscribers/user-1/online-status"
    online = ok(api.patch(path, {"isOnline": True}))["data"]
    assert (online["subscriberId"], online["isOnline"], online["lastOnlineAt"]) == (
        "user-1",
        True,
        None,
    )
    offline = ok(api.patch(path, {"isOnline": False}))["data"]
    assert (offline["isOnline"], offline["lastOnlineAt"]) == (False, A_STAMP)
    assert ok(api.get("/v1/subscribers/user-1"))["data"]["isOnline"] is False
    assert api.patch(path, {}).json() == invalid(
        path,
        {
            "isOnline": {
                "messages": [
                    "isOnline should not be null or undefined",
                    "isOnline must be a boolean value",
                ]
            }
        },
    )
    missing = "/v1/subscribers/nobody/online-status"
    assert api.patch(missing, {"isOnline": True}).json() == error(
        404, missing, "Subscriber not found", "Not Found"
    )


def slack(api: Api, **credentials: Any) -> None:
    api.seed(
        {
            "integrations": [
                {
                    "identifier": "slack",
                    "providerId": "slack",
                    "channel": "chat",
                    "credentials": {"clientId": "C1", "secretKey": "s", **credentials},
                }
            ]
        }
    )


def test_chat_oauth_redirects_to_slack_and_the_callback_stores_a_webhook(api: Api) -> None:
    env = env_of(api)
    slack(api)
    base = "/v1/subscribers/user-1/credentials/slack"
    sent = api.get(f"{base}/oauth", params={"environmentId": env.id})
    assert sent.status_code == 302
    location = urlsplit(sent.headers["location"])
    assert (location.netloc, location.path) == ("slack.com", "/oauth/v2/authorize")
    query = parse_qs(location.query)
    assert query["client_id"] == ["C1"] and query["scope"] == ["incoming-webhook"]
    assert query["redirect_uri"][0].endswith(
        f"/v1/subscribers/user-1/credentials/slack/oauth/callback?environmentId={env.id}"
    )
    back = api.get(f"{base}/oauth/callback", params={"environmentId": env.id, "code": "abc"})
    assert back.status_code == 200 and back.text == "<script>window.close();</script>"
    channels = ok(api.get("/v1/subscribers/user-1"))["data"]["channels"]
    assert [(c["providerId"], c["credentials"]["webhookUrl"]) for c in channels] == [
        ("slack", "https://hooks.slack.com/services/novu-mock/abc")
    ]
    # The chat step now has an address and Slack's integration sends it.
    api.seed({"workflows": [{"workflowId": "chatty", "steps": [{"type": "chat", "body": "hi"}]}]})
    txn = ok(api.post("/v1/events/trigger", {"name": "chatty", "to": "user-1"}), 201)["data"][
        "transactionId"
    ]
    [message] = ok(api.get("/_mock/messages", params={"transactionId": txn}))["data"]
    assert message["providerId"] == "slack"


def test_chat_oauth_errors_and_hmac(api: Api) -> None:
    env = env_of(api)
    base = "/v1/subscribers/user-1/credentials/discord/oauth"
    assert api.get(base, params={"environmentId": env.id}).json() == error(
        404,
        f"{base}?environmentId={env.id}",
        f"Integration in environment {env.id} was not found, channel: chat, providerId: discord",
        "Not Found",
    )
    assert api.get(base, params={"environmentId": "x"}).json() == invalid(
        f"{base}?environmentId=x",
        {"environmentId": {"messages": ["environmentId must be a mongodb id"], "value": "x"}},
    )
    slack(api, hmac=True, redirectUrl="https://app.example/done")
    path = "/v1/subscribers/user-1/credentials/slack/oauth"
    refused = api.get(path, params={"environmentId": env.id})
    assert refused.json()["message"] == (
        "Hmac is enabled on the integration, please provide a HMAC hash on the request params"
    )
    digest = hmac.new(api.key.encode(), b"user-1", hashlib.sha256).hexdigest()
    assert api.get(path, params={"environmentId": env.id, "hmacHash": digest}).status_code == 302
    wrong = api.get(path, params={"environmentId": env.id, "hmacHash": "0" * 64}).json()
    assert (
        wrong["message"] == "Hmac is enabled on the integration, please provide a valid HMAC hash"
    )
    back = api.get(
        f"{path}/callback", params={"environmentId": env.id, "hmacHash": digest, "code": "z"}
    )
    assert (back.status_code, back.headers["location"]) == (302, "https://app.example/done")


def test_novu_py_online_flag(api: Api) -> None:
    novu_py = pytest.importorskip("novu_py")
    from novu_py.utils import BackoffStrategy, RetryConfig

    novu = novu_py.Novu(
        secret_key=api.key,
        server_url=str(api.client.base_url).rstrip("/"),
        retry_config=RetryConfig("none", BackoffStrategy(0, 0, 0, 0), False),
    )
    answer = novu.subscribers.properties.update_online_flag(
        subscriber_id="user-2", update_subscriber_online_flag_request_dto={"is_online": False}
    ).result
    assert answer.subscriber_id == "user-2" and answer.is_online is False
    assert answer.last_online_at is not None
