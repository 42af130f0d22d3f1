"""What a run leaves behind: notifications (one per trigger and subscriber), their jobs (one per
step, with Novu's execution details) and the messages of the channel steps that were sent."""

from __future__ import annotations

import itertools
import os
from typing import TYPE_CHECKING, Any

from .._model.clock import iso_utc
from .._novu.listing import derived_id

if TYPE_CHECKING:
    from .._model.entities import Workflow
    from .._model.environment import Environment
    from .._model.records import TriggerRecord
    from .steps import StepPlan

CHANNELS = ("in_app", "email", "sms", "chat", "push")
# The provider a job shows when its channel has no active integration (Novu's own).
DEFAULT_PROVIDERS = {
    "in_app": "novu",
    "email": "novu-email",
    "sms": "novu-sms",
    "push": "fcm",
    "chat": "slack",
}

# Novu's execution-detail texts (DetailEnum in Novu's application-generic library).
STEP_QUEUED = "Step queued"
MESSAGE_CREATED = "Message created"
MESSAGE_SENT = "Message sent"
STEP_DELAYED = "Step delayed"
STEP_DIGESTED = "Step digested"
FILTER_STEPS = "Step was filtered based on steps filters"
NO_RECIPIENT = "Subscriber missing recipient details"
NO_DEVICE_TOKENS = (
    "Subscriber credentials is missing the tokens for sending a push notification message"
)
NO_WEBHOOK_URL = "Webhook URL for the chat channel is missing"
NO_ACTIVE_INTEGRATION = "Subscriber does not have an active integration"


# Ids shaped like MongoDB's ObjectId: a random prefix per process and a counter, so a run makes
# its thousands of ids without a system call each.
_PREFIX = os.urandom(6).hex()
_counter = itertools.count(int.from_bytes(os.urandom(3), "big") << 8)


def new_id() -> str:
    return f"{_PREFIX}{next(_counter) & 0xFFFFFFFFFFFF:012x}"


class Skip:
    """Why a channel step made no message: `reason` is one of `condition`, `preference`,
    `no_integration`, `no_address`; `detail` is Novu's execution-detail text. Never changed
    once made, so the runs share one per outcome (run.py)."""

    __slots__ = ("detail", "level", "reason")

    def __init__(self, reason: str, detail: str, level: str | None = None) -> None:
        self.reason = reason
        self.detail = detail
        self.level = level


class Job:
    """One step of one notification, as Novu's activity feed shows it. `at` is when the step
    ran; its execution details follow from its outcome (see views.execution_details)."""

    __slots__ = ("at", "message", "skip", "status", "step")

    def __init__(
        self,
        step: StepPlan,
        now: float,
        status: str = "pending",
        skip: Skip | None = None,
    ) -> None:
        self.step = step
        self.status = status
        self.message: Message | None = None
        self.skip = skip
        self.at = now


class Notification:
    """One trigger for one subscriber: Novu's activity-feed entry. `context` is what templates
    and conditions see; its `subscriber` is the subscriber as it was when the run started."""

    __slots__ = (
        "_actor",
        "_context",
        "_subscriber",
        "_tenant",
        "created_at",
        "env",
        "id",
        "jobs",
        "record",
        "topic",
        "workflow",
    )

    def __init__(
        self,
        env: Environment,
        record: TriggerRecord,
        workflow: Workflow,
        subscriber: dict[str, Any],
        actor: dict[str, Any],
        tenant: dict[str, Any],
        now: float,
    ) -> None:
        self.id = new_id()
        self.env = env
        self.record = record
        self.workflow = workflow
        # The copies the context is made of (never changed once made, see run.Derived): the
        # context itself is built on first use, as most runs neither render nor meet a condition
        # before the first read, and a server's runs are mostly never read.
        self._subscriber = subscriber
        self._actor = actor
        self._tenant = tenant
        self._context: dict[str, Any] | None = None
        self.created_at = now
        self.jobs: list[Job] = []
        # (topicKey, subscription identifier) when the subscriber was reached through a topic
        # (Novu's notification `topics`, which the activity feed's topicKey and subscriptionId
        # filters read); set by run.topic_routes.
        self.topic: tuple[str, str] | None = None

    @property
    def context(self) -> dict[str, Any]:
        """What templates and conditions see (a digest adds its `step` and `steps` to it)."""
        context = self._context
        if context is None:
            record = self.record
            context = self._context = {
                "payload": record.payload,
                "subscriber": self._subscriber,
                "actor": self._actor,
                "tenant": self._tenant,
                "transactionId": record.transaction_id,
            }
        return context

    @property
    def subscriber(self) -> dict[str, Any]:
        return self._subscriber

    @property
    def subscriber_id(self) -> str:
        return str(self._subscriber["subscriberId"])

    @property
    def transaction_id(self) -> str:
        return str(self.record.transaction_id)


