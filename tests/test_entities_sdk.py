"""The real novu-py SDK against the subscribers, topics and workflows endpoints: every call
parses (in-process, default server, retries off)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from novu_mock import NovuMock, bundled

novu_py = pytest.importorskip("novu_py")
from novu_py.utils import BackoffStrategy, RetryConfig  # noqa: E402


@pytest.fixture
def novu() -> Iterator[Any]:
    mock = NovuMock([bundled("default.yaml")])
    with mock.intercept():
        yield novu_py.Novu(
            secret_key="sdk-entities",
            retry_config=RetryConfig("none", BackoffStrategy(0, 0, 0, 0), False),
        )


def test_subscribers_through_novu_py(novu: Any) -> None:
    subscribers = novu.subscribers
    created = subscribers.create(
        create_subscriber_request_dto={
            "subscriber_id": "py-1",
            "email": "py@example.com",
            "first_name": "Py",
        }
    ).result
    assert created.subscriber_id == "py-1" and created.email == "py@example.com"
    assert subscribers.retrieve(subscriber_id="py-1").result.first_name == "Py"
    patched = subscribers.patch(
        subscriber_id="py-1", patch_subscriber_request_dto={"last_name": "Thon"}
    ).result
    assert patched.last_name == "Thon"
    found = subscribers.search(request={"email": "py@", "limit": 10}).result
    assert [s.subscriber_id for s in found.data] == ["py-1"] and found.total_count == 1
    bulk = subscribers.create_bulk(
        bulk_subscriber_create_dto={
            "subscribers": [{"subscriber_id": "py-2"}, {"subscriber_id": "py-1"}]
        }
    ).result
    assert [c.subscriber_id for c in bulk.created] == ["py-2"]
    assert [u.subscriber_id for u in bulk.updated] == ["py-1"]
    prefs = subscribers.preferences.update(
        subscriber_id="py-1", patch_subscriber_preferences_dto={"channels": {"email": False}}
    ).result
    assert prefs.global_.channels.email is False
    assert subscribers.preferences.list(subscriber_id="py-1").result.global_.channels.email is False
    channels = subscribers.credentials.update(
        subscriber_id="py-1",
        update_subscriber_channel_request_dto={
            "provider_id": "fcm",
            "credentials": {"device_tokens": ["t"]},
        },
    ).result.channels
    assert channels[0].credentials.device_tokens == ["t"]
    deleted = subscribers.delete(subscriber_id="py-1").result
    assert (deleted.acknowledged, deleted.status) == (True, "deleted")
    with pytest.raises(novu_py.models.ErrorDto):
        subscribers.retrieve(subscriber_id="py-1")


def test_topics_through_novu_py(novu: Any) -> None:
    topics = novu.topics
    created = topics.create(
        create_update_topic_request_dto={"key": "py-topic", "name": "Py"}
    ).result
    assert created.key == "py-topic"
    assert "py-topic" in [t.key for t in topics.list(request={"limit": 100}).result.data]
    assert topics.get(topic_key="py-topic").result.name == "Py"
    assert (
        topics.update(topic_key="py-topic", update_topic_request_dto={"name": "Py 2"}).result.name
        == "Py 2"
    )
    added = topics.subscriptions.create(
        topic_key="py-topic",
        create_topic_subscriptions_request_dto={"subscriber_ids": ["user-1", "ghost"]},
    ).result
    assert (added.meta.successful, added.meta.failed) == (1, 1)
    assert added.errors[0].code == "SUBSCRIBER_NOT_FOUND"
    listed = topics.subscriptions.list(request={"topic_key": "py-topic"}).result
    assert [s.subscriber.subscriber_id for s in listed.data] == ["user-1"]
    detail = topics.subscriptions.get_subscription(topic_key="py-topic", identifier="user-1").result
    assert detail.identifier == "tk_py-topic:si_user-1"
    member = topics.subscribers.retrieve(
        topic_key="py-topic", external_subscriber_id="user-1"
    ).result
    assert member.topic_key == "py-topic"
    mine = novu.subscribers.topics.list(request={"subscriber_id": "user-1"}).result
    assert "py-topic" in [s.topic.key for s in mine.data]
    removed = topics.subscriptions.delete(
        topic_key="py-topic", delete_topic_subscriptions_request_dto={"subscriber_ids": ["user-1"]}
    ).result
    assert removed.meta.successful == 1
    assert topics.delete(topic_key="py-topic").result.acknowledged is True


def test_workflows_through_novu_py(novu: Any) -> None:
    workflows = novu.workflows
    listed = workflows.list(request={"limit": 100}).result
    assert listed.total_count == 4
    for item in listed.workflows:
        full = workflows.get(workflow_id=item.workflow_id).result
        assert full.workflow_id == item.workflow_id
        assert [s.type for s in full.steps] == [s.type for s in item.steps]
