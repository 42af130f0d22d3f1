"""Handlers of Novu's v1 tenants endpoints (contract 9.3), on the store triggers check."""

from __future__ import annotations

from typing import Any

from .._core.errors import NovuError, field_problem
from .._core.http import Reply
from .._core.request import Request
from .._model.environment import Environment
from .listing import Problems, page_and_limit, raise_problems


def tenant_view(env: Environment, tenant: dict[str, Any]) -> dict[str, Any]:
    view: dict[str, Any] = {"_id": tenant["_id"], "identifier": tenant["identifier"]}
    if tenant.get("name") is not None:
        view["name"] = tenant["name"]
    view["data"] = tenant.get("data") or {}
    view["_environmentId"] = env.id
    view["createdAt"] = tenant["createdAt"]
    view["updatedAt"] = tenant["updatedAt"]
    return view


def _missing(env: Environment, identifier: str) -> NovuError:
    return NovuError(
        404, f"Tenant with identifier: {identifier} does not exist under environment {env.id}"
    )


def _exists(env: Environment, identifier: str) -> NovuError:
    return NovuError(
        409, f"Tenant with identifier: {identifier} already exists under environment {env.id}"
    )


def _get(req: Request) -> dict[str, Any]:
    env = req.environment()
    tenant = env.tenants.get(req.params["identifier"])
    if tenant is None:
        raise _missing(env, req.params["identifier"])
    return tenant


def _problems(body: dict[str, Any], required: bool) -> Problems:
    problems: Problems = {}
    for name in ("identifier", "name"):
        value = body.get(name)
        if (value is None or value == "") and required:
            # CreateTenantCommand: @IsString() @IsNotEmpty() (Novu's create-tenant e2e)
            messages = [f"{name} should not be empty"]
            if not isinstance(value, str):
                messages.append(f"{name} must be a string")
            problems[name] = field_problem(messages, value, name in body)
        elif value is not None and not isinstance(value, str):
            problems[name] = field_problem([f"{name} must be a string"], value, True)
    data = body.get("data")
    if data is not None and not isinstance(data, dict):
        problems["data"] = field_problem(["data must be an object"], data, True)
    return problems


def list_tenants(req: Request) -> Reply:
    """GET /v1/tenants: `{page, hasMore, pageSize, data}`, newest first (Novu sorts
    `createdAt: -1`; its get-tenants e2e expects the last created first)."""
    env = req.environment()
    page, limit = page_and_limit(req)
    # Reversed store order breaks ties between tenants created in the same millisecond.
    tenants = sorted(reversed(env.tenants.values()), key=lambda t: t["createdAt"], reverse=True)
    data = [tenant_view(env, t) for t in tenants[page * limit : (page + 1) * limit]]
    has_more = (page + 1) * limit < len(tenants)
    return Reply.json(200, {"page": page, "hasMore": has_more, "pageSize": limit, "data": data})


def create_tenant(req: Request) -> Reply:
    """POST /v1/tenants: 201; an existing identifier is a 409."""
    env = req.environment()
    body = req.json_object()
    raise_problems(_problems(body, required=True))
    identifier = body["identifier"]
    if identifier in env.tenants:
        raise _exists(env, identifier)
    tenant = env.create_tenant({**body, "data": body.get("data") or {}}, req.stamp)
    return Reply.json(201, {"data": tenant_view(env, tenant)})


def get_tenant(req: Request) -> Reply:
    """GET /v1/tenants/{identifier}"""
    return Reply.json(200, {"data": tenant_view(req.environment(), _get(req))})


def update_tenant(req: Request) -> Reply:
    """PATCH /v1/tenants/{identifier}: name, data (replaced) and identifier (renaming onto an
    existing identifier is a 409)."""
    env = req.environment()
    tenant = _get(req)
    body = req.json_object()
    raise_problems(_problems(body, required=False))
    new_identifier = body.get("identifier")
    if new_identifier not in (None, tenant["identifier"]) and new_identifier in env.tenants:
        raise _exists(env, new_identifier)
    env.update_tenant(
        tenant, req.stamp, identifier=new_identifier, name=body.get("name"), data=body.get("data")
    )
    return Reply.json(200, {"data": tenant_view(env, tenant)})


def delete_tenant(req: Request) -> Reply:
    """DELETE /v1/tenants/{identifier}: 204."""
    tenant = _get(req)
    req.environment().remove_tenant(tenant["identifier"])
    return Reply.empty(204)
