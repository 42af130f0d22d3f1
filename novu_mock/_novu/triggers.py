"""The trigger pipeline of one event: forced outcomes, Novu's checks in NEW order, dispatch."""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Sequence
from typing import Any

from .._core.errors import NovuError
from .._core.text import JS_WHITE_SPACE
from .._delivery.run import flush, queue
from .._delivery.schedule import check_delay_paths, has_delay_path, holds
from .._model.entities import Workflow
from .._model.environment import Environment
from .._model.records import TriggerRecord
from .._model.values import identifier_of
from .payload_schema import payload_error, payload_problems
from .recipients import Plan, fan_out, plan, storable, storable_tenant
from .validation import bulk_event_messages

DASHBOARD_URL = "https://dashboard.novu.co"
PAYLOAD_LIMIT = 524_288
_LIMIT_TAIL = (
    f"exceeds maximum allowed size of {PAYLOAD_LIMIT} bytes (512KB). "
    "Note: Attachments are excluded from this limit."
)


class Context:
    """What every event of one request shares: its environment and its moment."""

    __slots__ = ("env", "feed_link", "now", "request_id", "stamp", "validate")

    def __init__(self, env: Environment, now: float, stamp: str) -> None:
        self.env = env
        self.now = now
        self.stamp = stamp
        # Read once per request, not per event: no event of a bulk can change the settings.
        self.validate = bool(env.settings.get("recipientValidation", True))
        self.request_id = os.urandom(12).hex()
        # One link per request: every event of a bulk shares it (and its memory).
        self.feed_link = (
            f"{DASHBOARD_URL}/env/{env.id}/activity/requests?selectedLogId={self.request_id}"
        )


# Random bytes for 100 transactionIds at a time: one system call per bulk, not per event.
_TXN_BATCH = 100
_txn_hex: list[str] = []
# A forked process (a server worker) must not hand out its parent's unused ids.
os.register_at_fork(after_in_child=_txn_hex.clear)


def new_transaction_id() -> str:
    """`txn_` and 24 lower-case hex digits (D2)."""
    if not _txn_hex:
        digits = os.urandom(12 * _TXN_BATCH).hex()
        _txn_hex.extend(digits[i : i + 24] for i in range(0, 24 * _TXN_BATCH, 24))
    return "txn_" + _txn_hex.pop()


def payload_size_message(payload: Any, index: int | None, workflow: Any) -> str | None:
    """The 413 message (D8) when `payload` is over the limit, else None."""
    from .._core.http import dump_json

    size = len(dump_json(payload))
    if size <= PAYLOAD_LIMIT:
        return None
    if index is None:
        return f"Payload size ({size} bytes) {_LIMIT_TAIL}"
    return (
        f'Event at index {index} (workflow: "{workflow}") has payload size ({size} bytes) '
        f"{_LIMIT_TAIL}"
    )


def _record(
    ctx: Context,
    event: dict[str, Any],
    answer: dict[str, Any],
    *,
    source: str,
    bulk_index: int | None,
    recipients: Sequence[str] = (),
    forced: bool = False,
    notes: Sequence[str] = (),
) -> TriggerRecord:
    payload = event.get("payload")
    overrides = event.get("overrides")
    # By position, in __init__'s order: a class called with keywords gets them as a new dict
    # (about 2 µs of the 3 a record took, once per event).
    record = TriggerRecord(
        answer.get("transactionId"),
        event.get("name"),
        answer["status"],
        answer.get("error"),
        event.get("to"),
        recipients,
        payload if payload is not None else {},
        overrides if overrides is not None else {},
        event.get("actor"),
        event.get("tenant"),
        source,
        bulk_index,
        ctx.now,
        forced,
        notes,
        ctx.env,
    )
    ctx.env.record_trigger(record)
    return record


def error_item(
    ctx: Context, event: Any, messages: list[str], *, source: str, bulk_index: int | None
) -> dict[str, Any]:
    """A bulk event's `error` answer; it carries a transactionId only when the event sent one."""
    event = event if isinstance(event, dict) else {}
    answer: dict[str, Any] = {"acknowledged": True, "status": "error", "error": messages}
    if isinstance(event.get("transactionId"), str) and event["transactionId"]:
        answer["transactionId"] = event["transactionId"]
    _record(ctx, event, answer, source=source, bulk_index=bulk_index)
    return answer


