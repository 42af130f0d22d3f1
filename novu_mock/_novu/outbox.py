"""Novu's read side of delivery (DESIGN 9): messages, the activity feed (notifications), the
subscriber's in-app feed, unseen count, mark-as, mark-all and message actions. Every handler
answers from the environment's messages and notifications."""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from .._core.errors import NovuError, field_problem
from .._core.http import Reply
from .._core.request import Request
from .._delivery.model import CHANNELS, Message, Notification
from .._delivery.views import feed_item_view, feed_jobs, message_view, notification_view
from .._model.clock import iso_utc
from .._model.environment import Environment
from .listing import Problems, integer, query_lists, raise_problems
from .workflows import SEVERITIES

_MONGO_ID = re.compile(r"\A[0-9a-fA-F]{24}\Z")
MARK_AS = ("read", "seen", "unread", "unseen")
ACTION_TYPES = ("primary", "secondary")
ACTION_STATUSES = ("pending", "done")


def _live(env: Environment) -> list[Message]:
    return [m for m in env.messages if not m.deleted]


def _channel_problem(problems: Problems, name: str, value: Any) -> None:
    problems[name] = field_problem(
        [f"{name} must be one of the following values: {', '.join(CHANNELS)}"], value, True
    )


def _subscriber(req: Request) -> dict[str, Any]:
    sub_id = req.params["subscriberId"]
    entity = req.environment().subscribers.get(sub_id)
    if entity is None:
        raise NovuError(404, f"Subscriber not found for id {sub_id}")
    return entity


def _subscriber_messages(env: Environment, subscriber_id: str) -> list[Message]:
    return [m for m in _live(env) if m.subscriber_id == subscriber_id]


# -- /v1/messages --------------------------------------------------------------------------------


def list_messages(req: Request) -> Reply:
    """GET /v1/messages: `channel`, `subscriberId`, `transactionId` (repeatable), page/limit.

    As in Novu: an unknown subscriberId filters nothing; a limit over 1000 is a 400."""
    env = req.environment()
    query = req.query()
    lists = query_lists(req)
    problems: Problems = {}
    page = integer(query, "page", 0, problems, minimum=0)
    limit = integer(query, "limit", 10, problems, minimum=1)
    channel = query.get("channel")
    if channel is not None and channel not in CHANNELS:
        _channel_problem(problems, "channel", channel)
    raise_problems(problems)
    if limit > 1000:
        raise NovuError(400, "Limit can not be larger then 1000")
    items = _live(env)
    sub_id = query.get("subscriberId")
    if sub_id and sub_id in env.subscribers:
        items = [m for m in items if m.subscriber_id == sub_id]
    if channel:
        items = [m for m in items if m.channel == channel]
    transactions = [t for t in lists.get("transactionId", []) if t]
    if transactions:
        items = [m for m in items if m.transaction_id in transactions]
    window = items[page * limit : (page + 1) * limit]
    return Reply.json(
        200,
        {
            "hasMore": (page + 1) * limit < len(items),
            "data": [message_view(m) for m in window],
            "pageSize": limit,
            "page": page,
            "totalCount": len(items),
        },
    )


def _message(env: Environment, message_id: str, name: str = "messageId") -> Message:
    if not _MONGO_ID.match(message_id):
        raise_problems({name: field_problem([f"{name} must be a mongodb id"], message_id, True)})
    found = next((m for m in _live(env) if m.id == message_id), None)
    if found is None:
        raise NovuError(404, f"Message with id {message_id} not found")
    return found


def delete_message(req: Request) -> Reply:
    """DELETE /v1/messages/{messageId}"""
    message = _message(req.environment(), req.params["messageId"])
    message.deleted = True
    return Reply.json(200, {"data": {"acknowledged": True, "status": "deleted"}})


def delete_by_transaction(req: Request) -> Reply:
    """DELETE /v1/messages/transaction/{transactionId}: 204; 404 when nothing matches."""
    env = req.environment()
    channel = req.query().get("channel")
    if channel is not None and channel not in CHANNELS:
        problems: Problems = {}
        _channel_problem(problems, "channel", channel)
        raise_problems(problems)
    txn = req.params["transactionId"]
    found = [
        m for m in _live(env) if m.transaction_id == txn and (not channel or m.channel == channel)
    ]
    if not found:
        raise NovuError(404, "Invalid transactionId or channel")
    for message in found:
        message.deleted = True
    return Reply.empty(204)


# -- /v1/notifications (the activity feed) ---------------------------------------------------


