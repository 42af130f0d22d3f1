"""Delay and digest steps (DESIGN section 10): a held run waits in its environment's scheduler.

A recipient's run stops at a delay or digest step (`RecipientRun.suspended`); `hold` decides
when it goes on and schedules that as a job:

- delay: after `amount` `unit`s, or at the ISO 8601 date the payload holds at `delayPath`;
- a delay or digest step without `amount`/`unit` (or `delayPath`) does not wait;
- digest: per workflow, subscriber, step and `digestKey` value, the first run waits `amount`
  `unit`s and later runs merge into it; when the window ends the first run goes on once, and
  its templates see `step.events` (the merged payloads, oldest first), `step.total_count`,
  `step.digest` and the same under `steps.<stepId>`. With `lookBackWindow`, a run that finds no
  other trigger of that batch within the window before it is not digested (Novu's backoff).
  With `cron` instead of `amount`/`unit` (Novu's timed digest), the window ends at the cron
  expression's next moment (UTC; cronsim).

Cancel (contract D10 revised) takes a transaction's delayed and merged jobs away; cancelling a
digest's first run hands the batch to the next one, as Novu's CancelDelayed does.
"""

from __future__ import annotations

import calendar
import re
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from .._core.errors import NovuError
from .._model.clock import iso_utc, parse_iso
from .._model.scheduler import CANCELED, COMPLETED, Job, Scheduler
from .model import job_id

if TYPE_CHECKING:
    from .._model.entities import Workflow
    from .._model.environment import Environment
    from .._model.records import TriggerRecord

UNITS = ("seconds", "minutes", "hours", "days", "weeks", "months")
_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400, "weeks": 604800}

# Novu's execution-detail texts (DetailEnum) for the held steps.
DELAY_FINISHED = "Delay is finished"
DIGEST_MERGED = "Digest was merged with other digest"
DIGEST_SKIPPED = "Digest was skipped, first backoff event"
DIGEST_TRIGGERED_EVENTS = "Digest triggered events"
STEP_CANCELED = "Step canceled"
DELAY_MISCONFIGURATION = "Invalid delay configuration"
FILTER_STEPS = "Step was filtered based on steps filters"

# Novu's VerifyPayload check of a scheduled delay's date (the regular expression it uses).
_NOVU_ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}.\d{3}Z")


# -- fixture checks -----------------------------------------------------------------------------


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def timing_problems(step: Any, path: str, problems: list[str]) -> None:
    """Checks of a step's `amount`, `unit`, `delayPath`, `digestKey`, `lookBackWindow`."""
    if not isinstance(step, dict):
        return
    kind = step.get("type")
    timed = ("amount", "unit", "delayPath", "digestKey", "lookBackWindow", "cron")
    if kind not in ("delay", "digest"):
        for key in timed:
            if key in step:
                problems.append(f"{path}.{key}: only delay and digest steps take {key}")
        return
    if "amount" in step and not (_number(step["amount"]) and step["amount"] > 0):
        problems.append(f"{path}.amount: expected a positive number; got {step['amount']!r}")
    if "unit" in step and step["unit"] not in UNITS:
        problems.append(f"{path}.unit: expected one of {', '.join(UNITS)}; got {step['unit']!r}")
    if "delayPath" in step:
        if kind != "delay":
            problems.append(f"{path}.delayPath: only delay steps take delayPath")
        elif not (isinstance(step["delayPath"], str) and step["delayPath"].strip()):
            problems.append(f"{path}.delayPath: expected a non-empty string (a payload key)")
        elif "amount" in step or "unit" in step:
            problems.append(f"{path}: a delay takes either delayPath or amount and unit")
    if "digestKey" in step:
        if kind != "digest":
            problems.append(f"{path}.digestKey: only digest steps take digestKey")
        elif not isinstance(step["digestKey"], str):
            problems.append(f"{path}.digestKey: expected a string (a payload path)")
    if "lookBackWindow" in step:
        window = step["lookBackWindow"]
        if kind != "digest":
            problems.append(f"{path}.lookBackWindow: only digest steps take lookBackWindow")
        elif not (
            isinstance(window, dict)
            and set(window) == {"amount", "unit"}
            and _number(window["amount"])
            and window["amount"] > 0
            and window["unit"] in UNITS
        ):
            problems.append(
                f"{path}.lookBackWindow: expected {{amount: a positive number, unit: one of "
                f"{', '.join(UNITS)}}}"
            )
    if "cron" in step:
        if kind != "digest":
            problems.append(f"{path}.cron: only digest steps take cron")
        elif "amount" in step or "unit" in step or "lookBackWindow" in step:
            problems.append(f"{path}: a digest takes either cron or amount and unit")
        else:
            problem = cron_problem(step["cron"])
            if problem:
                problems.append(f"{path}.cron: {problem}")
    if ("amount" in step) != ("unit" in step):
        problems.append(f"{path}: a {kind} step takes amount and unit together")


