"""Read-only workflows endpoints (contract 9.5, 9.6): the fixture workflows as Novu lists them."""

from __future__ import annotations

import copy
import re
from typing import Any

from .._core.errors import NovuError, field_problem
from .._core.http import Reply
from .._core.request import Request
from .._core.text import js_trim
from .._delivery.preferences import workflow_default
from .._fixtures import problems_of
from .._model.entities import Workflow, step_ids
from .._model.environment import Environment
from .listing import (
    Problems,
    contains,
    derived_id,
    integer,
    one_of,
    page_and_limit,
    query_lists,
    raise_problems,
)

CHANNELS = ("in_app", "email", "sms", "chat", "push")
ORDER_FIELDS = ("createdAt", "updatedAt", "name", "lastTriggeredAt")
STATUSES = ("ACTIVE", "INACTIVE", "ERROR")


def _status(workflow: Workflow) -> str:
    return "ACTIVE" if workflow.active else "INACTIVE"


def _slug(workflow: Workflow) -> str:
    return f"{workflow.workflow_id}_wf_{workflow.id}"


def _controls(step_type: str) -> dict[str, Any]:
    if step_type == "email":
        return {"subject": "", "body": ""}
    if step_type in ("in_app", "sms", "chat", "push"):
        return {"body": ""}
    return {}


def _content_controls(step: dict[str, Any]) -> dict[str, Any]:
    """The step's content as Novu's v2 control values: `skip` holds the step conditions (Novu
    runs the step when they are truthy, despite the name)."""
    values = _controls(step["type"])
    for name in ("subject", "body", "avatar"):
        if isinstance(step.get(name), str):
            values[name] = step[name]
    redirect = step.get("redirect")
    if isinstance(redirect, dict) and redirect.get("url"):
        values["redirect"] = {"url": redirect["url"], "target": redirect.get("target", "_self")}
    if step.get("conditions") not in (None, {}):
        values["skip"] = step["conditions"]
    return values


def step_view(workflow: Workflow, index: int, step_id: str) -> dict[str, Any]:
    step = workflow.steps[index]
    values = _content_controls(step)
    return {
        "controls": {"values": values},
        "controlValues": dict(values),
        "variables": {"type": "object", "properties": {}},
        "stepId": step_id,
        "_id": derived_id(workflow.id, "step", str(index)),
        "name": step.get("name") or step_id,
        "slug": f"{step_id}_st_{derived_id(workflow.id, 'step', str(index))}",
        "type": step["type"],
        "origin": "novu-cloud",
        "workflowId": workflow.workflow_id,
        "workflowDatabaseId": workflow.id,
    }


def _overview(workflow: Workflow) -> list[str]:
    return list(dict.fromkeys(step["type"] for step in workflow.steps))


def list_item_view(workflow: Workflow) -> dict[str, Any]:
    """WorkflowListResponseDto"""
    return {
        "name": workflow.name,
        "tags": [],
        "updatedAt": workflow.created_at,
        "createdAt": workflow.created_at,
        "_id": workflow.id,
        "workflowId": workflow.workflow_id,
        "slug": _slug(workflow),
        "status": _status(workflow),
        "origin": "novu-cloud",
        "stepTypeOverviews": _overview(workflow),
        "steps": [
            {"slug": view["slug"], "type": view["type"]}
            for view in (step_view(workflow, i, sid) for i, sid in enumerate(step_ids(workflow)))
        ],
    }


def workflow_view(workflow: Workflow) -> dict[str, Any]:
    """WorkflowResponseDto"""
    view = list_item_view(workflow)
    view["active"] = workflow.active
    view["validatePayload"] = workflow.payload_schema is not None
    view["payloadSchema"] = workflow.payload_schema
    view["steps"] = [step_view(workflow, i, sid) for i, sid in enumerate(step_ids(workflow))]
    defaults = workflow.preferences or {}
    every = {"enabled": True, "readOnly": False, **(defaults.get("all") or {})}
    view["preferences"] = {
        "default": {
            "all": every,
            "channels": {c: {"enabled": workflow_default(workflow, c)} for c in CHANNELS},
        },
        "user": None,
    }
    view["critical"] = workflow.critical
    view["severity"] = workflow.severity
    view["issues"] = {}
    return view


