"""Handlers of Novu's subscribers endpoints, v1 and v2 (contract 9.1, 9.2, 9.6), on the same
store the triggers upsert into: a subscriber created here is the one a trigger reaches."""

from __future__ import annotations

import re
from typing import Any

from .._core.errors import NovuError, field_problem, validation_error
from .._core.http import Reply
from .._core.request import Request
from .._delivery.preferences import resolve
from .._model.environment import Environment
from .listing import Problems, contains, cursor_page, derived_id, page_and_limit, raise_problems

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_STRINGS = ("firstName", "lastName", "phone", "avatar", "locale", "timezone")
CHANNEL_TYPES = ("in_app", "email", "sms", "chat", "push")
PROVIDERS = (
    "slack", "discord", "msteams", "webex-messaging", "mattermost", "ryver", "zulip",
    "grafana-on-call", "getstream", "rocket-chat", "whatsapp-business", "line", "chat-webhook",
    "novu-slack", "telegram", "sendblue", "novu-web-chat", "fcm", "apns", "expo", "one-signal",
    "pushpad", "push-webhook", "pusher-beams", "appio",
)  # fmt: skip
BULK_LIMIT = 500


# -- views -------------------------------------------------------------------------------------


def channel_view(env: Environment, channel: dict[str, Any]) -> dict[str, Any]:
    view = dict(channel)
    if view.get("credentials") is None:  # absent, or null as created: Novu answers an object
        view["credentials"] = {}
    view["_integrationId"] = derived_id(env.id, "integration", str(channel.get("providerId")))
    return view


def topics_of(env: Environment, subscriber_id: str) -> list[str]:
    return [key for key, topic in env.topics.items() if subscriber_id in topic.members]


def subscriber_view(env: Environment, entity: dict[str, Any]) -> dict[str, Any]:
    """Novu's SubscriberResponseDto of a stored subscriber (absent optional fields omitted)."""
    view: dict[str, Any] = {"_id": entity["_id"]}
    for name in ("firstName", "lastName", "email", "phone", "avatar"):
        if name in entity:
            view[name] = entity[name]
    view["subscriberId"] = entity["subscriberId"]
    for name in ("locale", "timezone", "data"):
        if name in entity:
            view[name] = entity[name]
    view["channels"] = [
        channel_view(env, c) for c in entity.get("channels") or [] if isinstance(c, dict)
    ]
    view["topics"] = topics_of(env, entity["subscriberId"])
    view["isOnline"] = entity.get("isOnline")
    view["lastOnlineAt"] = entity.get("lastOnlineAt")
    view["_organizationId"] = env.organization_id
    view["_environmentId"] = env.id
    view["deleted"] = False
    view["createdAt"] = entity["createdAt"]
    view["updatedAt"] = entity["updatedAt"]
    view["__v"] = 0
    return view


def brief_view(entity: dict[str, Any]) -> dict[str, Any]:
    """The subscriber as a subscription embeds it."""
    view: dict[str, Any] = {"_id": entity["_id"], "subscriberId": entity["subscriberId"]}
    for name in ("avatar", "firstName", "lastName", "email"):
        view[name] = entity.get(name)
    return view


# -- body validation ---------------------------------------------------------------------------


def body_problems(
    body: dict[str, Any], *, require_id: bool, channels: bool = False, prefix: str = ""
) -> Problems:
    """class-validator's messages for a subscriber body (`CreateSubscriberRequestDto` and the
    patch DTOs); `prefix` names a nested item (`subscribers.0.`)."""
    problems: Problems = {}

    def add(name: str, message: str) -> None:
        key = prefix + name
        entry = problems.setdefault(key, field_problem([], body.get(name), name in body))
        entry["messages"].append(f"{key} {message}")

    if require_id:
        value = body.get("subscriberId")
        if value is None:
            add("subscriberId", "should not be null or undefined")
            add("subscriberId", "must be a string")
        elif not isinstance(value, str):
            add("subscriberId", "must be a string")
    email = body.get("email")
    if email is not None and not (isinstance(email, str) and _EMAIL.match(email)):
        add("email", "must be an email")
    for name in _STRINGS:
        value = body.get(name)
        if value is not None and not isinstance(value, str):
            add(name, "must be a string")
    data = body.get("data")
    if data is not None and not isinstance(data, dict):
        add("data", "must be an object")
    if channels and body.get("channels") is not None:
        if not isinstance(body["channels"], list):
            add("channels", "must be an array")
        else:
            for i, channel in enumerate(body["channels"]):
                _channel_problems(problems, channel, f"{prefix}channels.{i}")
    return problems