def cron_problem(value: Any) -> str | None:
    """Why `value` is not a cron expression the mock can run, or None."""
    from cronsim import CronSimError

    if not isinstance(value, str):
        return f"expected a cron expression (a string); got {value!r}"
    try:
        next_cron_moment(value, 0.0)
    except CronSimError as error:
        return f"{value!r}: {str(error).lower()}"
    return None


def next_cron_moment(expression: str, after: float) -> float:
    """The first moment after `after` that `expression` matches, read in UTC by cronsim (5
    fields, or 6 with seconds first, as Novu's cron-parser takes them); CronSimError if it
    cannot be read or never matches."""
    from cronsim import CronSim

    start = datetime.fromtimestamp(after, tz=timezone.utc)
    return next(CronSim(expression, start)).timestamp()


# -- time arithmetic ----------------------------------------------------------------------------


def add_amount(start: float, amount: float, unit: str) -> float:
    """`start` plus `amount` `unit`s; months are calendar months (fractions in 30-day parts)."""
    if unit != "months":
        return start + amount * _SECONDS[unit]
    whole = int(amount)
    dt = datetime.fromtimestamp(start, tz=timezone.utc)
    month = dt.month - 1 + whole
    year, month = dt.year + month // 12, month % 12 + 1
    day = min(dt.day, calendar.monthrange(year, month)[1])
    moved = dt.replace(year=year, month=month, day=day)
    return (moved + timedelta(days=30 * (amount - whole))).timestamp()


def delay_override(overrides: Any) -> tuple[float, str] | None:
    """The trigger's `overrides.delay` (`{"amount": number, "unit": one of UNITS}`) as Novu's
    worker takes it (ComputeJobWaitDurationService.isValidDelayOverride): it replaces the
    amount and unit of every delay and digest step that waits by amount and unit (not a
    `delayPath` date); anything else in it is ignored and the steps keep their own."""
    delay = overrides.get("delay") if isinstance(overrides, dict) else None
    if not isinstance(delay, dict):
        return None
    amount, unit = delay.get("amount"), delay.get("unit")
    if not isinstance(amount, (int, float)) or isinstance(amount, bool) or unit not in UNITS:
        return None
    return float(amount), str(unit)


def wait_until(now: float, spec: dict[str, Any], overrides: Any) -> float:
    """When a delay or digest step that waits by amount and unit ends, `overrides.delay` first."""
    override = delay_override(overrides)
    if override is not None:
        amount, unit = override
        return now if amount <= 0 else add_amount(now, amount, unit)
    return add_amount(now, float(spec["amount"]), spec["unit"])


def _payload_value(payload: Any, path: str) -> tuple[bool, Any]:
    """The value at `path` in the payload (`sendAt`, `payload.sendAt` or `a.b`)."""
    if not isinstance(payload, dict):
        return False, None
    if path in payload:
        return True, payload[path]
    key = path[len("payload.") :] if path.startswith("payload.") else path
    value: Any = payload
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            return False, None
        value = value[part]
    return True, value


def delay_date(payload: Any, path: str) -> float | None:
    """The moment a scheduled delay waits for, or None when the payload has no valid date."""
    found, value = _payload_value(payload, path)
    if not found or not isinstance(value, str) or not _NOVU_ISO.search(value):
        return None
    return parse_iso(value)


def check_delay_paths(workflow: Workflow, payload: Any) -> None:
    """Novu's 400 (VerifyPayload) when a scheduled delay's date is missing or not ISO 8601."""
    paths = [
        step["delayPath"]
        for step in workflow.steps
        if step.get("type") == "delay"
        and step.get("active", True)
        and "delayPath" in step
        and delay_date(payload, step["delayPath"]) is None
    ]
    if paths:
        # Novu's message; `type` and `errors` as every trigger 400 carries them, so the SDKs
        # raise their typed validation error (sdk-behaviour.md, rule 6).
        message = "payload is missing required key(s) and type(s): " + ", ".join(
            f"{path} (ISO Date)" for path in paths
        )
        errors = [
            {
                "field": path,
                "message": "must be an ISO 8601 date (YYYY-MM-DDTHH:mm:ss.sssZ)",
                "value": _payload_value(payload, path)[1],
            }
            for path in paths
        ]
        raise NovuError(
            400,
            message,
            reason=False,
            extra={"type": "PAYLOAD_VALIDATION_ERROR", "errors": errors},
        )