def _status(status: str, transaction_id: str) -> dict[str, Any]:
    return {"acknowledged": True, "status": status, "transactionId": transaction_id}


def _forced(env: Environment, event: dict[str, Any], validate: bool) -> dict[str, Any] | None:
    for outcome in env.outcomes:
        when = outcome["when"]
        if "workflowId" in when and when["workflowId"] != event.get("name"):
            continue
        if "transactionId" in when and when["transactionId"] != event.get("transactionId"):
            continue
        if "tenant" in when and when["tenant"] != identifier_of(event.get("tenant"), "identifier"):
            continue
        if "subscriberId" in when:
            recipients = plan(event.get("to"), validate)
            actor = identifier_of(event.get("actor"), "subscriberId")
            reached, _ = fan_out(env, recipients, actor if isinstance(actor, str) else None)
            if when["subscriberId"] not in reached:
                continue
        name = json.dumps(outcome, sort_keys=True, default=str)
        env.outcome_hits[name] = env.outcome_hits.get(name, 0) + 1
        return outcome
    return None


def _blocked_status(env: Environment, workflow: Workflow, event: dict[str, Any]) -> str | None:
    """tenant, active flag and step checks (NEW order plus D4); None when the event may go on."""
    tenant = event.get("tenant")
    override = None
    if tenant:
        identifier = identifier_of(tenant, "identifier")
        if not isinstance(identifier, str) or identifier not in env.tenants:
            return "no_tenant_found"
        override = workflow.tenant_overrides.get(identifier)
    if not (workflow.active if override is None else override):
        return "trigger_not_active"
    if not workflow.steps:
        return "no_workflow_steps_defined"
    if not workflow.any_active_step:
        return "no_workflow_active_steps_defined"
    return None


def _timing(workflow: Workflow) -> tuple[bool, bool]:
    """(holds, has_delay_path) of a workflow: once per workflow object, not per event (a stored
    workflow's steps never change; a changed workflow is a new object)."""
    timing = workflow.timing
    if timing is None:
        timing = workflow.timing = (holds(workflow), has_delay_path(workflow))
    return timing


def _check_workflow(env: Environment, event: dict[str, Any]) -> Workflow:
    """The event's workflow; Novu's 422 for an unknown one and its 400 for a payload the schema
    rejects."""
    workflow = env.workflows.get(event["name"])
    if workflow is None:
        raise NovuError(422, "workflow_not_found")
    if workflow.payload_schema is not None:
        problems = payload_problems(workflow.validator(), event.get("payload") or {})
        if problems:
            raise payload_error(problems, workflow.payload_schema)
    if _timing(workflow)[1]:
        check_delay_paths(workflow, event.get("payload") or {})
    return workflow


def _dispatch(
    ctx: Context,
    event: dict[str, Any],
    workflow: Workflow | None,
    transaction_id: str,
    recipients: Plan | None,
    *,
    source: str,
    bulk_index: int | None,
    forced: bool = False,
) -> dict[str, Any]:
    """Answer `processed` and do what Novu's worker would do, at once (D9). `workflow` is None
    only for an outcome forced on a workflow the environment does not have: nothing runs."""
    env = ctx.env
    notes = recipients.notes if recipients is not None else []  # a plan lives for one event
    reached: tuple[str, ...] = ()
    if transaction_id in env.processed:
        notes.append(
            "Novu's worker would drop this trigger: transactionId property is not unique, "
            "please make sure all triggers have a unique transactionId"
        )
    else:
        actor = event.get("actor")
        tenant = event.get("tenant")
        if env.pending and _changes_entities(actor, tenant, recipients):
            flush(env)  # queued runs see the subscribers and tenant as they were
        actor_id = _upsert_actor(ctx, actor) if actor is not None else None
        if recipients is None:  # a broadcast reaches everyone
            reached = tuple(env.subscribers)
        else:
            stored = env.subscribers
            for sub_id, define in recipients.direct.items():
                # A bare id of a stored subscriber changes nothing: skip the checks and the call.
                if len(define) == 1 and define["subscriberId"] == sub_id and sub_id in stored:
                    continue
                kept = storable(define)
                if kept is not None:
                    env.upsert_recipient(kept, ctx.stamp)
            reached, topic_notes = fan_out(env, recipients, actor_id)
            notes.extend(topic_notes)
        if isinstance(tenant, dict):  # only a tenant object carries a name and data (5.4)
            env.apply_trigger_tenant(storable_tenant(tenant), ctx.stamp)
    answer = {
        "acknowledged": True,
        "status": "processed",
        "transactionId": transaction_id,
        "activityFeedLink": ctx.feed_link,
    }
    record = _record(
        ctx,
        event,
        answer,
        source=source,
        bulk_index=bulk_index,
        # Tuples: the journal keeps them, and the garbage collector stops walking a tuple of
        # strings (an empty one is shared); lists would be walked in every full collection.
        recipients=reached,
        forced=forced,
        notes=tuple(notes),
    )
    env.record_processed(transaction_id, record)
    if reached and workflow is not None:
        queue(env, record, workflow)
        if _timing(workflow)[0]:
            env.scheduler.awaiting = True  # a real clock's timer runs the queue (DESIGN 10)
    return answer


