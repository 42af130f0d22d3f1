"""The run: each processed trigger, for each recipient, over the workflow's steps (D14).

A trigger only queues its run (`queue`): what it needs is kept by reference, so a bulk of 100
events costs a list append each. `flush` runs what is queued before anything reads or changes
the state a run depends on (any non-trigger call of the environment, every Python read, a
trigger that upserts subscriber data). Each recipient's run is a `RecipientRun` over the step
list: it stops at a delay or digest step (`suspended`) and `resume()` goes on from the next step,
which is what a scheduler of pending work needs. The provider of each channel is the
environment's integration that Novu's worker would select (`select_integration`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import overrides as _overrides
from .integration import Selections, select_integration
from .model import (
    FILTER_STEPS,
    NO_ACTIVE_INTEGRATION,
    NO_DEVICE_TOKENS,
    NO_RECIPIENT,
    NO_WEBHOOK_URL,
    Job,
    Message,
    Notification,
    Skip,
)
from .preferences import DETAILS
from .retention import trim
from .schedule import hold
from .steps import HOLDING_STEPS, StepPlan, plan_of

if TYPE_CHECKING:
    from .._core.request import Host as Engine
    from .._model.entities import Workflow
    from .._model.environment import Environment
    from .._model.records import TriggerRecord

PUSH_PROVIDERS = frozenset(
    ("fcm", "apns", "expo", "one-signal", "pushpad", "push-webhook", "pusher-beams", "appio")
)
SUBSCRIBER_CONTEXT = (
    "_id",
    "subscriberId",
    "firstName",
    "lastName",
    "email",
    "phone",
    "avatar",
    "locale",
    "timezone",
    "data",
    "isOnline",
)


def address_of(subscriber: dict[str, Any], channel: str) -> Any:
    """Where the subscriber receives `channel` (an email or phone, or a push/chat provider with
    its tokens or webhook URL; `""` for in-app), or None when it has no address for it."""
    if channel == "in_app":
        return ""
    if channel in ("email", "sms"):
        value = subscriber.get("email" if channel == "email" else "phone")
        return value if isinstance(value, str) and value.strip() else None
    for item in subscriber.get("channels") or []:
        if not isinstance(item, dict):
            continue
        provider = item.get("providerId")
        credentials = item.get("credentials") or {}
        if channel == "push" and provider in PUSH_PROVIDERS:
            tokens = credentials.get("deviceTokens")
            if tokens:
                return (provider, tuple(tokens))
        elif channel == "chat" and provider not in PUSH_PROVIDERS:
            url = credentials.get("webhookUrl")
            if isinstance(url, str) and url:
                return (provider, url)
    return None


# Why a step made no message: one Skip per outcome, shared by every job it applies to (a Skip
# is never changed once made).
_BY_CONDITION = Skip("condition", FILTER_STEPS)
_BY_PREFERENCE = {level: Skip("preference", detail, level) for level, detail in DETAILS.items()}
_NO_INTEGRATION = Skip("no_integration", NO_ACTIVE_INTEGRATION)
_NO_ADDRESS = {
    "email": Skip("no_address", NO_RECIPIENT),
    "sms": Skip("no_address", NO_RECIPIENT),
    "push": Skip("no_address", NO_DEVICE_TOKENS),
    "chat": Skip("no_address", NO_WEBHOOK_URL),
}


class Derived:
    """What one flush works out once for all of its runs: each subscriber's copy for the
    templates, each tenant's, and the integration choices. Nothing they come from changes while
    a flush runs: a call that changes a subscriber, tenant or integration runs the queue first
    (`settle`; triggers.py before a trigger's upserts), and a run writes none of them. A
    resumed run (the scheduler) works without one."""

    __slots__ = ("selections", "subscribers", "tenants")

    def __init__(self, env: Environment) -> None:
        self.selections = Selections(env)
        self.subscribers: dict[str, dict[str, Any]] = {}
        self.tenants: dict[str, dict[str, Any]] = {}

    def subscriber(self, subscriber_id: str, entity: dict[str, Any]) -> dict[str, Any]:
        """The context's copy of a stored subscriber: one per subscriber and flush, shared by
        its notifications (templates, conditions and views only read it)."""
        found = self.subscribers.get(subscriber_id)
        if found is None:
            found = self.subscribers[subscriber_id] = _subscriber_context(entity)
        return found

    def tenant(self, tenant_id: str, entity: dict[str, Any]) -> dict[str, Any]:
        found = self.tenants.get(tenant_id)
        if found is None:
            found = self.tenants[tenant_id] = _tenant_context(entity)
        return found


class RecipientRun:
    """One recipient's walk over the steps, from `index`; `suspended` at a delay or digest."""

    __slots__ = ("index", "notification", "steps", "suspended")

    def __init__(self, notification: Notification, steps: list[StepPlan]) -> None:
        self.notification = notification
        self.steps = steps
        self.index = 0
        self.suspended = False

    def advance(
        self,
        now: float,
        subscriber: dict[str, Any] | None = None,
        derived: Derived | None = None,
    ) -> None:
        """Run steps from `index` until the end or a holding step (which suspends the run).
        `subscriber` is the stored subscriber (preferences, credentials); a resumed run passes
        the one stored then."""
        notification = self.notification
        env = notification.env
        while self.index < len(self.steps):
            step = self.steps[self.index]
            if not step.active:
                self.index += 1
                continue
            if step.type in HOLDING_STEPS:
                notification.jobs.append(Job(step, now, "delayed"))
                self.suspended = True
                return
            job = Job(step, now)
            notification.jobs.append(job)
            self.index += 1
            if step.channel:
                run_channel_step(env, notification, job, now, subscriber, derived)
            else:  # custom: Novu runs the bridge code; the mock completes it
                job.status = "completed"

    def resume(self, now: float) -> None:
        """Finish the holding step the run stopped at and go on from the next one."""
        if not self.suspended:
            return
        job = self.notification.jobs[-1]
        job.status = "completed"
        job.at = now
        self.suspended = False
        self.index += 1
        env = self.notification.env
        env.suspended.pop(self, None)
        self.advance(now, env.subscribers.get(self.notification.subscriber_id))
        if self.suspended:  # held again by a later delay or digest
            env.suspended[self] = None


def _run_steps(
    env: Environment,
    notification: Notification,
    steps: tuple[StepPlan, ...],
    now: float,
    subscriber: dict[str, Any],
    derived: Derived,
) -> None:
    """`RecipientRun.advance` for a workflow without delay or digest steps: nothing can
    suspend the run, so it needs no RecipientRun (`steps` are the active ones)."""
    jobs = notification.jobs
    for step in steps:
        job = Job(step, now)
        jobs.append(job)
        if step.channel:
            run_channel_step(env, notification, job, now, subscriber, derived)
        else:  # custom: Novu runs the bridge code; the mock completes it
            job.status = "completed"


def run_channel_step(
    env: Environment,
    notification: Notification,
    job: Job,
    now: float,
    subscriber: dict[str, Any] | None = None,
    derived: Derived | None = None,
) -> None:
    """Make the step's message or record why not. `subscriber` is the full snapshot (with its
    preferences and credentials) when the run has it; else the context's. `derived`: the
    flush's integration choices (a resumed run has none)."""
    subscriber = subscriber if subscriber is not None else notification.subscriber
    step = job.step
    channel = step.type
    if step.condition is not None and not step.condition.holds(notification.context):
        job.skip, job.status = _BY_CONDITION, "skipped"
        return
    enabled, level = step.preference(notification.workflow, subscriber)
    if not enabled:
        job.skip, job.status = _BY_PREFERENCE[level], "skipped"
        return
    record = notification.record
    # Novu's worker picks the integration before it looks for the address, except for push and
    # chat, whose integration is the one of the provider the subscriber has credentials for.
    integration = None
    if channel not in ("push", "chat"):
        integration = (
            derived.selections.select(record, channel)
            if derived is not None
            else select_integration(env, record, channel)
        )
        if integration is None:
            job.skip, job.status = _NO_INTEGRATION, "failed"
            return
    address = address_of(subscriber, channel)
    if address is None and channel == "chat":
        address = chat_address_by_override(subscriber, record, step.step_id)
    if address is None:
        job.skip, job.status = _NO_ADDRESS[channel], "failed"
        return
    if integration is None:
        provider = str(address[0])
        integration = (
            derived.selections.for_provider(channel, provider)
            if derived is not None
            else env.integrations.for_provider(channel, provider)
        )
        if integration is None:
            job.skip, job.status = _NO_INTEGRATION, "failed"
            return
    if channel in ("push", "chat") and record.overrides:
        provider_id = integration.provider_id
        address = _overrides.address(
            record.overrides, record.payload, channel, step.step_id, provider_id, address
        )
    message = Message(notification, job, integration.provider_id, address, now)
    job.message = message
    job.status = "completed"
    env.messages.append(message)


def chat_address_by_override(
    subscriber: dict[str, Any], record: TriggerRecord, step_id: str
) -> tuple[str, str] | None:
    """A chat channel of the subscriber without a webhook URL of its own, reached through the
    URL the trigger gives (the provider layer's `webhookUrl`, else `payload.webhookUrl`), as
    Novu's chat usecase takes `combinedOverrides.webhookUrl || payload.webhookUrl ||
    credentials.webhookUrl`."""
    for item in subscriber.get("channels") or []:
        if not isinstance(item, dict):
            continue
        provider = item.get("providerId")
        if not isinstance(provider, str) or provider in PUSH_PROVIDERS:
            continue
        url = _overrides.chat_url(record.overrides, record.payload, step_id, provider)
        if url:
            return (provider, url)
    return None


_NOTHING: dict[str, Any] = {}  # shared by every context without an actor or tenant


def _subscriber_context(entity: dict[str, Any]) -> dict[str, Any]:
    # `_id` too: Novu's subscriber variable is the stored document.
    return {k: entity[k] for k in SUBSCRIBER_CONTEXT if k in entity}


def _tenant_context(entity: dict[str, Any]) -> dict[str, Any]:
    return {k: entity.get(k) for k in ("identifier", "name", "data")}


def _shared_context(
    env: Environment, record: TriggerRecord, derived: Derived
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The trigger's actor and tenant as its templates see them (the same for each recipient)."""
    actor_context = tenant_context = _NOTHING
    actor = record.actor
    actor_id = actor.get("subscriberId") if isinstance(actor, dict) else actor
    if isinstance(actor_id, str):
        actor_entity = env.subscribers.get(actor_id)
        if actor_entity:
            actor_context = derived.subscriber(actor_id, actor_entity)
    tenant = record.tenant
    tenant_id = tenant.get("identifier") if isinstance(tenant, dict) else tenant
    if isinstance(tenant_id, str):
        tenant_entity = env.tenants.get(tenant_id)
        if tenant_entity:
            tenant_context = derived.tenant(tenant_id, tenant_entity)
    return actor_context, tenant_context


def topic_routes(env: Environment, record: TriggerRecord) -> dict[str, tuple[str, str]] | None:
    """For a trigger to topics: each recipient reached through a topic and not named directly,
    with that topic's key and the subscription's identifier (the first topic in `to` that has
    it, as the fan-out visits them). Runs at flush, before any membership can change. None
    when `to` names no topic."""
    items = record.to if isinstance(record.to, list) else [record.to]
    for item in items:
        if isinstance(item, dict) and item.get("type") == "Topic":
            break
    else:
        return None  # the common case, without the imports and lists below

    from .._core.text import js_trim
    from .._novu.topics import identifier_of

    topics = [i for i in items if isinstance(i, dict) and i.get("type") == "Topic"]
    if not topics:
        return None
    direct: set[str] = set()
    for item in items:
        if isinstance(item, str):
            direct.add(js_trim(item))
        elif isinstance(item, dict) and isinstance(item.get("subscriberId"), str):
            direct.add(js_trim(item["subscriberId"]))
    routes: dict[str, tuple[str, str]] = {}
    for item in topics:
        topic = env.topics.get(str(item.get("topicKey")))
        if topic is None:
            continue
        exclude = item.get("exclude")
        excluded: list[Any] = exclude if isinstance(exclude, list) else []
        for member in topic.members:
            if member not in direct and member not in routes and member not in excluded:
                routes[member] = (topic.key, identifier_of(topic, member))
    return routes


def queue(env: Environment, record: TriggerRecord, workflow: Workflow) -> None:
    """Keep a processed trigger's run for the next flush, to run at its `received_at`. The
    record itself waits, carrying its workflow: a tuple per trigger would be one more object
    for the garbage collector to walk while it waits."""
    record.workflow = workflow
    env.pending.append(record)


def run_trigger(
    env: Environment,
    record: TriggerRecord,
    workflow: Workflow,
    now: float,
    derived: Derived | None = None,
) -> None:
    """Run a processed trigger for each of its recipients."""
    derived = derived if derived is not None else Derived(env)
    plan = plan_of(workflow)
    routes = topic_routes(env, record)
    actor, tenant = _shared_context(env, record, derived)
    subscribers = env.subscribers
    notifications = env.notifications
    for subscriber_id in record.recipients:
        subscriber = subscribers.get(subscriber_id)
        if subscriber is None:
            continue
        # The context keeps a copy: later changes to the subscriber do not reach what was sent.
        snapshot = derived.subscriber(subscriber_id, subscriber)
        notification = Notification(env, record, workflow, snapshot, actor, tenant, now)
        if routes:
            notification.topic = routes.get(subscriber_id)
        notifications.append(notification)
        if not plan.holds:
            _run_steps(env, notification, plan.active, now, subscriber, derived)
            continue
        run = RecipientRun(notification, plan.steps)
        run.advance(now, subscriber, derived)
        if run.suspended:
            env.suspended[run] = None
            hold(env, run, now)  # a delay or digest: the scheduler resumes it (schedule.py)


def flush(env: Environment, limit: int | None = None) -> None:
    """Run every queued trigger of `env`, oldest first; keep at most `limit` messages and
    notifications (they count toward the journal limit)."""
    if env.pending:
        pending, env.pending = env.pending, []
        derived = Derived(env)
        for record in pending:
            assert record.workflow is not None  # set by queue
            run_trigger(env, record, record.workflow, record.received_at, derived)
    if limit is not None:
        trim(env, limit)


_QUEUEING_PATHS = frozenset(
    ("/v1/events/trigger", "/v1/events/trigger/bulk", "/v1/events/trigger/broadcast")
)


# Under a journal limit (a server), how many queued triggers make a trigger call run the queue
# first. Without it, a server fed only triggers ran the limit's worth (100,000 by default:
# seconds of delivery) inside one unlucky call (7.6 s measured at the 1,001st bulk of 100); at
# 1,000, every tenth bulk of 100 paid for ten (about 50 ms of CPU, the p99 of a bulk stream).
# At 100, each bulk call delivers the one before it and a single-trigger call at most 100
# triggers: the same total work, in even slices (p99 per bulk call about 10 ms). Without a
# limit (a test's engine) nothing is bounded and the first read runs the queue, as before.
MAX_QUEUED = 100


def settle(environments: list[Environment], method: str, path: str, limit: int | None) -> None:
    """Before a call: run what is queued, unless the call only queues more (a trigger) and the
    queue is short, so every read and every change sees delivery done as if it had happened at
    trigger time."""
    queueing = method == "POST" and path in _QUEUEING_PATHS
    for env in environments:
        if env.pending and (
            not queueing or (limit is not None and len(env.pending) >= min(limit, MAX_QUEUED))
        ):
            flush(env, limit)


def settle_all(engine: Engine) -> None:
    """Run every environment's queued triggers (before the clock moves)."""
    for env in engine.environments.values():
        if env.pending:
            flush(env, engine.journal_limit)
        env.scheduler.awaiting = False