def list_notifications(req: Request) -> Reply:
    """GET /v1/notifications: newest first; filters channels, templates (workflow ids),
    emails, subscriberIds, transactionId (repeatable), search, after/before (ISO dates),
    severity (repeatable), topicKey, subscriptionId; page/limit. As Novu's
    NotificationRepository.getFeed: `topics.topicKey`, `topics.preferenceEvaluation.
    subscriptionIdentifier`, `severity $in` (with `none` matching an unset severity).
    `contextKeys` is accepted and ignored: the mock keeps no trigger `context`."""
    env = req.environment()
    query = req.query()
    lists = query_lists(req)
    problems: Problems = {}
    page = integer(query, "page", 0, problems, minimum=0)
    limit = integer(query, "limit", 10, problems, minimum=1, maximum=50)
    channels = [c for c in lists.get("channels", []) if c]
    bad = [c for c in channels if c not in CHANNELS]
    if bad:
        problems["channels"] = field_problem(
            [f"each value in channels must be one of the following values: {', '.join(CHANNELS)}"],
            channels,
            True,
        )
    raise_problems(problems)
    templates = set(t for t in lists.get("templates", []) if t)
    emails = set(e for e in lists.get("emails", []) if e)
    subscriber_ids = set(s for s in lists.get("subscriberIds", []) if s)
    transactions = set(t for t in lists.get("transactionId", []) if t)
    search = query.get("search")
    after, before = query.get("after"), query.get("before")
    severities = set(v for v in lists.get("severity", []) if v)
    topic_key, subscription_id = query.get("topicKey"), query.get("subscriptionId")

    def keep(n: Notification) -> bool:
        # Novu filters on the notification's channels: every active step's, reached or not.
        if channels and not any(j.step.type in channels for j in feed_jobs(n)):
            return False
        if templates and n.workflow.id not in templates and n.workflow.workflow_id not in templates:
            return False
        if emails and n.subscriber.get("email") not in emails:
            return False
        if subscriber_ids and n.subscriber_id not in subscriber_ids:
            return False
        if transactions and n.transaction_id not in transactions:
            return False
        if severities and severity_of(n) not in severities:
            return False
        if topic_key and (n.topic is None or n.topic[0] != topic_key):
            return False
        if subscription_id and (n.topic is None or n.topic[1] != subscription_id):
            return False
        if search and search not in n.transaction_id:
            return False
        stamp = n.record.received_at
        if after and iso_utc(stamp) < after:
            return False
        return not (before and iso_utc(stamp) > before)

    items = [n for n in reversed(env.notifications) if keep(n)]
    window = items[page * limit : (page + 1) * limit]
    return Reply.json(
        200,
        {
            "hasMore": (page + 1) * limit < len(items),
            "data": [notification_view(n) for n in window],
            "pageSize": limit,
            "page": page,
        },
    )


def severity_of(notification: Notification) -> str:
    """The notification's severity as Novu stores it: the trigger's `overrides.severity`, else
    the workflow's; `none` also stands for an unset one (Novu's feed matches `none` to both)."""
    overrides = notification.record.overrides
    override = overrides.get("severity") if isinstance(overrides, dict) else None
    if override in SEVERITIES:
        return str(override)
    return notification.workflow.severity


def get_notification(req: Request) -> Reply:
    """GET /v1/notifications/{notificationId}"""
    env = req.environment()
    wanted = req.params["notificationId"]
    found = next((n for n in env.notifications if n.id == wanted), None)
    if found is None:
        raise NovuError(404, f"Notification with id {wanted} not found")
    return Reply.json(200, {"data": notification_view(found)})


# -- the subscriber's in-app feed ------------------------------------------------------------


def _boolean(query: dict[str, str], name: str, problems: Problems) -> bool | None:
    raw = query.get(name)
    if raw is None or raw == "":
        return None
    if raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    problems[name] = field_problem([f"{name} must be a boolean value"], raw, True)
    return None


def _payload_filter(raw: str | None, problems: Problems) -> dict[str, Any] | None:
    """`payload`: base64 of a JSON object that each message's payload must contain."""
    if not raw:
        return None
    try:
        value = json.loads(base64.b64decode(raw, validate=False).decode("utf-8"))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        value = None
    if not isinstance(value, dict):
        problems["payload"] = field_problem(
            ["payload must be a base64 encoded JSON object"], raw, True
        )
        return None
    return value


def _contains(expected: Any, actual: Any) -> bool:
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            k in actual and _contains(v, actual[k]) for k, v in expected.items()
        )
    return bool(expected == actual)


