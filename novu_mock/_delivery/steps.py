"""A workflow's steps compiled once for delivery: templates, conditions and stable ids."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._model.entities import step_ids
from .conditions import Condition, compile_condition
from .preferences import by_workflow, preset, resolve
from .templates import Template, compile_template

if TYPE_CHECKING:
    from .._model.entities import Workflow

CONTENT_FIELDS = ("subject", "body", "avatar")
CHANNEL_STEPS = frozenset(("in_app", "email", "sms", "chat", "push"))
HOLDING_STEPS = frozenset(("delay", "digest"))
_EMPTY = ("", "", "", "")


class StepPlan:
    """One step ready to run: its type, id, compiled content and condition."""

    __slots__ = (
        "active",
        "by_default",
        "channel",
        "condition",
        "db_id",
        "index",
        "name",
        "preset",
        "step_id",
        "templates",
        "type",
    )

    def __init__(self, workflow: Workflow, index: int, step_id: str) -> None:
        from .._novu.listing import derived_id

        spec = workflow.steps[index]
        self.index = index
        self.type: str = spec["type"]
        self.step_id = step_id
        self.name: str = spec.get("name") or step_id
        self.active: bool = spec.get("active", True)
        self.db_id = derived_id(workflow.id, "step", str(index))
        redirect = spec.get("redirect") or {}
        sources = (
            spec.get("subject"),
            spec.get("body"),
            spec.get("avatar"),
            redirect.get("url") if isinstance(redirect, dict) else None,
        )
        self.templates: tuple[Template | None, ...] | None = (
            tuple(compile_template(s) if isinstance(s, str) else None for s in sources)
            if any(isinstance(s, str) for s in sources)
            else None
        )
        rule = spec.get("conditions")
        self.condition: Condition | None = (
            compile_condition(rule) if rule not in (None, {}) else None
        )
        # What preferences.resolve answers from the workflow alone, worked out once per step
        # (a changed workflow is a new Workflow object, with a new plan).
        self.channel = self.type in CHANNEL_STEPS
        self.preset = preset(workflow, self.type)  # critical or readOnly: subscribers can't
        self.by_default = by_workflow(workflow, self.type)  # a subscriber without preferences

    def render(self, context: dict[str, Any]) -> tuple[str, str, str, str]:
        """(subject, body, avatar, redirect url); a step without content renders empty."""
        if self.templates is None:
            return _EMPTY
        s, b, a, r = (t.render(context) if t is not None else "" for t in self.templates)
        return s, b, a, r

    def preference(self, workflow: Workflow, subscriber: dict[str, Any]) -> tuple[bool, str]:
        """`preferences.resolve` for this step, with what the workflow alone decides read from
        the plan (the same answer: a subscriber without preferences gets the default)."""
        if self.preset is not None:
            return self.preset
        if not subscriber.get("preferences"):
            return self.by_default
        return resolve(workflow, subscriber, self.type)


class WorkflowPlan:
    """Every step of a workflow, compiled; built once per workflow object. `active` is the
    steps a run takes; `holds` whether one of them can suspend it (a delay or digest)."""

    __slots__ = ("active", "holds", "steps")

    def __init__(self, workflow: Workflow) -> None:
        self.steps = [StepPlan(workflow, i, sid) for i, sid in enumerate(step_ids(workflow))]
        self.active = tuple(step for step in self.steps if step.active)
        self.holds = any(step.type in HOLDING_STEPS for step in self.active)


def plan_of(workflow: Workflow) -> WorkflowPlan:
    plan: WorkflowPlan | None = workflow.delivery_plan
    if plan is None:
        plan = workflow.delivery_plan = WorkflowPlan(workflow)
    return plan
