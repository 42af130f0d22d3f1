"""Handlers of the `/_mock` admin endpoints (DESIGN section 6)."""

from __future__ import annotations

from typing import Any

from .._core.errors import NovuError, field_problem, validation_error
from .._core.http import Reply
from .._core.request import Request
from .._fixtures import FixtureError, fault_problems
from .._model.records import TRIGGER_FILTERS


def health(req: Request) -> Reply:
    """GET /_mock/health"""
    return Reply.json(200, {"status": "ok"})


def reset(req: Request) -> Reply:
    """POST /_mock/reset: one environment with a key, every environment without."""
    req.engine.reset(req.key)
    return Reply.empty(204)


_YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml")


def _fixture_document(req: Request) -> dict[str, Any]:
    """The body as a fixture document: JSON, or YAML (a YAML media type, or `text/plain` as
    curl `--data-binary @file.yaml` without a type would send)."""
    ctype = req.call.headers.get("content-type", "")
    media = ctype.split(";", 1)[0].strip().lower()
    if media not in (*_YAML_TYPES, "text/plain"):
        return req.json_object()
    import yaml

    try:
        value = yaml.safe_load(req.call.body.decode("utf-8")) if req.call.body.strip() else {}
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise NovuError(400, f"Invalid YAML body: {exc}".splitlines()[0]) from None
    if not isinstance(value, dict):
        raise NovuError(400, "Invalid YAML body: expected a fixture document (a mapping)")
    return value


def root(req: Request) -> Reply:
    """GET /: not a Novu endpoint; points a person (or a browser) at the dashboard."""
    return Reply.json(
        200,
        {
            "data": {
                "service": "novu-mock",
                "message": "An in-memory mock of the Novu API. The dashboard is at /_mock/; "
                "Novu's endpoints are under /v1 and /v2 (Authorization: ApiKey <any key>).",
                "dashboard": "/_mock/",
            }
        },
    )


def add_fixtures(req: Request) -> Reply:
    """POST /_mock/fixtures: merge a fixture document (JSON or YAML body)."""
    doc = _fixture_document(req)
    try:
        counts = req.engine.add_fixtures(doc, req.key)
    except FixtureError as exc:
        errors: dict[str, Any] = {}
        for problem in exc.problems:
            _, where, message = [*problem.split(": ", 2), "", ""][:3]
            if where == "apiKeys":
                errors[where] = field_problem([f"apiKeys {message}"], doc[where], True)
                continue
            errors.setdefault(where or "document", {"messages": []})["messages"].append(message)
        raise validation_error(errors) from None
    return Reply.json(201, {"data": counts})


def triggers(req: Request) -> Reply:
    """GET /_mock/triggers, filtered by the query (TRIGGER_FILTERS)."""
    query = req.query()
    filters = {name: query[name] for name in TRIGGER_FILTERS if name in query}
    return Reply.data(200, req.engine.trigger_records(req.key, **filters))


def requests(req: Request) -> Reply:
    """GET /_mock/requests"""
    return Reply.data(200, req.engine.request_records(req.key))


def warnings(req: Request) -> Reply:
    """GET /_mock/warnings: what the mock noticed about its clients (retry loops so far)."""
    return Reply.data(200, req.engine.warnings(req.key))


def state(req: Request) -> Reply:
    """GET /_mock/state: the stores as a fixture document."""
    return Reply.data(200, req.engine.state(req.key))


# -- /_mock/faults ------------------------------------------------------------------------------


def _fault_specs(req: Request) -> list[dict[str, Any]]:
    value = req.raw_json()
    specs = value if isinstance(value, list) else [value]
    problems: list[str] = []
    for i, spec in enumerate(specs):
        fault_problems(spec, f"[{i}]" if isinstance(value, list) else "", problems)
    if problems:
        errors: dict[str, Any] = {}
        for problem in problems:
            where, _, message = problem.partition(": ")
            errors.setdefault(where.lstrip(".") or "fault", field_problem([]))["messages"].append(
                message
            )
        raise validation_error(errors)
    return specs


def post_faults(req: Request) -> Reply:
    """POST /_mock/faults: arm one fault (an object) or several (an array)."""
    return Reply.data(201, _masked(req, req.engine.arm_faults(_fault_specs(req), req.key)))


def get_faults(req: Request) -> Reply:
    """GET /_mock/faults: the armed faults with what remains of their `times`."""
    return Reply.data(200, _masked(req, req.engine.armed_faults(req.key)))


def _masked(req: Request, faults: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Faults as the admin API shows them: `when.apiKey` as its mask (DESIGN section 6)."""
    for fault in faults:
        when = fault.get("when")
        if isinstance(when, dict) and isinstance(when.get("apiKey"), str):
            fault["when"] = {**when, "apiKey": req.engine.masks.of(when["apiKey"])}
    return faults


def delete_faults(req: Request) -> Reply:
    """DELETE /_mock/faults: disarm every fault (of the key's environment, or of all)."""
    req.engine.clear_faults(req.key)
    return Reply.empty(204)


def messages(req: Request) -> Reply:
    """GET /_mock/messages, filtered by subscriberId, channel, workflowId, transactionId."""
    from .._delivery.records import FILTERS, message_records

    query = req.query()
    filters = {name: query[name] for name in FILTERS if name in query}
    return Reply.data(200, message_records(req.engine, req.key, **filters))


def skips(req: Request) -> Reply:
    """GET /_mock/skips: channel steps that made no message, with their reasons."""
    from .._delivery.records import FILTERS, skip_records

    query = req.query()
    filters = {name: query[name] for name in FILTERS if name in query}
    return Reply.data(200, skip_records(req.engine, req.key, **filters))