def _upsert_actor(ctx: Context, actor: Any) -> str | None:
    """Store the actor as Novu's worker does (a subscriber); its subscriberId, if it has one."""
    define = {"subscriberId": actor} if isinstance(actor, str) and actor else actor
    if not (isinstance(define, dict) and define.get("subscriberId")):
        return None
    kept = storable(define)
    if kept is not None:
        ctx.env.upsert_recipient(kept, ctx.stamp)
    return str(define["subscriberId"])


def _changes_entities(actor: Any, tenant: Any, recipients: Plan | None) -> bool:
    """Whether the event's upserts may change a subscriber or tenant (objects with fields)."""
    if isinstance(actor, dict) or isinstance(tenant, dict):
        return True
    return recipients is not None and recipients.upserts


def run_event(
    ctx: Context, event: dict[str, Any], *, source: str, bulk_index: int | None = None
) -> dict[str, Any]:
    """Process one validated trigger or bulk event; raise NovuError where Novu throws."""
    env = ctx.env
    transaction_id = event.get("transactionId") or new_transaction_id()
    if env.outcomes:
        outcome = _forced(env, event, ctx.validate)
        if outcome is not None:
            if outcome["status"] == "processed":
                return _dispatch(
                    ctx,
                    event,
                    env.workflows.get(event["name"]),
                    transaction_id,
                    plan(event.get("to"), ctx.validate),
                    source=source,
                    bulk_index=bulk_index,
                    forced=True,
                )
            answer = _status(outcome["status"], transaction_id)
            if "error" in outcome:
                answer["error"] = list(outcome["error"])
            _record(ctx, event, answer, source=source, bulk_index=bulk_index, forced=True)
            return answer
    workflow = _check_workflow(env, event)
    blocked = _blocked_status(env, workflow, event)
    if blocked is not None:
        answer = _status(blocked, transaction_id)
        _record(ctx, event, answer, source=source, bulk_index=bulk_index)
        return answer
    recipients = plan(event.get("to"), ctx.validate)
    if recipients.invalid:
        answer = _status("invalid_recipients", transaction_id)
        _record(ctx, event, answer, source=source, bulk_index=bulk_index)
        return answer
    return _dispatch(
        ctx, event, workflow, transaction_id, recipients, source=source, bulk_index=bulk_index
    )


def run_broadcast(ctx: Context, event: dict[str, Any]) -> dict[str, Any]:
    """A broadcast: errors surface, every other status is answered as `processed` (D13)."""
    transaction_id = event.get("transactionId") or new_transaction_id()
    workflow = _check_workflow(ctx.env, event)
    blocked = _blocked_status(ctx.env, workflow, event)
    if blocked is None:
        return _dispatch(
            ctx, event, workflow, transaction_id, None, source="broadcast", bulk_index=None
        )
    answer = _status("processed", transaction_id)
    note = f"Novu answers processed for a broadcast but would deliver nothing: {blocked}"
    _record(ctx, event, answer, source="broadcast", bulk_index=None, notes=(note,))
    return answer


_strip = str.strip
_JS_WHITE_SPACE = itertools.repeat(JS_WHITE_SPACE)  # endless, so one serves every map()


def _bulk_item(ctx: Context, event: Any, index: int) -> dict[str, Any]:
    """One bulk event the general way: its checks (D5), then `run_event`; an `error` item for
    what fails."""
    messages = bulk_event_messages(event)
    if messages:
        return error_item(ctx, event, messages, source="bulk", bulk_index=index)
    try:
        return run_event(ctx, event, source="bulk", bulk_index=index)
    except NovuError as exc:
        text = exc.message if isinstance(exc.message, list) else [exc.message]
        return error_item(ctx, event, text, source="bulk", bulk_index=index)