def feed(req: Request) -> Reply:
    """GET /v1/subscribers/{subscriberId}/notifications/feed: in-app messages, newest first."""
    env = req.environment()
    entity = _subscriber(req)
    query = req.query()
    problems: Problems = {}
    page = integer(query, "page", 0, problems, minimum=0)
    limit = integer(query, "limit", 10, problems, minimum=1, maximum=100)
    read = _boolean(query, "read", problems)
    seen = _boolean(query, "seen", problems)
    payload = _payload_filter(query.get("payload"), problems)
    raise_problems(problems)
    items = [
        m
        for m in reversed(_subscriber_messages(env, entity["subscriberId"]))
        if m.channel == "in_app"
        and (read is None or m.read == read)
        and (seen is None or m.seen == seen)
        and (payload is None or _contains(payload, m.notification.record.payload))
    ]
    window = items[page * limit : (page + 1) * limit]
    return Reply.json(
        200,
        {
            "data": [feed_item_view(m) for m in window],
            "totalCount": len(items),
            "hasMore": (page + 1) * limit < len(items),
            "pageSize": limit,
            "page": page,
        },
    )


def unseen_count(req: Request) -> Reply:
    """GET /v1/subscribers/{subscriberId}/notifications/unseen: in-app messages whose `seen` is
    the query's (default false), at most `limit` (default 100)."""
    env = req.environment()
    entity = _subscriber(req)
    query = req.query()
    problems: Problems = {}
    seen = _boolean(query, "seen", problems)
    limit = integer(query, "limit", 100, problems, minimum=1)
    raise_problems(problems)
    wanted = bool(seen)
    count = sum(
        1
        for m in _subscriber_messages(env, entity["subscriberId"])
        if m.channel == "in_app" and m.seen == wanted
    )
    return Reply.json(200, {"data": {"count": min(count, limit)}})


def _mark(message: Message, mark_as: str, now: float) -> None:
    if mark_as == "read":
        message.read = message.seen = True
        message.last_read = message.last_seen = now
    elif mark_as == "seen":
        message.seen = True
        message.last_seen = now
    elif mark_as == "unread":
        message.read = False
    else:
        message.seen = message.read = False


def _mark_as_value(body: dict[str, Any], problems: Problems) -> str:
    value = body.get("markAs")
    if value not in MARK_AS:
        problems["markAs"] = field_problem(
            [f"markAs must be one of the following values: {', '.join(MARK_AS)}"],
            value,
            "markAs" in body,
        )
    return str(value)


def mark_as(req: Request) -> Reply:
    """POST /v1/subscribers/{subscriberId}/messages/mark-as: `messageId` (one or a list)."""
    env = req.environment()
    entity = _subscriber(req)
    body = req.json_object()
    problems: Problems = {}
    ids = body.get("messageId")
    id_list = ids if isinstance(ids, list) else [ids]
    if not id_list or not all(isinstance(i, str) and i for i in id_list):
        problems["messageId"] = field_problem(
            ["messageId should not be null or undefined"], ids, "messageId" in body
        )
    mark = _mark_as_value(body, problems)
    raise_problems(problems)
    wanted = set(id_list)
    changed = [m for m in _subscriber_messages(env, entity["subscriberId"]) if m.id in wanted]
    for message in changed:
        _mark(message, mark, req.now)
    return Reply.json(201, {"data": [message_view(m) for m in changed]})


def mark_all(req: Request) -> Reply:
    """POST /v1/subscribers/{subscriberId}/messages/mark-all: every in-app message; answers
    how many changed."""
    env = req.environment()
    entity = _subscriber(req)
    body = req.json_object()
    problems: Problems = {}
    mark = _mark_as_value(body, problems)
    raise_problems(problems)
    count = 0
    for message in _subscriber_messages(env, entity["subscriberId"]):
        if message.channel != "in_app":
            continue
        before = (message.seen, message.read)
        _mark(message, mark, req.now)
        count += (message.seen, message.read) != before
    return Reply.json(201, {"data": count})


def message_action(req: Request) -> Reply:
    """POST /v1/subscribers/{subscriberId}/messages/{messageId}/actions/{type}"""
    env = req.environment()
    entity = _subscriber(req)
    body = req.json_object()
    problems: Problems = {}
    action_type = req.params["type"]
    if action_type not in ACTION_TYPES:
        problems["type"] = field_problem(
            [f"type must be one of the following values: {', '.join(ACTION_TYPES)}"],
            action_type,
            True,
        )
    status = body.get("status")
    if status not in ACTION_STATUSES:
        problems["status"] = field_problem(
            [f"status must be one of the following values: {', '.join(ACTION_STATUSES)}"],
            status,
            "status" in body,
        )
    payload = body.get("payload")
    if payload is not None and not isinstance(payload, dict):
        problems["payload"] = field_problem(["payload must be an object"], payload, True)
    raise_problems(problems)
    message = _message(env, req.params["messageId"])
    if message.subscriber_id != entity["subscriberId"]:
        raise NovuError(404, f"Message with id {message.id} not found")
    message.action = {
        "status": status,
        "buttons": [],
        "result": {"type": action_type, "payload": payload or {}},
    }
    return Reply.json(201, {"data": message_view(message)})