def holds(workflow: Workflow) -> bool:
    """Whether a run of `workflow` may stop at a delay or digest step."""
    return any(step.get("type") in ("delay", "digest") for step in workflow.steps)


def has_delay_path(workflow: Workflow) -> bool:
    return any(step.get("type") == "delay" and "delayPath" in step for step in workflow.steps)


# -- held runs ------------------------------------------------------------------------------------


def _spec(run: Any) -> dict[str, Any]:
    job = run.notification.jobs[-1]
    spec: dict[str, Any] = run.notification.workflow.steps[job.step.index]
    return spec


def _job_id(run: Any) -> str:
    return job_id(run.notification, run.notification.jobs[-1])


def hold(env: Environment, run: Any, now: float) -> None:
    """Schedule a run that stopped at a delay or digest step."""
    step_job = run.notification.jobs[-1]
    spec = _spec(run)
    if "amount" not in spec and "delayPath" not in spec and "cron" not in spec:
        # No timing given (a fixture written before delays waited): the step passes at once.
        if spec["type"] == "digest":
            _set_step(run, [run.notification.record.payload])
        _resume(env, run, now)
    elif step_job.step.type == "delay":
        _hold_delay(env, run, now)
    else:
        _hold_digest(env, run, now)


def _resume(env: Environment, run: Any, at: float) -> None:
    run.resume(at)
    if run.suspended:
        hold(env, run, at)


def _scheduled(env: Environment, run: Any, kind: str, due: float, now: float, **detail: Any) -> Job:
    notification = run.notification
    step_job = notification.jobs[-1]
    record = notification.record
    job = Job(
        job_id=_job_id(run),
        kind=kind,
        due=due,
        scheduled_at=now,
        transaction_id=record.transaction_id,
        subscriber_id=notification.subscriber["subscriberId"],
        step_id=step_job.step.step_id,
        fire=_nothing,
        detail=detail or None,
        workflow_id=notification.workflow.workflow_id,
    )
    record.jobs.append(job)
    return job


def _nothing(at: float) -> None:
    return None


def _hold_delay(env: Environment, run: Any, now: float) -> None:
    spec = _spec(run)
    notification = run.notification
    step_job = notification.jobs[-1]
    if "delayPath" in spec:
        due = delay_date(notification.record.payload, spec["delayPath"])
        if due is None or due < now:
            # Novu's worker: "Delay date at path X must be a future date"; the run stops there.
            step_job.status = "failed"
            run.suspended = False
            return
    else:
        due = wait_until(now, spec, notification.record.overrides)
        if due <= now:  # `overrides.delay` of no time: the run goes on at once
            _resume(env, run, now)
            return
    job = _scheduled(env, run, "delay", due, now)

    def fire(at: float) -> None:
        _resume(env, run, at)

    def on_cancel(at: float) -> None:
        step_job.status = CANCELED
        _cancel_rest(run, at)

    job.fire = fire
    job.on_cancel = on_cancel
    env.scheduler.schedule(job)


def _cancel_rest(run: Any, at: float) -> None:
    run.suspended = False
    run.notification.env.suspended.pop(run, None)


# -- digest -------------------------------------------------------------------------------------


class Batch:
    """The runs one digest window collects: the first (`leader`) waits, the rest merged."""

    __slots__ = ("due", "key", "leader", "members", "scheduler")

    def __init__(self, key: tuple[Any, ...], due: float, scheduler: Scheduler) -> None:
        self.key = key
        self.due = due
        self.scheduler = scheduler
        self.leader: tuple[Any, Job] | None = None
        self.members: list[tuple[Any, Job]] = []  # every run in the batch, oldest first


def _batches(env: Environment) -> dict[tuple[Any, ...], Batch]:
    state: dict[tuple[Any, ...], Batch] = env.scheduler.state.setdefault("digests", {})
    return state


def _last_seen(env: Environment) -> dict[tuple[Any, ...], float]:
    state: dict[tuple[Any, ...], float] = env.scheduler.state.setdefault("digest_seen", {})
    return state


def _step_context(events: list[Any]) -> dict[str, Any]:
    return {"digest": bool(events), "events": events, "total_count": len(events)}


def _set_step(run: Any, events: list[Any]) -> None:
    notification = run.notification
    for earlier in notification.jobs:  # messages sent before the digest keep their content
        if earlier.message is not None:
            earlier.message.rendered()
    context = notification.context
    step_id = notification.jobs[-1].step.step_id
    value = _step_context(events)
    context["step"] = value
    steps = context.get("steps")
    if not isinstance(steps, dict):
        steps = context["steps"] = {}
    steps[step_id] = dict(value)