_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_ENCODED_ID_LENGTH = 16


def encode_base62(internal_id: str) -> str:
    """Novu's `encodeBase62`: the id's hex bytes in base-x base62 (a leading zero byte is '0')."""
    raw = bytes.fromhex(internal_id)
    zeroes = len(raw) - len(raw.lstrip(b"\0"))
    number, digits = int.from_bytes(raw, "big"), ""
    while number:
        number, rest = divmod(number, 62)
        digits = _BASE62[rest] + digits
    return "0" * zeroes + digits


def _decode_base62(encoded: str) -> str | None:
    if not encoded or any(c not in _BASE62 for c in encoded):
        return None
    zeroes = len(encoded) - len(encoded.lstrip("0"))
    number = 0
    for c in encoded:
        number = number * 62 + _BASE62.index(c)
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return (b"\0" * zeroes + body).hex()


def parse_slug_id(value: str) -> str:
    """Novu's `ParseSlugIdPipe`: `<slug>_wf_<base62 of _id>` gives the `_id`. The encoded id is
    the part after the last `_` (current Novu) or the last 16 characters (older Novu); a 24-hex
    id, or a value no slug form decodes, is kept as it is."""
    if _is_internal_id(value) or len(value) < _ENCODED_ID_LENGTH - 1:
        return value
    candidates = [value.rpartition("_")[2], value[-_ENCODED_ID_LENGTH:]]
    for encoded in candidates:
        if len(encoded) < _ENCODED_ID_LENGTH - 1:
            continue
        decoded = _decode_base62(encoded)
        if decoded is not None and _is_internal_id(decoded):
            return decoded
    return value


def _is_internal_id(value: str) -> bool:
    return len(value) == 24 and all(c in "0123456789abcdef" for c in value.lower())


def _find(req: Request) -> Workflow:
    env = req.environment()
    wanted = req.params["workflowId"]
    workflow = env.workflows.get(wanted) or next(
        (w for w in env.workflows.values() if wanted in (w.id, _slug(w))), None
    )
    if workflow is None:
        parsed = parse_slug_id(wanted)
        workflow = env.workflows.get(parsed) or next(
            (w for w in env.workflows.values() if w.id == parsed), None
        )
    if workflow is None:
        raise NovuError(404, "Workflow cannot be found", reason=False, extra={"workflowId": wanted})
    return workflow


def list_v2(req: Request) -> Reply:
    """GET /v2/workflows: offset/limit, `query` on name and workflowId, `tags`, `status`."""
    env = req.environment()
    query = req.query()
    lists = query_lists(req)
    problems: Problems = {}
    offset = integer(query, "offset", 0, problems, minimum=0)
    limit = integer(query, "limit", 50, problems, minimum=1, maximum=100)
    direction = one_of(query, "orderDirection", ("ASC", "DESC"), "DESC", problems)
    order_by = one_of(query, "orderBy", ORDER_FIELDS, "createdAt", problems)
    statuses = lists.get("status", [])
    bad = [s for s in statuses if s not in STATUSES]
    if bad:
        problems["status"] = {
            "messages": [
                f"each value in status must be one of the following values: {', '.join(STATUSES)}"
            ],
            "value": statuses,
        }
    raise_problems(problems)
    text = query.get("query", "")
    tags = [t for t in lists.get("tags", []) if t]
    items = [
        list_item_view(w)
        for w in env.workflows.values()
        if (not text or contains(w.name, text) or contains(w.workflow_id, text))
        and not tags  # the mock's workflows carry no tags
        and (not statuses or _status(w) in statuses)
    ]
    indexed = sorted(enumerate(items), key=lambda p: (str(p[1].get(order_by) or ""), p[0]))
    ordered = [item for _, item in indexed]
    if direction == "DESC":
        ordered.reverse()
    return Reply.json(
        200, {"data": {"workflows": ordered[offset : offset + limit], "totalCount": len(items)}}
    )


def get_v2(req: Request) -> Reply:
    """GET /v2/workflows/{workflowId} (also by `_id` or slug)."""
    return Reply.json(200, {"data": workflow_view(_find(req))})