def _channel_problems(problems: Problems, channel: Any, key: str) -> None:
    """One item of `channels` (`ChannelSettingsDto`), validated nested as Novu's DTO is."""
    if not isinstance(channel, dict):
        problems[key] = field_problem(
            [f"nested property {key} must be either object or array"], channel, True
        )
        return
    provider = channel.get("providerId")
    if provider not in PROVIDERS:
        problems[f"{key}.providerId"] = field_problem(
            [f"{key}.providerId must be one of the following values: {', '.join(PROVIDERS)}"],
            provider,
            "providerId" in channel,
        )
    credentials = channel.get("credentials")
    if credentials is not None and not isinstance(credentials, dict):
        problems[f"{key}.credentials"] = field_problem(
            [f"{key}.credentials must be an object"], credentials, True
        )
    elif isinstance(credentials, dict):
        credential_problems(problems, credentials, f"{key}.credentials")
    identifier = channel.get("integrationIdentifier")
    if identifier is not None and not isinstance(identifier, str):
        problems[f"{key}.integrationIdentifier"] = field_problem(
            [f"{key}.integrationIdentifier must be a string"], identifier, True
        )


# `ChannelCredentials` of novu-openapi.json: every listed field is a string, except
# `deviceTokens` (an array of strings); Novu's DTO checks them with class-validator (@IsString,
# @IsArray, @IsString({each: true})), so nothing else reaches a stored subscriber.
_CREDENTIAL_STRINGS = (
    "webhookUrl",
    "channel",
    "alertUid",
    "title",
    "imageUrl",
    "state",
    "externalUrl",
)


def credential_problems(problems: Problems, credentials: dict[str, Any], key: str) -> None:
    """class-validator's messages for one `credentials` object (`key` is its dotted path)."""

    def add(name: str, message: str) -> None:
        where = f"{key}.{name}"
        entry = problems.setdefault(where, field_problem([], credentials[name], True))
        entry["messages"].append(message.format(where))

    for name in _CREDENTIAL_STRINGS:
        if credentials.get(name) is not None and not isinstance(credentials[name], str):
            add(name, "{} must be a string")
    tokens = credentials.get("deviceTokens")
    if tokens is not None:
        if not isinstance(tokens, list):
            add("deviceTokens", "{} must be an array")
        elif not all(isinstance(t, str) for t in tokens):
            add("deviceTokens", "each value in {} must be a string")


def _check(body: dict[str, Any], *, require_id: bool, channels: bool = False) -> None:
    problems = body_problems(body, require_id=require_id, channels=channels)
    if problems:
        raise validation_error(problems)


def _v1_missing(subscriber_id: str) -> NovuError:
    return NovuError(404, f"Subscriber not found for id {subscriber_id}")


def _v2_missing(subscriber_id: str) -> NovuError:
    return NovuError(404, f"Subscriber: {subscriber_id} was not found")


def _v2_get(req: Request) -> dict[str, Any]:
    sub_id = req.params["subscriberId"]
    entity = req.environment().subscribers.get(sub_id)
    if entity is None:
        raise _v2_missing(sub_id)
    return entity


def _v1_get(req: Request) -> dict[str, Any]:
    sub_id = req.params["subscriberId"]
    entity = req.environment().subscribers.get(sub_id)
    if entity is None:
        raise _v1_missing(sub_id)
    return entity


# -- v2 ----------------------------------------------------------------------------------------


def search(req: Request) -> Reply:
    """GET /v2/subscribers: filters by email, name, phone, subscriberId; cursor pages."""
    env = req.environment()
    query = req.query()
    items = []
    for entity in env.subscribers.values():
        if (
            "email" in query
            and query["email"]
            and not contains(entity.get("email"), query["email"])
        ):
            continue
        if (
            "phone" in query
            and query["phone"]
            and not contains(entity.get("phone"), query["phone"])
        ):
            continue
        if query.get("subscriberId") and not contains(
            entity["subscriberId"], query["subscriberId"]
        ):
            continue
        if query.get("name"):
            full = " ".join(
                str(entity[n]) for n in ("firstName", "lastName") if isinstance(entity.get(n), str)
            )
            if not contains(full, query["name"]):
                continue
        items.append(subscriber_view(env, entity))
    page = cursor_page(items, req, order_fields=("createdAt", "updatedAt", "_id"))
    return Reply.json(200, page)


def create_v2(req: Request) -> Reply:
    """POST /v2/subscribers: an upsert, unless `failIfExists=true`."""
    env = req.environment()
    body = req.json_object()
    _check(body, require_id=True, channels=True)
    sub_id = body["subscriberId"]
    if sub_id in env.subscribers and req.query().get("failIfExists", "").lower() == "true":
        raise NovuError(409, f'Subscriber with id "{sub_id}" already exists')
    env.save_subscriber(body, req.stamp, replace_null=True)
    return Reply.data(201, subscriber_view(env, env.subscribers[sub_id]))


