"""The done-when scenario of issue 13 through novu-py 3.19.0, on both transports: Novu's read
APIs (messages, activity feed, in-app feed, unseen count, mark-as, mark-all, actions, deletes)
answer from what each subscriber would have received."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from conftest import Api

novu_py = pytest.importorskip("novu_py")
from novu_py.utils import BackoffStrategy, RetryConfig  # noqa: E402

TRIO: dict[str, Any] = {
    "workflowId": "trio",
    "name": "Trio",
    "steps": [
        {
            "stepId": "inbox",
            "type": "in_app",
            "subject": "Hi {{ subscriber.firstName }}",
            "body": "Order {{ payload.order }} is ready",
            "redirect": {"url": "https://shop.example/orders/{{ payload.order }}"},
        },
        {
            "stepId": "mail",
            "type": "email",
            "subject": "Your order {{ payload.order }}",
            "body": "<h1>Thanks, {{ subscriber.firstName }}</h1>",
            "conditions": {"!=": [{"var": "payload.quiet"}, True]},
        },
        {"stepId": "text", "type": "sms", "body": "Order {{ payload.order }} ready"},
    ],
}


@pytest.fixture
def novu(api: Api) -> Iterator[Any]:
    retries = RetryConfig("none", BackoffStrategy(0, 0, 0, 0), False)
    server = None if api.transport == "inprocess" else str(api.client.base_url)
    api.seed({"workflows": [TRIO]})
    yield novu_py.Novu(secret_key=api.key, server_url=server, retry_config=retries)


def _bulk(novu: Any, payloads: list[dict[str, Any]], to: list[str]) -> list[str]:
    events = [{"workflow_id": "trio", "to": to, "payload": p} for p in payloads]
    answers = novu.trigger_bulk(bulk_trigger_event_dto={"events": events}).result
    assert [a.status for a in answers] == ["processed"] * len(payloads)
    return [a.transaction_id for a in answers]


# novu-py warns about a deprecated field of its own notifications-list request model.
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_done_when_scenario(novu: Any, api: Api) -> None:
    novu.subscribers.create(
        create_subscriber_request_dto={
            "subscriber_id": "sam",
            "email": "sam@example.com",
            "phone": "+15550100",
            "first_name": "Sam",
        }
    )
    novu.subscribers.create(create_subscriber_request_dto={"subscriber_id": "nomail"})
    [txn] = _bulk(novu, [{"order": 42}], ["sam", "nomail"])

    # messages: rendered, per channel
    listed = novu.messages.retrieve(request={"subscriber_id": "sam", "limit": 10}).result
    assert listed.total_count == 3 and listed.has_more is False
    by_channel = {m.channel.value: m for m in listed.data}
    assert by_channel["email"].subject == "Your order 42"
    assert by_channel["email"].content == "<h1>Thanks, Sam</h1>"
    assert by_channel["email"].email == "sam@example.com"
    assert by_channel["sms"].content == "Order 42 ready" and by_channel["sms"].phone == "+15550100"
    assert by_channel["in_app"].cta.data.url == "https://shop.example/orders/42"
    assert {m.transaction_id for m in listed.data} == {txn}

    # the activity feed: one notification per trigger and subscriber, jobs with details
    activity = novu.notifications.list(request={"transaction_id": txn}).result
    assert sorted(n.subscriber.subscriber_id for n in activity.data) == ["nomail", "sam"]
    nomail = next(n for n in activity.data if n.subscriber.subscriber_id == "nomail")
    jobs = {j.type.value: j for j in nomail.jobs}
    assert jobs["in_app"].status == "completed"
    assert jobs["email"].status == "failed"
    assert [d.detail for d in jobs["email"].execution_details][-1] == (
        "Subscriber missing recipient details"
    )
    single = novu.notifications.retrieve(notification_id=nomail.id).result
    assert single.transaction_id == txn and len(single.jobs) == 3
    assert single.template.triggers[0].identifier == "trio"

    # the in-app feed
    feed = novu.subscribers.notifications.feed(request={"subscriber_id": "sam"}).result
    assert [item.content for item in feed.data] == ["Order 42 is ready"]
    assert feed.data[0].subject == "Hi Sam" and feed.total_count == 1

    # SMS off through the preferences endpoint: the next trigger skips it, with the reason
    novu.subscribers.preferences.update(
        subscriber_id="sam", patch_subscriber_preferences_dto={"channels": {"sms": False}}
    )
    # ... and a false condition skips the email step
    [txn2] = _bulk(novu, [{"order": 43, "quiet": True}], ["sam"])
    second = novu.messages.retrieve(request={"transaction_id": [txn2]}).result
    assert [m.channel.value for m in second.data] == ["in_app"]
    [note] = novu.notifications.list(request={"transaction_id": txn2}).result.data
    jobs = {j.type.value: j for j in note.jobs}
    assert jobs["sms"].status == "skipped"
    assert jobs["sms"].execution_details[-1].detail == (
        "Step filtered by subscriber global preferences"
    )
    assert jobs["email"].execution_details[-1].detail == "Step was filtered based on steps filters"
    # the same skips through the admin API:
    assert [
        s["reason"] for s in api.get("/_mock/skips", params={"transactionId": txn2}).json()["data"]
    ] == [
        "condition",
        "preference",
    ]

    # unseen count, mark-as, mark-all, actions
    unseen = novu.subscribers.notifications.unseen_count(subscriber_id="sam").result
    assert unseen.count == 2
    first = novu.subscribers.notifications.feed(request={"subscriber_id": "sam"}).result.data[0]
    marked = novu.subscribers.messages.mark_all_as(
        subscriber_id="sam",
        message_mark_as_request_dto={"message_id": first.id, "mark_as": "read"},
    ).result
    assert [(m.id, m.read, m.seen) for m in marked] == [(first.id, True, True)]
    assert novu.subscribers.notifications.unseen_count(subscriber_id="sam").result.count == 1
    read_feed = novu.subscribers.notifications.feed(request={"subscriber_id": "sam", "read": True})
    assert [i.id for i in read_feed.result.data] == [first.id]
    changed = novu.subscribers.messages.mark_all(
        subscriber_id="sam", mark_all_message_as_request_dto={"mark_as": "seen"}
    ).result
    assert changed == 1
    assert novu.subscribers.notifications.unseen_count(subscriber_id="sam").result.count == 0
    acted = novu.subscribers.messages.update_as_seen(
        request={
            "message_id": first.id,
            "type": "primary",
            "subscriber_id": "sam",
            "mark_message_action_as_seen_dto": {"status": "done", "payload": {"ok": 1}},
        }
    ).result
    assert acted.cta.action.status.value == "done"
    assert acted.cta.action.result.type.value == "primary"

    # deletes
    deleted = novu.messages.delete(message_id=by_channel["sms"].id).result
    assert deleted.acknowledged is True and deleted.status.value == "deleted"
    novu.messages.delete_by_transaction_id(transaction_id=txn, channel="email")
    left = novu.messages.retrieve(request={"transaction_id": [txn], "limit": 100}).result
    assert sorted(m.channel.value for m in left.data) == ["in_app", "in_app"]
    with pytest.raises(novu_py.models.ErrorDto) as caught:
        novu.messages.delete_by_transaction_id(transaction_id="txn_nope")
    assert caught.value.data.message == "Invalid transactionId or channel"


def test_read_api_errors_in_novus_shape(api: Api) -> None:
    api.seed({"workflows": [TRIO], "subscribers": [{"subscriberId": "sam"}]})
    r = api.get("/v1/messages", params={"limit": 1001})
    assert r.status_code == 400 and r.json()["message"] == "Limit can not be larger then 1000"
    r = api.get("/v1/messages", params={"channel": "fax"})
    assert r.status_code == 422 and "channel" in r.json()["errors"]
    r = api.delete("/v1/messages/not-an-id")
    assert r.status_code == 422
    assert r.json()["errors"]["messageId"]["messages"] == ["messageId must be a mongodb id"]
    r = api.delete("/v1/messages/" + "a" * 24)
    assert r.status_code == 404
    r = api.get("/v1/subscribers/ghost/notifications/feed")
    assert r.status_code == 404 and r.json()["message"] == "Subscriber not found for id ghost"
    r = api.post("/v1/subscribers/sam/messages/mark-as", {"messageId": "x", "markAs": "gone"})
    assert r.status_code == 422 and "markAs" in r.json()["errors"]
    r = api.get("/v1/notifications/" + "b" * 24)
    assert r.status_code == 404
    r = api.get("/v1/subscribers/sam/notifications/feed", params={"payload": "!!"})
    assert r.status_code == 422


def test_feed_filters_by_payload_and_pages(api: Api) -> None:
    import base64
    import json

    api.seed({"workflows": [TRIO], "subscribers": [{"subscriberId": "sam"}]})
    for order in range(3):
        assert (
            api.post(
                "/v1/events/trigger", {"name": "trio", "to": "sam", "payload": {"order": order}}
            ).status_code
            == 201
        )
    wanted = base64.b64encode(json.dumps({"order": 1}).encode()).decode()
    r = api.get("/v1/subscribers/sam/notifications/feed", params={"payload": wanted})
    assert [i["content"] for i in r.json()["data"]] == ["Order 1 is ready"]
    r = api.get("/v1/subscribers/sam/notifications/feed", params={"limit": 2, "page": 1})
    body = r.json()
    assert [i["content"] for i in body["data"]] == ["Order 0 is ready"]
    assert body["hasMore"] is False and body["totalCount"] == 3 and body["page"] == 1
    r = api.get("/v1/notifications", params={"channels": "push"})
    assert r.json()["data"] == []
    # sam has no phone: each notification still has its sms job, failed for want of a number
    r = api.get("/v1/notifications", params={"channels": "sms"})
    assert [j["status"] for n in r.json()["data"] for j in n["jobs"] if j["type"] == "sms"] == [
        "failed"
    ] * 3
    r = api.get("/v1/notifications", params={"channels": "in_app", "subscriberIds": "sam"})
    assert len(r.json()["data"]) == 3 and r.json()["hasMore"] is False
