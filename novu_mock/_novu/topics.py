"""Handlers of Novu's topics endpoints, v2 (what novu-py calls) and v1 (contract 9.4, 9.6).
A topic's members are the set a trigger to the topic fans out to."""

from __future__ import annotations

from typing import Any

from .._core.errors import NovuError, field_problem, validation_error
from .._core.http import Reply
from .._core.request import Request
from .._model.entities import Topic
from .._model.environment import Environment
from .listing import Problems, contains, cursor_page, derived_id, integer, raise_problems
from .subscribers import brief_view

MAX_SUBSCRIPTIONS = 100


# -- views -------------------------------------------------------------------------------------


def topic_view(topic: Topic) -> dict[str, Any]:
    """TopicResponseDto (v2)."""
    view: dict[str, Any] = {"_id": topic.id, "key": topic.key}
    if topic.name is not None:
        view["name"] = topic.name
    view["createdAt"] = topic.created_at
    view["updatedAt"] = topic.updated_at
    return view


def topic_v1_view(env: Environment, topic: Topic) -> dict[str, Any]:
    return {
        "_id": topic.id,
        "_organizationId": env.organization_id,
        "_environmentId": env.id,
        "key": topic.key,
        "name": topic.name,
        "subscribers": list(topic.members),
    }


def identifier_of(topic: Topic, subscriber_id: str) -> str:
    """A subscription's identifier, in the form Novu generates (`tk_<key>:si_<subscriberId>`)."""
    return f"tk_{topic.key}:si_{subscriber_id}"


def subscription_view(env: Environment, topic: Topic, subscriber_id: str) -> dict[str, Any]:
    """A subscription (TopicSubscriptionResponseDto / SubscriptionResponseDto). The store keeps
    only the member id, so the subscription's timestamps are the topic's."""
    entity = env.subscribers.get(subscriber_id)
    return {
        "_id": derived_id(topic.id, "subscription", subscriber_id),
        "identifier": identifier_of(topic, subscriber_id),
        "topic": {"_id": topic.id, "key": topic.key, "name": topic.name},
        "subscriber": brief_view(entity) if entity is not None else None,
        "createdAt": topic.created_at,
        "updatedAt": topic.updated_at,
    }


# -- helpers -----------------------------------------------------------------------------------


def _defined_string(body: dict[str, Any], name: str, problems: Problems) -> None:
    value = body.get(name)
    if value is None:
        problems[name] = field_problem(
            [f"{name} should not be null or undefined", f"{name} must be a string"],
            value,
            name in body,
        )
    elif not isinstance(value, str):
        problems[name] = field_problem([f"{name} must be a string"], value, True)


def _optional_string(body: dict[str, Any], name: str, problems: Problems) -> None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        problems[name] = field_problem([f"{name} must be a string"], value, True)


def _v2_topic(req: Request) -> Topic:
    key = req.params["topicKey"]
    topic = req.environment().topics.get(key)
    if topic is None:
        raise NovuError(404, f"Topic with key {key} not found")
    return topic


def _subscriber_ids(body: dict[str, Any]) -> list[str]:
    """`subscriberIds`, or the subscriberIds of `subscriptions` items; 422 when neither."""
    ids = body.get("subscriberIds")
    if ids is None and isinstance(body.get("subscriptions"), list):
        ids = [
            item.get("subscriberId") if isinstance(item, dict) else item
            for item in body["subscriptions"]
        ]
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise validation_error(
            {
                "subscriberIds": field_problem(
                    [
                        "each value in subscriberIds must be a string",
                        "subscriberIds must be an array",
                    ],
                    body.get("subscriberIds"),
                    "subscriberIds" in body,
                )
            }
        )
    if not ids or len(ids) > MAX_SUBSCRIPTIONS:
        message = (
            "subscriberIds should not be empty"
            if not ids
            else f"subscriberIds must contain no more than {MAX_SUBSCRIPTIONS} elements"
        )
        raise validation_error({"subscriberIds": field_problem([message], ids, True)})
    return list(dict.fromkeys(ids))


# -- v2 ----------------------------------------------------------------------------------------