def _notification_group(env: Environment) -> dict[str, Any]:
    """The environment's default notification group, which Novu populates on every v1 item."""
    return {
        "_id": derived_id(env.id, "notification-group", "General"),
        "name": "General",
        "_environmentId": env.id,
        "_organizationId": env.organization_id,
    }


def v1_view(env: Environment, workflow: Workflow) -> dict[str, Any]:
    group = _notification_group(env)
    return {
        "_id": workflow.id,
        "name": workflow.name,
        "description": "",
        "active": workflow.active,
        "draft": False,
        "critical": workflow.critical,
        "tags": [],
        "steps": [
            {
                "_id": derived_id(workflow.id, "step", str(i)),
                "stepId": sid,
                "name": workflow.steps[i].get("name") or sid,
                "active": workflow.steps[i]["active"],
                "template": {"type": workflow.steps[i]["type"]},
            }
            for i, sid in enumerate(step_ids(workflow))
        ],
        "triggers": [{"type": "event", "identifier": workflow.workflow_id, "variables": []}],
        "_notificationGroupId": group["_id"],
        "notificationGroup": group,
        "origin": "novu-cloud",
        "createdAt": workflow.created_at,
        "updatedAt": workflow.created_at,
    }


def list_v1(req: Request) -> Reply:
    """GET /v1/workflows: `{totalCount, data, pageSize, page}` (unwrapped), `query` filter;
    newest first (Novu's repository sorts `createdAt: -1`; its e2e expects the last created
    first), reversed store order breaking ties."""
    env = req.environment()
    page, limit = page_and_limit(req)
    text = req.query().get("query", "")
    workflows = [
        w
        for w in reversed(env.workflows.values())
        if not text or contains(w.name, text) or contains(w.workflow_id, text)
    ]
    workflows.sort(key=lambda w: w.created_at, reverse=True)
    data = [v1_view(env, w) for w in workflows[page * limit : (page + 1) * limit]]
    return Reply.json(
        200, {"totalCount": len(workflows), "data": data, "pageSize": limit, "page": page}
    )


# -- POST /v2/workflows: a workflow whose step controls drive delivery ------------------------

STEP_TYPES = ("in_app", "email", "sms", "chat", "push", "digest", "delay", "custom")
SEVERITIES = ("high", "medium", "low", "none")
# Control values that map onto the delivery model (DESIGN 9): Liquid content, and `skip`, Novu's
# step conditions (JSON Logic; the step runs when they hold, see `_spec_step`).
_CONTENT_CONTROLS = ("subject", "body", "avatar")
_TIMING_CONTROLS = ("amount", "unit", "digestKey")
_SLUG = re.compile(r"[^a-z0-9]+")


def slugify(text: str) -> str:
    """Novu's `slugify` (@novu/shared) as it names a new step: lower case, runs of anything
    but letters and digits as one `-`, no `-` at either end."""
    return _SLUG.sub("-", text.lower()).strip("-")


def _spec_step(step: dict[str, Any]) -> dict[str, Any]:
    """A StepUpsertDto as a fixture step. `controlValues.skip` is Novu's "step conditions":
    its worker evaluates the JSON Logic against payload, subscriber (`isOnline` false when
    unset) and the rest of the context and skips the step when it is falsy
    (`processSkipOption` returns `!result` in Novu's construct-framework-workflow usecase), so
    it is the fixture's `conditions`."""
    spec: dict[str, Any] = {"type": step["type"], "name": step["name"]}
    spec["stepId"] = step.get("stepId") or slugify(step["name"]) or step["type"]
    controls = step.get("controlValues") or {}
    for name in _CONTENT_CONTROLS:
        if controls.get(name) is not None:
            spec[name] = controls[name]
    redirect = controls.get("redirect")
    if isinstance(redirect, dict) and redirect.get("url"):
        spec["redirect"] = {"url": redirect["url"], "target": redirect.get("target", "_self")}
    if controls.get("skip") not in (None, {}):
        spec["conditions"] = controls["skip"]
    if step["type"] in ("delay", "digest"):
        for name in _TIMING_CONTROLS:
            if controls.get(name) is not None:
                spec[name] = controls[name]
    return spec


def _string_problem(body: dict[str, Any], name: str, problems: Problems) -> None:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        messages = [f"{name} should not be empty"]
        if not isinstance(value, str):
            messages.append(f"{name} must be a string")
        problems[name] = field_problem(messages, value, name in body)


