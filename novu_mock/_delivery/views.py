"""Novu's wire shapes of delivery (novu-openapi.json): MessageResponseDto, NotificationFeedItemDto,
ActivityNotificationResponseDto with its jobs and execution details."""

from __future__ import annotations

from typing import Any

from .._model.clock import iso_utc
from .._novu.listing import derived_id
from .model import (
    DEFAULT_PROVIDERS,
    MESSAGE_CREATED,
    MESSAGE_SENT,
    STEP_DELAYED,
    STEP_DIGESTED,
    STEP_QUEUED,
    Job,
    Message,
    Notification,
    job_id,
)

STEP_CREATED = "Step created"  # Novu's DetailEnum.STEP_CREATED, the detail of a stored job

# What the steps after a held step read, by the held step's status: Novu creates every step's
# job when it processes the trigger (CreateNotificationJobs, status pending); a merged digest
# marks the rest merged (updateAllChildJobStatus), a cancel marks the transaction's pending
# jobs canceled (CancelDelayed), a misconfigured delay leaves them pending.
_REST_STATUS = {
    "delayed": "pending",
    "merged": "merged",
    "canceled": "canceled",
    "failed": "pending",
}


class Unreached(Job):
    """The job of a step the run has not reached (it waits behind a delay or digest, or never
    will): built when the activity feed is read, so a held run costs nothing for it."""

    __slots__ = ()


def feed_jobs(notification: Notification) -> list[Job]:
    """Every active step's job of a notification, as Novu's activity feed lists them: the steps
    the run reached, then those it has not (yet), with Novu's status for them."""
    from .steps import plan_of

    jobs = notification.jobs
    if not jobs:
        return jobs
    last = jobs[-1]
    status = _REST_STATUS.get(last.status) if last.step.type in ("delay", "digest") else None
    if status is None:
        return jobs
    rest: list[Job] = []
    for step in plan_of(notification.workflow).steps:
        if step.index > last.step.index and step.active:
            job = Unreached(step, notification.created_at)
            job.status = status
            rest.append(job)
    return [*jobs, *rest] if rest else jobs


def held_details(job: Job) -> list[tuple[str, str]]:
    """What happened to a delay or digest step after it was held (schedule.py)."""
    from .schedule import (
        DELAY_FINISHED,
        DELAY_MISCONFIGURATION,
        DIGEST_MERGED,
        DIGEST_SKIPPED,
        DIGEST_TRIGGERED_EVENTS,
        FILTER_STEPS,
        STEP_CANCELED,
    )

    status, delay = job.status, job.step.type == "delay"
    if status == "completed":
        return [("Success", DELAY_FINISHED if delay else DIGEST_TRIGGERED_EVENTS)]
    if status == "merged":
        return [("Success", DIGEST_MERGED)]
    if status == "canceled":
        return [("Success", STEP_CANCELED)]
    if status == "failed":
        return [("Failed", DELAY_MISCONFIGURATION)]
    if status == "skipped":
        return [("Success", FILTER_STEPS if job.step.condition is not None else DIGEST_SKIPPED)]
    return []


def execution_details(job: Job) -> list[tuple[str, str]]:
    """(status, detail) of each execution detail, in Novu's vocabulary, from the job's outcome."""
    if isinstance(job, Unreached):
        return [("Pending", STEP_CREATED)]  # stored, never queued
    details = [("Pending", STEP_QUEUED)]
    if job.step.type in ("delay", "digest"):
        details.append(("Pending", STEP_DELAYED if job.step.type == "delay" else STEP_DIGESTED))
        details += held_details(job)
    elif job.skip is not None:
        details.append(("Failed" if job.status == "failed" else "Success", job.skip.detail))
    elif job.message is not None:
        details += [("Pending", MESSAGE_CREATED), ("Success", MESSAGE_SENT)]
    return details


def _subscriber_ref(notification: Notification) -> str:
    return str(notification.subscriber.get("_id") or notification.subscriber_id)