def upsert_v2(req: Request) -> Reply:
    """POST /v2/topics: 201 when created, 200 when the key exists (name updated if sent)."""
    env = req.environment()
    body = req.json_object()
    problems: Problems = {}
    _defined_string(body, "key", problems)
    _optional_string(body, "name", problems)
    raise_problems(problems)
    key = body["key"]
    topic = env.topics.get(key)
    if topic is not None:
        if req.query().get("failIfExists", "").lower() == "true":
            raise NovuError(409, f'Topic with key "{key}" already exists')
        if isinstance(body.get("name"), str):
            topic.rename(body["name"], req.stamp)
        return Reply.data(200, topic_view(topic))
    topic = env.create_topic(key, body.get("name"), req.stamp)
    return Reply.data(201, topic_view(topic))


def list_v2(req: Request) -> Reply:
    """GET /v2/topics: filters `key` and `name` (case-insensitive substrings); cursor pages."""
    env = req.environment()
    query = req.query()
    items = [
        topic_view(t)
        for t in env.topics.values()
        if (not query.get("key") or contains(t.key, query["key"]))
        and (not query.get("name") or contains(t.name, query["name"]))
    ]
    return Reply.json(
        200, cursor_page(items, req, order_fields=("createdAt", "updatedAt", "_id", "key", "name"))
    )


def get_v2(req: Request) -> Reply:
    """GET /v2/topics/{topicKey}"""
    return Reply.data(200, topic_view(_v2_topic(req)))


def update_v2(req: Request) -> Reply:
    """PATCH /v2/topics/{topicKey}: rename."""
    topic = _v2_topic(req)
    body = req.json_object()
    problems: Problems = {}
    _defined_string(body, "name", problems)
    raise_problems(problems)
    topic.rename(body["name"], req.stamp)
    return Reply.data(200, topic_view(topic))


def delete_v2(req: Request) -> Reply:
    """DELETE /v2/topics/{topicKey}: the topic and its subscriptions."""
    topic = _v2_topic(req)
    req.environment().remove_topic(topic.key)
    return Reply.data(200, {"acknowledged": True})


def _failure(subscriber_id: str, code: str, message: str) -> dict[str, str]:
    """One item of a subscriptions answer's `errors`."""
    return {"subscriberId": subscriber_id, "code": code, "message": message}


def subscribe_v2(req: Request) -> Reply:
    """POST /v2/topics/{topicKey}/subscriptions: the topic is created when missing; unknown
    subscribers are reported in `errors` (201 all the same)."""
    env = req.environment()
    body = req.json_object()
    ids = _subscriber_ids(body)
    name = body.get("name")
    if name is not None and not isinstance(name, str):
        raise validation_error({"name": field_problem(["name must be a string"], name, True)})
    key = req.params["topicKey"]
    topic = env.topic_or_new(key, name, req.stamp)
    data, errors = [], []
    for sub_id in ids:
        if sub_id not in env.subscribers:
            errors.append(
                _failure(
                    sub_id,
                    "SUBSCRIBER_NOT_FOUND",
                    f"Subscriber with ID '{sub_id}' could not be found.",
                )
            )
            continue
        env.add_to_topic(topic, [sub_id], req.stamp)
        data.append(subscription_view(env, topic, sub_id))
    return Reply.json(201, _batch(data, errors, len(ids)))


def unsubscribe_v2(req: Request) -> Reply:
    """DELETE /v2/topics/{topicKey}/subscriptions (JSON body `{subscriberIds}`)."""
    env = req.environment()
    topic = _v2_topic(req)
    ids = _subscriber_ids(req.json_object())
    data, errors = [], []
    for sub_id in ids:
        if sub_id not in topic.members:
            errors.append(
                _failure(
                    sub_id,
                    "SUBSCRIPTION_NOT_FOUND",
                    f"Subscription for subscriber '{sub_id}' could not be found.",
                )
            )
            continue
        data.append(subscription_view(env, topic, sub_id))
        env.remove_from_topic(topic, sub_id, req.stamp)
    return Reply.json(200, _batch(data, errors, len(ids)))


def _batch(data: list[dict[str, Any]], errors: list[dict[str, Any]], total: int) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "data": data,
        "meta": {"totalCount": total, "successful": len(data), "failed": len(errors)},
    }
    if errors:
        answer["errors"] = errors
    return answer