def get_v2(req: Request) -> Reply:
    """GET /v2/subscribers/{subscriberId}"""
    return Reply.data(200, subscriber_view(req.environment(), _v2_get(req)))


def patch_v2(req: Request) -> Reply:
    """PATCH /v2/subscribers/{subscriberId}"""
    entity = _v2_get(req)
    body = req.json_object()
    _check(body, require_id=False)
    req.environment().update_subscriber(entity, body, req.stamp, replace_null=True)
    return Reply.data(200, subscriber_view(req.environment(), entity))


def delete_v2(req: Request) -> Reply:
    """DELETE /v2/subscribers/{subscriberId}"""
    env = req.environment()
    sub_id = req.params["subscriberId"]
    if sub_id not in env.subscribers:
        raise NovuError(
            404, "Subscriber was not found", reason=False, extra={"externalSubscriberId": sub_id}
        )
    env.remove_subscriber(sub_id)
    return Reply.data(200, {"acknowledged": True, "status": "deleted"})


# -- preferences (enforced by delivery, DESIGN 9) ------------------------------------------


def _workflow_channels(steps: list[dict[str, Any]]) -> list[str]:
    return [t for t in CHANNEL_TYPES if any(step.get("type") == t for step in steps)]


def preferences_view(env: Environment, entity: dict[str, Any]) -> dict[str, Any]:
    """GetSubscriberPreferencesDto: everything enabled unless the subscriber turned it off."""
    stored = entity.get("preferences") or {}
    global_channels = {c: True for c in CHANNEL_TYPES}
    global_channels.update(stored.get("channels") or {})
    global_view: dict[str, Any] = {"enabled": True, "channels": global_channels}
    if "schedule" in stored:
        global_view["schedule"] = stored["schedule"]
    workflows = []
    for workflow in env.workflows.values():
        own = (stored.get("workflows") or {}).get(workflow.workflow_id) or {}
        # What delivery enforces: per-workflow, else global, else the workflow's default.
        channels = {c: resolve(workflow, entity, c)[0] for c in _workflow_channels(workflow.steps)}
        workflows.append(
            {
                "enabled": True,
                "channels": channels,
                "overrides": [{"channel": c, "source": "subscriber"} for c in own],
                "workflow": {
                    "slug": workflow.workflow_id,
                    "identifier": workflow.workflow_id,
                    "name": workflow.name,
                },
            }
        )
    return {"global": global_view, "workflows": workflows}


def get_preferences(req: Request) -> Reply:
    """GET /v2/subscribers/{subscriberId}/preferences"""
    return Reply.data(200, preferences_view(req.environment(), _v2_get(req)))


def patch_preferences(req: Request) -> Reply:
    """PATCH /v2/subscribers/{subscriberId}/preferences: global, or one workflow's channels."""
    env = req.environment()
    entity = _v2_get(req)
    body = req.json_object()
    problems: Problems = {}
    channels = body.get("channels")
    if channels is not None and not (
        isinstance(channels, dict)
        and all(k in (*CHANNEL_TYPES, "tool") and isinstance(v, bool) for k, v in channels.items())
    ):
        problems["channels"] = field_problem(
            ["channels must be an object of channel types and booleans"], channels, True
        )
    workflow_id = body.get("workflowId")
    if workflow_id is not None and not isinstance(workflow_id, str):
        problems["workflowId"] = field_problem(["workflowId must be a string"], workflow_id, True)
    schedule = body.get("schedule")
    if schedule is not None and not isinstance(schedule, dict):
        problems["schedule"] = field_problem(["schedule must be an object"], schedule, True)
    raise_problems(problems)
    if workflow_id is not None and workflow_id not in env.workflows:
        raise NovuError(404, f"Workflow with id: {workflow_id} is not found")
    env.update_preferences(entity, channels, workflow_id, schedule, req.stamp)
    return Reply.data(200, preferences_view(env, entity))


# -- v1 ----------------------------------------------------------------------------------------


def list_v1(req: Request) -> Reply:
    """GET /v1/subscribers: `{page, hasMore, pageSize, data}`, `hasMore` as Novu computes it."""
    env = req.environment()
    page, limit = page_and_limit(req)
    entities = list(env.subscribers.values())[page * limit : (page + 1) * limit]
    data = [subscriber_view(env, e) for e in entities]
    return Reply.json(
        200, {"page": page, "hasMore": len(data) == limit, "pageSize": limit, "data": data}
    )


def create_v1(req: Request) -> Reply:
    """POST /v1/subscribers: always an upsert."""
    env = req.environment()
    body = req.json_object()
    _check(body, require_id=True, channels=True)
    env.save_subscriber(body, req.stamp, replace_null=False)
    return Reply.data(201, subscriber_view(env, env.subscribers[body["subscriberId"]]))