def _plain_workflow(env: Environment, name: str) -> tuple[Workflow, bool] | None:
    """The workflow of `name` and whether it holds (a delay or digest step) when an event of
    it with neither actor nor tenant needs no per-event check: it exists, is active with
    active steps, has no payload schema and no delayPath step. None sends such events the
    general way (`run_event`)."""
    workflow = env.workflows.get(name)
    if (
        workflow is None
        or workflow.payload_schema is not None
        or _timing(workflow)[1]
        or _blocked_status(env, workflow, {}) is not None
    ):
        return None
    return workflow, _timing(workflow)[0]


def new_transaction_ids(count: int) -> list[str]:
    """`count` fresh transactionIds (D2) from one system call (a bulk's)."""
    digits = os.urandom(12 * count).hex()
    return ["txn_" + digits[i : i + 24] for i in range(0, 24 * count, 24)]


def run_bulk(ctx: Context, events: list[Any]) -> list[dict[str, Any]]:
    """Every event of a bulk, in order: one item each (D5, D9).

    The common event (a dict naming a workflow that needs no per-event check, `to` a list of
    subscriberIds, no actor, tenant or forced outcome) is answered in this loop, with what
    every event shares looked up once per bulk: it does exactly what `_bulk_item` would do
    for it (same checks, records, writes and queue), without its ten function layers (about
    three quarters of a bulk's Python). Every other event goes the general way, in order."""
    env = ctx.env
    if env.outcomes or not ctx.validate:  # outcomes and `to` without validation: per event
        return [_bulk_item(ctx, event, index) for index, event in enumerate(events)]
    plain: dict[str, tuple[Workflow, bool] | None] = {}  # name -> _plain_workflow, per bulk
    stored = env.subscribers
    processed = env.processed
    record_dispatched = env.record_dispatched
    fresh_ids = new_transaction_ids(len(events))
    stamp, now, link = ctx.stamp, ctx.now, ctx.feed_link
    holding = False
    results: list[dict[str, Any]] = []
    append = results.append
    for index, event in enumerate(events):
        if type(event) is not dict:
            append(_bulk_item(ctx, event, index))
            continue
        get = event.get
        name, to, payload = get("name"), get("to"), get("payload")
        transaction_id = get("transactionId")
        if not (
            type(to) is list
            and type(name) is str
            and (payload is None or type(payload) is dict)
            and (transaction_id is None or type(transaction_id) is str)
            and get("actor") is None
            and get("tenant") is None
        ):
            append(_bulk_item(ctx, event, index))
            continue
        try:
            # js_trim (D16) of each subscriberId, the first mention first, as plan() keeps
            # them; str.strip refuses another item (an object: no bare id). In C: no frame.
            trimmed = dict.fromkeys(map(_strip, to, _JS_WHITE_SPACE))
        except TypeError:
            append(_bulk_item(ctx, event, index))
            continue
        known = plain.get(name)
        if known is None and name not in plain:
            known = plain[name] = _plain_workflow(env, name)
        transaction_id = transaction_id or fresh_ids.pop()
        # An id that trims to nothing is dropped with a note, a repeated transactionId gets
        # one: both the general way.
        if known is None or "" in trimmed or transaction_id in processed:
            append(_bulk_item(ctx, event, index))
            continue
        workflow, holds_steps = known
        reached = tuple(trimmed)
        for sub_id in reached:
            if sub_id not in stored:  # a bare id of a stored subscriber writes nothing
                env.upsert_recipient({"subscriberId": sub_id}, stamp)
        overrides = get("overrides")
        record = TriggerRecord(
            transaction_id,
            name,
            "processed",
            None,
            to,
            reached,
            payload if payload is not None else {},
            overrides if overrides is not None else {},
            None,
            None,
            "bulk",
            index,
            now,
            False,
            (),
            env,
        )
        record_dispatched(record)
        if reached:
            queue(env, record, workflow)
            holding = holding or holds_steps
        append(
            {
                "acknowledged": True,
                "status": "processed",
                "transactionId": transaction_id,
                "activityFeedLink": link,
            }
        )
    if holding:
        env.scheduler.awaiting = True  # a real clock's timer runs the queue (DESIGN 10)
    return results