class Message:
    """One message a subscriber would have received (DESIGN 9). Content is rendered on first
    read, from templates compiled once, so a trigger costs no rendering."""

    __slots__ = (
        "_rendered",
        "action",
        "address",
        "channel",
        "created_at",
        "deleted",
        "id",
        "job",
        "last_read",
        "last_seen",
        "listed",
        "notification",
        "provider_id",
        "read",
        "seen",
    )

    def __init__(
        self,
        notification: Notification,
        job: Job,
        provider_id: str,
        address: Any,
        now: float,
    ) -> None:
        self.id = new_id()
        self.notification = notification
        self.job = job
        self.channel = job.step.type
        self.provider_id = provider_id
        self.address = address  # a string (email, phone) or (providerId, tokens or url)
        self.created_at = now
        self.seen = False
        self.read = False
        self.deleted = False
        self.listed = True  # in env.messages (retention.py takes it out)
        self.last_seen: float | None = None
        self.last_read: float | None = None
        self.action: dict[str, Any] | None = None
        self._rendered: tuple[str, str, str, str] | None = None

    def rendered(self) -> tuple[str, str, str, str]:
        """(subject, content, avatar, redirect url), rendered once."""
        if self._rendered is None:
            self._rendered = self.job.step.render(self.notification.context)
        return self._rendered

    @property
    def subscriber_id(self) -> str:
        return self.notification.subscriber_id

    @property
    def transaction_id(self) -> str:
        return self.notification.transaction_id

    @property
    def workflow_id(self) -> str:
        return self.notification.workflow.workflow_id

    @property
    def step_id(self) -> str:
        return self.job.step.step_id

    def to(self) -> dict[str, Any]:
        """Where the message went: `email`, `phone`, or the provider and its tokens or URL."""
        if self.channel == "email":
            return {"email": self.address}
        if self.channel == "sms":
            return {"phone": self.address}
        if self.channel == "push":
            return {"providerId": self.address[0], "deviceTokens": list(self.address[1])}
        if self.channel == "chat":
            return {"providerId": self.address[0], "webhookUrl": self.address[1]}
        return {}

    def cta(self) -> dict[str, Any]:
        url = self.rendered()[3]
        cta: dict[str, Any] = {"type": "redirect", "data": {"url": url} if url else {}}
        if self.action is not None:
            cta["action"] = self.action
        return cta

    def sender(self) -> dict[str, Any]:
        """An email's `from`, `senderName`, `replyTo`, `cc`, `bcc` as the trigger's overrides
        set them, as Novu merges them: `overrides.email`, then the provider's own
        (`overrides.<providerId>`), then `overrides.providers.<providerId>`, then the step's
        (`overrides.steps.<stepId>.providers.<providerId>`); each later source wins."""
        from .overrides import sender

        overrides = self.notification.record.overrides
        if not isinstance(overrides, dict) or not overrides:
            return {}
        return sender(overrides, self.step_id, self.provider_id)

    def delivered(self) -> tuple[str, str]:
        """(subject, content) as the provider would send them: the rendered text with the
        trigger's overrides applied (overrides.py)."""
        subject, content, _, _ = self.rendered()
        overrides = self.notification.record.overrides
        if not isinstance(overrides, dict) or not overrides:
            return subject, content
        from .overrides import delivered

        return delivered(overrides, self.channel, self.step_id, self.provider_id, subject, content)

    def delivered_to(self) -> dict[str, Any]:
        """`to()` with an SMS sent to `overrides.sms.to` / `overrides.<providerId>.to` (Novu
        keeps the subscriber's phone on the message and sends to the override)."""
        to = self.to()
        overrides = self.notification.record.overrides
        if self.channel == "sms" and isinstance(overrides, dict) and overrides:
            from .overrides import address

            phone = address(overrides, None, "sms", self.step_id, self.provider_id, self.address)
            to["phone"] = phone
        return to

    def to_dict(self) -> dict[str, Any]:
        """The message as `mock.messages` and GET /_mock/messages show it (DESIGN 9)."""
        _, _, avatar, _ = self.rendered()
        subject, content = self.delivered()
        record = self.notification.record
        doc: dict[str, Any] = {
            "id": self.id,
            "channel": self.channel,
            "subscriberId": self.subscriber_id,
            "workflowId": self.workflow_id,
            "stepId": self.step_id,
            "transactionId": self.transaction_id,
            "subject": subject if self.channel in ("email", "in_app", "push") else None,
            "content": content,
            "cta": self.cta(),
            "avatar": avatar or None,
            "payload": record.payload,
            "overrides": record.overrides,
            "providerId": self.provider_id,
            "to": self.delivered_to(),
            "createdAt": iso_utc(self.created_at),
            "seen": self.seen,
            "read": self.read,
            "status": "sent",
            "environment": self.notification.env.masked,
        }
        if self.channel == "email":
            doc.update(self.sender())
        return doc


def skip_dict(notification: Notification, job: Job) -> dict[str, Any]:
    """A skipped channel step as `mock.skips` and GET /_mock/skips show it."""
    assert job.skip is not None
    return {
        "subscriberId": notification.subscriber_id,
        "workflowId": notification.workflow.workflow_id,
        "stepId": job.step.step_id,
        "channel": job.step.type,
        "transactionId": notification.transaction_id,
        "reason": job.skip.reason,
        "level": job.skip.level,
        "detail": job.skip.detail,
        "createdAt": iso_utc(notification.created_at),
        "environment": notification.env.masked,
    }


def job_id(notification: Notification, job: Job) -> str:
    """A job's id, derived from its notification's and the step's place (stable)."""
    return derived_id(notification.id, "job", str(job.step.index))