def bulk_create(req: Request) -> Reply:
    """POST /v1/subscribers/bulk: at most 500, each validated, each an upsert."""
    env = req.environment()
    body = req.json_object()
    items = body.get("subscribers")
    present = "subscribers" in body
    if not isinstance(items, list):
        raise validation_error(
            {
                "subscribers": field_problem(
                    [
                        f"subscribers must contain no more than {BULK_LIMIT} elements",
                        "subscribers should not be empty",
                        "subscribers must be an array",
                    ],
                    items,
                    present,
                )
            }
        )
    if not items or len(items) > BULK_LIMIT:
        message = (
            "subscribers should not be empty"
            if not items
            else f"subscribers must contain no more than {BULK_LIMIT} elements"
        )
        raise validation_error({"subscribers": field_problem([message], items, True)})
    problems: Problems = {}
    for index, item in enumerate(items):
        prefix = f"subscribers.{index}."
        if not isinstance(item, dict):
            problems[f"subscribers.{index}"] = field_problem(
                [f"nested property subscribers.{index} must be either object or array"], item, True
            )
            continue
        problems.update(body_problems(item, require_id=True, channels=True, prefix=prefix))
    raise_problems(problems)
    result: dict[str, list[dict[str, Any]]] = {"updated": [], "created": [], "failed": []}
    for item in items:
        # Novu's bulkCreateSubscribers upserts on subscriberId with `deleted: false`: a
        # soft-deleted subscriber is revived in place (same `_id`), so it is not `created`.
        env.revive_subscriber(item["subscriberId"])
        created = env.save_subscriber(item, req.stamp, replace_null=False)
        result["created" if created else "updated"].append({"subscriberId": item["subscriberId"]})
    return Reply.data(201, result)


def get_v1(req: Request) -> Reply:
    """GET /v1/subscribers/{subscriberId}"""
    return Reply.data(200, subscriber_view(req.environment(), _v1_get(req)))


def update_v1(req: Request) -> Reply:
    """PUT /v1/subscribers/{subscriberId}: a missing subscriber is Novu's 400, not a 404."""
    env = req.environment()
    sub_id = req.params["subscriberId"]
    body = req.json_object()
    _check(body, require_id=False, channels=True)
    entity = env.subscribers.get(sub_id)
    if entity is None:
        raise NovuError(400, f"SubscriberId: {sub_id} not found")
    env.update_subscriber(entity, body, req.stamp, replace_null=False)
    return Reply.data(200, subscriber_view(env, entity))


def delete_v1(req: Request) -> Reply:
    """DELETE /v1/subscribers/{subscriberId}"""
    env = req.environment()
    _v1_get(req)
    env.remove_subscriber(req.params["subscriberId"])
    return Reply.data(200, {"acknowledged": True, "status": "deleted"})


def _channel_body(req: Request) -> dict[str, Any]:
    body = req.json_object()
    problems: Problems = {}
    provider = body.get("providerId")
    if provider not in PROVIDERS:
        problems["providerId"] = field_problem(
            [f"providerId must be one of the following values: {', '.join(PROVIDERS)}"],
            provider,
            "providerId" in body,
        )
    credentials = body.get("credentials")
    if not isinstance(credentials, dict):
        messages = ["credentials must be an object"]
        if credentials is None:
            messages.insert(0, "credentials should not be null or undefined")
        problems["credentials"] = field_problem(messages, credentials, "credentials" in body)
    else:
        credential_problems(problems, credentials, "credentials")
    identifier = body.get("integrationIdentifier")
    if identifier is not None and not isinstance(identifier, str):
        problems["integrationIdentifier"] = field_problem(
            ["integrationIdentifier must be a string"], identifier, True
        )
    raise_problems(problems)
    return body


def _set_channel(req: Request, append: bool) -> Reply:
    env = req.environment()
    entity = _v1_get(req)
    body = _channel_body(req)
    env.set_credentials(
        entity,
        body["providerId"],
        body["credentials"],
        body.get("integrationIdentifier"),
        req.stamp,
        merge=append,
    )
    return Reply.data(200, subscriber_view(env, entity))


def update_credentials(req: Request) -> Reply:
    """PUT /v1/subscribers/{subscriberId}/credentials: replace one provider's credentials."""
    return _set_channel(req, append=False)


def append_credentials(req: Request) -> Reply:
    """PATCH /v1/subscribers/{subscriberId}/credentials: merge (device tokens appended)."""
    return _set_channel(req, append=True)


def delete_credentials(req: Request) -> Reply:
    """DELETE /v1/subscribers/{subscriberId}/credentials/{providerId} (204)."""
    entity = _v1_get(req)
    provider = req.params["providerId"]
    req.environment().remove_credentials(entity, provider, req.stamp)
    return Reply.empty(204)