def _dto_problems(body: dict[str, Any]) -> Problems:
    """CreateWorkflowDto's class-validator checks the mock depends on."""
    problems: Problems = {}
    _string_problem(body, "name", problems)
    _string_problem(body, "workflowId", problems)
    steps = body.get("steps")
    if not isinstance(steps, list):
        problems["steps"] = field_problem(["steps must be an array"], steps, "steps" in body)
        return problems
    for i, step in enumerate(steps):
        where = f"steps.{i}"
        if not isinstance(step, dict):
            problems[where] = field_problem([f"{where} must be an object"], step, True)
            continue
        if not isinstance(step.get("name"), str) or not step["name"].strip():
            problems[f"{where}.name"] = field_problem(
                [f"{where}.name should not be empty"], step.get("name"), "name" in step
            )
        if step.get("type") not in STEP_TYPES:
            problems[f"{where}.type"] = field_problem(
                [f"{where}.type must be one of the following values: {', '.join(STEP_TYPES)}"],
                step.get("type"),
                "type" in step,
            )
        controls = step.get("controlValues")
        if controls is not None and not isinstance(controls, dict):
            problems[f"{where}.controlValues"] = field_problem(
                [f"{where}.controlValues must be an object"], controls, True
            )
    severity = body.get("severity")
    if severity is not None and severity not in SEVERITIES:
        problems["severity"] = field_problem(
            [f"severity must be one of the following values: {', '.join(SEVERITIES)}"],
            severity,
            True,
        )
    for name in ("active", "validatePayload"):
        if body.get(name) is not None and not isinstance(body[name], bool):
            problems[name] = field_problem([f"{name} must be a boolean value"], body[name], True)
    return problems


def _spec_problem_path(path: str) -> str:
    """A fixture problem's path (`workflows[0].steps[1].conditions`) as the DTO's."""
    path = path.removeprefix("workflows[0].").removeprefix("workflows[0]")
    match = re.match(r"steps\[(\d+)\]\.?(\w*)(.*)", path)
    if match is None:
        return path or "body"
    index, key, rest = match.groups()
    if not key or key in ("type", "name", "stepId"):
        return f"steps.{index}{'.' + key if key else ''}"
    control = "skip" if key == "conditions" else key
    return f"steps.{index}.controlValues.{control}{rest}"


def create_v2(req: Request) -> Reply:
    """POST /v2/workflows (CreateWorkflowDto): 201 and the workflow as GET answers it. Its steps'
    control values become delivery content: `subject`, `body`, `avatar`, `redirect` as Liquid
    templates, `skip` as step conditions, `amount`/`unit`/`digestKey` for delay and digest."""
    env = req.environment()
    body = req.json_object()
    raise_problems(_dto_problems(body))
    workflow_id = js_trim(body["workflowId"])
    if workflow_id in env.workflows:
        # Novu's UpdateWorkflow wording for a taken trigger identifier (400).
        raise NovuError(400, f"Workflow with identifier {workflow_id} already exists")
    spec: dict[str, Any] = {
        "workflowId": workflow_id,
        "name": body["name"],
        "active": body.get("active", True) is not False,  # Novu: `active ?? true`
        "steps": [_spec_step(step) for step in body["steps"]],
    }
    if isinstance(body.get("payloadSchema"), dict) and body.get("validatePayload") is not False:
        spec["payloadSchema"] = body["payloadSchema"]
    preferences = body.get("preferences")
    if isinstance(preferences, dict) and isinstance(preferences.get("workflow"), dict):
        spec["preferences"] = preferences["workflow"]
    if body.get("severity") is not None:
        spec["severity"] = body["severity"]
    problems: Problems = {}
    for problem in problems_of({"workflows": [spec]}, "body"):
        where, _, message = problem.removeprefix("body: ").partition(": ")
        path = _spec_problem_path(where)
        problems.setdefault(path, field_problem([], None, False))["messages"].append(
            f"{path}: {message}"
        )
    raise_problems(problems)
    workflow = Workflow(copy.deepcopy(spec), req.stamp)
    env.workflows[workflow_id] = workflow
    return Reply.json(201, {"data": workflow_view(workflow)})