def list_subscriptions(req: Request) -> Reply:
    """GET /v2/topics/{topicKey}/subscriptions (filter `subscriberId`); cursor pages."""
    env = req.environment()
    topic = _v2_topic(req)
    wanted = req.query().get("subscriberId")
    items = [
        subscription_view(env, topic, sub_id)
        for sub_id in topic.members
        if not wanted or sub_id == wanted
    ]
    return Reply.json(200, cursor_page(items, req, order_fields=("createdAt", "updatedAt", "_id")))


def _subscription(req: Request) -> tuple[Topic, str]:
    topic = _v2_topic(req)
    identifier = req.params["identifier"]
    for sub_id in topic.members:
        if identifier in (sub_id, identifier_of(topic, sub_id)):
            return topic, sub_id
    raise NovuError(404, f"Subscription with identifier {identifier} not found")


def get_subscription(req: Request) -> Reply:
    """GET /v2/topics/{topicKey}/subscriptions/{identifier}: by identifier or subscriberId."""
    topic, sub_id = _subscription(req)
    view = subscription_view(req.environment(), topic, sub_id)
    return Reply.data(200, {"id": view["_id"], "identifier": view["identifier"], "preferences": []})


def update_subscription(req: Request) -> Reply:
    """PATCH /v2/topics/{topicKey}/subscriptions/{identifier}: accepted; name and preferences
    of a subscription are not stored."""
    topic, sub_id = _subscription(req)
    body = req.json_object()
    problems: Problems = {}
    _optional_string(body, "name", problems)
    raise_problems(problems)
    view = subscription_view(req.environment(), topic, sub_id)
    if isinstance(body.get("name"), str):
        view["name"] = body["name"]
    return Reply.data(200, view)


def subscriber_subscriptions(req: Request) -> Reply:
    """GET /v2/subscribers/{subscriberId}/subscriptions: the topics a subscriber is in."""
    env = req.environment()
    sub_id = req.params["subscriberId"]
    if sub_id not in env.subscribers:
        raise NovuError(404, f"Subscriber: {sub_id} was not found")
    key = req.query().get("key")
    items = [
        subscription_view(env, topic, sub_id)
        for topic in env.topics.values()
        if sub_id in topic.members and (not key or topic.key == key)
    ]
    return Reply.json(200, cursor_page(items, req, order_fields=("createdAt", "updatedAt", "_id")))


# -- v1 ----------------------------------------------------------------------------------------


def _v1_not_found(env: Environment, key: str) -> NovuError:
    return NovuError(404, f"Topic not found for id {key} in the environment {env.id}")


def _v1_topic(req: Request) -> Topic:
    env = req.environment()
    topic = env.topics.get(req.params["topicKey"])
    if topic is None:
        raise _v1_not_found(env, req.params["topicKey"])
    return topic


def create_v1(req: Request) -> Reply:
    """POST /v1/topics: 201 `{_id, key}`; an existing key is a 409."""
    env = req.environment()
    body = req.json_object()
    problems: Problems = {}
    _defined_string(body, "key", problems)
    _defined_string(body, "name", problems)
    raise_problems(problems)
    key = body["key"]
    if key in env.topics:
        raise NovuError(
            409,
            f"Topic exists with key {key} in the environment {env.id} of the organization "
            f"{env.organization_id}",
        )
    topic = env.create_topic(key, body["name"], req.stamp)
    return Reply.data(201, {"_id": topic.id, "key": topic.key})


def list_v1(req: Request) -> Reply:
    """GET /v1/topics: `{page, totalCount, pageSize, data}`; `pageSize` over 10 is a 400."""
    env = req.environment()
    query = req.query()
    problems: Problems = {}
    # FilterTopicsRequestDto: Number(value), then @IsInt() @Min(0) (Novu's filter-topics e2e)
    page = integer(query, "page", 0, problems, minimum=0, nan_below_minimum=True)
    size = integer(query, "pageSize", 10, problems, minimum=0, nan_below_minimum=True)
    raise_problems(problems)
    if size > 10:
        raise NovuError(400, "Page size can not be larger then 10")
    topics = [t for t in env.topics.values() if not query.get("key") or t.key == query["key"]]
    # Mongo's limit(0) is no limit.
    shown = topics[page * size : (page + 1) * size] if size else topics
    data = [topic_v1_view(env, t) for t in shown]
    return Reply.json(
        200, {"page": page, "totalCount": len(topics), "pageSize": size, "data": data}
    )


