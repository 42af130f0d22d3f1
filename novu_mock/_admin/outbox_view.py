"""The dashboard's outbox: per subscriber, the messages it would have received and the skipped
steps, and each email's HTML served on its own under a sandboxing policy."""

from __future__ import annotations

from typing import Any

from .._core.errors import NovuError
from .._core.http import Reply
from .._core.request import Request
from .._delivery.model import skip_dict
from .._delivery.records import settled, skipped_jobs

# An email's HTML may style itself and show inline images, nothing else: no scripts, no
# requests, no forms, no navigation of the page (CSP `sandbox` without allow-* flags).
EMAIL_CSP = (
    "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "font-src data:; base-uri 'none'; form-action 'none'"
)


def outbox(req: Request) -> Reply:
    """GET /_mock/dashboard/outbox: `{data: [{environment, subscriberId, messages, skips}]}`,
    subscribers in order of their first message or skip; query `environment`, `subscriberId`."""
    query = req.query()
    masked = query.get("environment") or None
    wanted = query.get("subscriberId") or None
    groups: dict[tuple[str, str], dict[str, Any]] = {}

    def group(env_mask: str, subscriber_id: str) -> dict[str, Any]:
        key = (env_mask, subscriber_id)
        if key not in groups:
            groups[key] = {
                "environment": env_mask,
                "subscriberId": subscriber_id,
                "messages": [],
                "skips": [],
            }
        return groups[key]

    for env in settled(req.engine, req.key):
        if masked is not None and env.masked != masked:
            continue
        mask = env.masked or ""
        for message in env.messages:
            if message.deleted or (wanted and message.subscriber_id != wanted):
                continue
            doc = message.to_dict()
            subscriber = message.notification.subscriber
            doc["subscriberName"] = " ".join(
                str(subscriber[k]) for k in ("firstName", "lastName") if subscriber.get(k)
            )
            group(mask, message.subscriber_id)["messages"].append(doc)
        for notification, job in skipped_jobs(env):
            if wanted and notification.subscriber_id != wanted:
                continue
            group(mask, notification.subscriber_id)["skips"].append(skip_dict(notification, job))
    data = list(groups.values())
    return Reply.json(200, {"data": data, "total": len(data)})


def email_html(req: Request) -> Reply:
    """GET /_mock/dashboard/messages/{id}/html: an email's rendered body, sandboxed."""
    wanted = req.params["messageId"]
    for env in settled(req.engine, req.key):
        for message in env.messages:
            if message.id == wanted and message.channel == "email" and not message.deleted:
                body = message.delivered()[1].encode("utf-8")
                headers = [
                    ("content-type", "text/html; charset=utf-8"),
                    ("content-security-policy", EMAIL_CSP),
                    ("x-content-type-options", "nosniff"),
                    ("cache-control", "no-cache"),
                    ("referrer-policy", "no-referrer"),
                ]
                return Reply(200, headers, body)
    raise NovuError(404, f"No email message {wanted}")