def _condition_fails(run: Any) -> bool:
    step = run.notification.jobs[-1].step
    condition = getattr(step, "condition", None)
    return condition is not None and not condition.holds(run.notification.context)


def _hold_digest(env: Environment, run: Any, now: float) -> None:
    spec = _spec(run)
    notification = run.notification
    step_job = notification.jobs[-1]
    if _condition_fails(run):
        _set_step(run, [])
        _resume(env, run, now)
        step_job.status = "skipped"  # by its condition (execution detail: filtered)
        return
    key_path = spec.get("digestKey")
    value = None
    if key_path:
        found, value = _payload_value(notification.record.payload, key_path)
        value = value if found and value not in (None, "", False, 0) else None
    key = (
        notification.workflow.workflow_id,
        notification.subscriber_id,
        step_job.step.index,
        _hashable(value),
    )
    window = spec.get("lookBackWindow")
    if window is not None:
        seen = _last_seen(env)
        last = seen.get(key)
        seen[key] = now
        since = now - (add_amount(now, float(window["amount"]), window["unit"]) - now)
        if (last is None or last < since) and key not in _batches(env):
            _set_step(run, [notification.record.payload])
            _resume(env, run, now)
            step_job.status = "skipped"  # first backoff event: sent at once
            return
    batches = _batches(env)
    batch = batches.get(key)
    if batch is None:
        if "cron" in spec:  # a timed digest: its window ends at the cron's next moment
            due = next_cron_moment(spec["cron"], now)
        else:
            due = wait_until(now, spec, notification.record.overrides)
        if due <= now:  # `overrides.delay` of no time: nothing to wait for
            _set_step(run, [notification.record.payload])
            _resume(env, run, now)
            return
        batch = batches[key] = Batch(key, due, env.scheduler)
        job = _scheduled(env, run, "digest", due, now)
        batch.leader = (run, job)
        batch.members.append((run, job))
        _arm_leader(env, batch, run, job)
        env.scheduler.schedule(job)
        return
    # Merged: this run ends here; its payload joins the batch.
    step_job.status = "merged"
    run.suspended = False
    env.suspended.pop(run, None)
    job = _scheduled(env, run, "digest", batch.due, now, merged=True)
    job.status = "merged"
    batch.members.append((run, job))

    def on_cancel_member(at: float) -> None:
        step_job.status = CANCELED
        batch.members[:] = [m for m in batch.members if m[1] is not job]

    job.on_cancel = on_cancel_member
    env.scheduler.schedule(job)


def _arm_leader(env: Environment, batch: Batch, run: Any, job: Job) -> None:
    step_job = run.notification.jobs[-1]

    def fire(at: float) -> None:
        del _batches(env)[batch.key]
        members = [m for m in batch.members if m[1].status != CANCELED]
        events = [m[0].notification.record.payload for m in members]
        for _, member_job in members:
            if member_job is not job:
                env.scheduler.take(member_job)
                member_job.status = "merged"
        _set_step(run, events)
        _resume(env, run, at)

    def on_cancel(at: float) -> None:
        step_job.status = CANCELED
        _cancel_rest(run, at)
        batch.members[:] = [m for m in batch.members if m[1] is not job]
        followers = [m for m in batch.members if m[1].status == "merged"]
        if not followers:
            _batches(env).pop(batch.key, None)
            return
        # Novu's CancelDelayed: the oldest merged run becomes the batch's first run.
        next_run, next_job = followers[0]
        env.scheduler.take(next_job)
        next_step_job = next_run.notification.jobs[-1]
        next_step_job.status = "delayed"
        next_run.suspended = True
        env.suspended[next_run] = None
        successor = _scheduled(env, next_run, "digest", batch.due, at)
        batch.leader = (next_run, successor)
        batch.members[:] = [(next_run, successor) if m[1] is next_job else m for m in batch.members]
        _arm_leader(env, batch, next_run, successor)
        env.scheduler.schedule(successor)

    job.fire = fire
    job.on_cancel = on_cancel


def _hashable(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        import json

        return json.dumps(value, sort_keys=True, default=str)
    return value


# -- what a trigger shows -------------------------------------------------------------------------


def jobs_of(record: TriggerRecord) -> list[Job]:
    """The held jobs of a TriggerRecord (every recipient's), oldest first."""
    return record.jobs


__all__ = [
    "COMPLETED",
    "check_delay_paths",
    "has_delay_path",
    "hold",
    "iso_utc",
    "timing_problems",
]