def get_v1(req: Request) -> Reply:
    """GET /v1/topics/{topicKey}"""
    return Reply.data(200, topic_v1_view(req.environment(), _v1_topic(req)))


def rename_v1(req: Request) -> Reply:
    """PATCH /v1/topics/{topicKey}"""
    env = req.environment()
    key = req.params["topicKey"]
    body = req.json_object()
    problems: Problems = {}
    _defined_string(body, "name", problems)
    raise_problems(problems)
    topic = env.topics.get(key)
    if topic is None:  # Novu's rename use case calls the get use case first
        raise _v1_not_found(env, key)
    topic.rename(body["name"], req.stamp)
    return Reply.data(200, topic_v1_view(env, topic))


def delete_v1(req: Request) -> Reply:
    """DELETE /v1/topics/{topicKey}: 204; a topic with members cannot be deleted (409)."""
    env = req.environment()
    topic = _v1_topic(req)
    if topic.members:
        raise NovuError(
            409,
            f"Topic with key {topic.key} in the environment {env.id} can't be deleted as it "
            "still has subscribers assigned",
        )
    env.remove_topic(topic.key)
    return Reply.empty(204)


def _v1_ids(req: Request) -> list[str]:
    body = req.json_object()
    ids = body.get("subscribers")
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        # Add/RemoveSubscribersRequestDto: @IsArray() @IsDefined() (Novu's topics e2e)
        if ids is None:
            messages = ["subscribers should not be null or undefined"]
        else:
            messages = ["each value in subscribers must be a string"]
        if not isinstance(ids, list):
            messages.append("subscribers must be an array")
        raise validation_error({"subscribers": field_problem(messages, ids, "subscribers" in body)})
    return list(dict.fromkeys(ids))


def add_subscribers_v1(req: Request) -> Reply:
    """POST /v1/topics/{topicKey}/subscribers: 200; an unknown key is created as
    `Autogenerated-<key>`; unknown subscribers are listed in `failed.notFound`."""
    env = req.environment()
    ids = _v1_ids(req)
    key = req.params["topicKey"]
    topic = env.topic_or_new(key, f"Autogenerated-{key}", req.stamp)
    succeeded = [i for i in ids if i in env.subscribers]
    missing = [i for i in ids if i not in env.subscribers]
    env.add_to_topic(topic, succeeded, req.stamp)
    answer: dict[str, Any] = {"succeeded": succeeded}
    if missing:
        answer["failed"] = {"notFound": missing}
    return Reply.data(200, answer)


def remove_subscribers_v1(req: Request) -> Reply:
    """POST /v1/topics/{topicKey}/subscribers/removal: 204."""
    env = req.environment()
    topic = _v1_topic(req)
    for sub_id in _v1_ids(req):
        env.remove_from_topic(topic, sub_id, req.stamp)
    return Reply.empty(204)


def get_subscriber_v1(req: Request) -> Reply:
    """GET /v1/topics/{topicKey}/subscribers/{externalSubscriberId}"""
    env = req.environment()
    key = req.params["topicKey"]
    sub_id = req.params["externalSubscriberId"]
    topic = env.topics.get(key)
    entity = env.subscribers.get(sub_id)
    if topic is None or entity is None or sub_id not in topic.members:
        raise NovuError(
            404, f"Subscriber {sub_id} not found for topic {key} in the environment {env.id}"
        )
    return Reply.data(
        200,
        {
            # Novu spreads the whole TopicSubscribersEntity, its `_id` included.
            "_id": derived_id(topic.id, "subscription", sub_id),
            "_organizationId": env.organization_id,
            "_environmentId": env.id,
            "_subscriberId": entity["_id"],
            "_topicId": topic.id,
            "topicKey": topic.key,
            "externalSubscriberId": sub_id,
        },
    )