def message_view(message: Message) -> dict[str, Any]:
    """MessageResponseDto (as GET /v1/messages, mark-as and actions answer)."""
    notification = message.notification
    env = notification.env
    workflow = notification.workflow
    subject, content, _, _ = message.rendered()
    view: dict[str, Any] = {
        "_id": message.id,
        "_templateId": workflow.id,
        "_environmentId": env.id,
        "_messageTemplateId": message.job.step.db_id,
        "_organizationId": env.organization_id,
        "_notificationId": notification.id,
        "_subscriberId": _subscriber_ref(notification),
        "_jobId": job_id(notification, message.job),
        "_feedId": None,
        "templateIdentifier": workflow.workflow_id,
        "createdAt": iso_utc(message.created_at),
        "updatedAt": iso_utc(
            max(message.created_at, message.last_seen or 0, message.last_read or 0)
        ),
        "content": content,
        "transactionId": notification.transaction_id,
        "channel": message.channel,
        "read": message.read,
        "seen": message.seen,
        "archived": False,
        "deleted": False,
        "cta": message.cta(),
        "status": "sent",
        "providerId": message.provider_id,
        "payload": notification.record.payload,
        "overrides": notification.record.overrides,
    }
    if message.channel in ("email", "in_app", "push"):
        view["subject"] = subject
    if message.channel == "push":
        view["title"] = subject
    if message.last_seen is not None:
        view["lastSeenDate"] = iso_utc(message.last_seen)
    if message.last_read is not None:
        view["lastReadDate"] = iso_utc(message.last_read)
    to = message.to()
    if "email" in to:
        view["email"] = to["email"]
    if "phone" in to:
        view["phone"] = to["phone"]
    if "deviceTokens" in to:
        view["deviceTokens"] = to["deviceTokens"]
    if "webhookUrl" in to:
        view["directWebhookUrl"] = to["webhookUrl"]
    return view


def feed_item_view(message: Message) -> dict[str, Any]:
    """NotificationFeedItemDto (the v1 in-app feed)."""
    view = message_view(message)
    subscriber = message.notification.subscriber
    _, _, avatar, _ = message.rendered()
    view["actor"] = (
        {"type": "system_custom", "data": avatar} if avatar else {"type": "none", "data": None}
    )
    view["subscriber"] = {
        "_id": _subscriber_ref(message.notification),
        "subscriberId": subscriber["subscriberId"],
        **{k: subscriber[k] for k in ("firstName", "lastName", "avatar") if subscriber.get(k)},
    }
    view.setdefault("subject", None)
    view["tags"] = []
    return view


def _provider(notification: Notification, job: Job) -> str:
    """The message's provider; else, as Novu's worker stamps a job when it creates it
    (subscriber-job-bound.usecase.ts getProviderId), the first active integration's, and Novu's
    own when the channel has none."""
    if job.message is not None:
        return job.message.provider_id
    for integration in notification.env.integrations:
        if integration.channel == job.step.type and integration.active:
            return integration.provider_id
    return DEFAULT_PROVIDERS.get(job.step.type, "novu")


def job_view(notification: Notification, job: Job) -> dict[str, Any]:
    """ActivityNotificationJobResponseDto"""
    provider = _provider(notification, job)
    step = job.step
    jid = job_id(notification, job)
    stamp = iso_utc(job.at)
    details = [
        {
            "_id": derived_id(jid, "detail", str(n)),
            "createdAt": stamp,
            "status": status,
            "detail": text,
            "isRetry": False,
            "isTest": False,
            "providerId": provider,
            "raw": None,
            "source": "Internal",
        }
        for n, (status, text) in enumerate(execution_details(job))
    ]
    return {
        "_id": jid,
        "type": step.type,
        "executionDetails": details,
        "step": {
            "_id": step.db_id,
            "active": step.active,
            "filters": [],
            "_templateId": step.db_id,
            "name": step.name,
            "stepId": step.step_id,
        },
        "providerId": provider,
        "status": job.status,
        "payload": notification.record.payload,
        "overrides": notification.record.overrides,
        "updatedAt": stamp,
    }


def notification_view(notification: Notification) -> dict[str, Any]:
    """ActivityNotificationResponseDto: one trigger for one subscriber, with its jobs."""
    env = notification.env
    workflow = notification.workflow
    subscriber = notification.subscriber
    jobs = feed_jobs(notification)
    return {
        "_id": notification.id,
        "_environmentId": env.id,
        "_organizationId": env.organization_id,
        "_subscriberId": _subscriber_ref(notification),
        "transactionId": notification.transaction_id,
        "_templateId": workflow.id,
        "createdAt": iso_utc(notification.created_at),
        "updatedAt": iso_utc(max((j.at for j in jobs), default=notification.created_at)),
        "channels": list(dict.fromkeys(j.step.type for j in jobs)),
        "subscriber": {
            "_id": _subscriber_ref(notification),
            "subscriberId": subscriber["subscriberId"],
            **{
                k: subscriber[k]
                for k in ("firstName", "lastName", "email", "phone")
                if isinstance(subscriber.get(k), str)
            },
        },
        "template": {
            "_id": workflow.id,
            "name": workflow.name,
            "triggers": [{"type": "event", "identifier": workflow.workflow_id, "variables": []}],
        },
        "jobs": [job_view(notification, j) for j in jobs],
        "payload": notification.record.payload,
        "tags": [],
        "to": {"subscriberId": notification.subscriber_id},
        "critical": workflow.critical,
        "severity": "none",
    }
