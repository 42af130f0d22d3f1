"""The activity feed's `severity`, `topicKey`, `subscriptionId` and repeated `transactionId`
filters (GET /v1/notifications) as Novu's NotificationRepository.getFeed applies them, on both
transports and through novu-py 3.19.0's `notifications.list`."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import Api

from novu_mock import NovuMock
from novu_mock._fixtures import FixtureError

novu_py = pytest.importorskip("novu_py")
from novu_py.utils import BackoffStrategy, RetryConfig  # noqa: E402

SEED: dict[str, Any] = {
    "workflows": [
        {"workflowId": "alarm", "severity": "high", "steps": [{"type": "in_app", "body": "!"}]},
        {"workflowId": "digest-news", "severity": "low", "steps": [{"type": "in_app"}]},
        {"workflowId": "plain", "steps": [{"type": "in_app"}]},
    ],
    "subscribers": [{"subscriberId": s} for s in ("ada", "bob", "cy")],
    "topics": [
        {"key": "ops", "subscribers": ["ada", "bob"]},
        {"key": "beta", "subscribers": ["bob", "cy"]},
    ],
}


def trigger(api: Api, name: str, to: Any, txn: str, **event: Any) -> None:
    body = {"name": name, "to": to, "transactionId": txn, **event}
    response = api.post("/v1/events/trigger", body)
    assert response.status_code == 201, response.text


def feed(api: Api, **params: Any) -> list[tuple[str, str]]:
    response = api.get("/v1/notifications", params={"limit": 50, **params})
    assert response.status_code == 200, response.text
    return sorted(
        (n["transactionId"], n["subscriber"]["subscriberId"]) for n in response.json()["data"]
    )


def scenario(api: Api) -> None:
    api.seed(SEED)
    trigger(api, "alarm", "cy", "t-alarm")
    trigger(api, "digest-news", "ada", "t-news")
    trigger(api, "plain", "ada", "t-plain")
    trigger(api, "plain", "cy", "t-urgent", overrides={"severity": "medium"})
    # ada named directly, bob and cy through topics (bob through ops, the first topic listed)
    trigger(
        api,
        "plain",
        ["ada", {"type": "Topic", "topicKey": "ops"}, {"type": "Topic", "topicKey": "beta"}],
        "t-topics",
    )


def test_severity_matches_the_workflows_and_none_matches_unset(api: Api) -> None:
    scenario(api)
    assert feed(api, severity="high") == [("t-alarm", "cy")]
    assert feed(api, severity=["high", "low"]) == [("t-alarm", "cy"), ("t-news", "ada")]
    # the trigger's overrides.severity wins over the workflow's
    assert feed(api, severity="medium") == [("t-urgent", "cy")]
    assert feed(api, severity="none") == [
        ("t-plain", "ada"),
        ("t-topics", "ada"),
        ("t-topics", "bob"),
        ("t-topics", "cy"),
    ]


def test_topic_key_and_subscription_id_match_who_came_through_a_topic(api: Api) -> None:
    scenario(api)
    assert feed(api, topicKey="ops") == [("t-topics", "bob")]
    assert feed(api, topicKey="beta") == [("t-topics", "cy")]
    assert feed(api, topicKey="nope") == []
    # The subscription's identifier as the topics endpoints show it.
    subs = api.get("/v2/topics/beta/subscriptions").json()["data"]
    cy = next(s["identifier"] for s in subs if s["subscriber"]["subscriberId"] == "cy")
    assert feed(api, subscriptionId=cy) == [("t-topics", "cy")]
    assert feed(api, subscriptionId="tk_ops:si_cy") == []


def test_transaction_id_is_repeatable(api: Api) -> None:
    scenario(api)
    assert feed(api, transactionId=["t-alarm", "t-news"]) == [("t-alarm", "cy"), ("t-news", "ada")]


def test_workflow_severity_in_fixtures_is_checked() -> None:
    with pytest.raises(FixtureError, match=r"workflows\[0\]\.severity"):
        NovuMock([{"workflows": [{"workflowId": "w", "severity": "urgent"}]}])


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_novu_py_notifications_list_filters(api: Api) -> None:
    scenario(api)
    retries = RetryConfig("none", BackoffStrategy(0, 0, 0, 0), False)
    server = None if api.transport == "inprocess" else str(api.client.base_url)
    novu = novu_py.Novu(secret_key=api.key, server_url=server, retry_config=retries)

    def listed(**request: Any) -> list[str]:
        result = novu.notifications.list(request={"limit": 50, **request}).result
        return sorted(f"{n.transaction_id}:{n.subscriber.subscriber_id}" for n in result.data)

    assert listed(severity=["high"]) == ["t-alarm:cy"]
    assert listed(topic_key="ops") == ["t-topics:bob"]
    assert listed(subscription_id="tk_beta:si_cy") == ["t-topics:cy"]
