"""Read-only workflows endpoints (contract 9.5, 9.6): the fixture workflows as Novu lists them."""

from __future__ import annotations

from typing import Any

from .._core.errors import NovuError
from .._core.http import Reply
from .._core.request import Request
from .._delivery.preferences import workflow_default
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
    view["severity"] = "none"
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
