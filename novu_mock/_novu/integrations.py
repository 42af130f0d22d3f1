"""Handlers of Novu's v1 integrations endpoints (apps/api/src/app/integrations/).

Validation follows the request DTOs (class-validator messages, answered as the 422
`ValidationErrorDto` of contract D1); the rules and error texts follow the use cases, see
`_model/integrations.py`. Credentials are kept (fixtures, `/_mock/state`) but never echoed:
every answer carries `credentials: {}`, as Novu answers API-key callers.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .._core.errors import NovuError, field_problem
from .._core.http import Reply
from .._core.request import Request
from .._model.environment import Environment
from .._model.integrations import (
    CHANNELS,
    CREDENTIAL_BOOLEANS,
    CREDENTIAL_OBJECTS,
    CREDENTIAL_STRINGS,
    PROVIDER_NAMES,
    WEBHOOK_PROVIDERS,
    IdentifierTaken,
    Integration,
    Integrations,
    PrimaryNotSupported,
)
from .listing import Problems, raise_problems

_MONGO_ID = re.compile(r"^[0-9a-fA-F]{24}$")
# TransformToBoolean on these three turns the strings "true" / "false" into booleans first.
_TRANSFORMED = ("secure", "requireTls", "ignoreTls")
_IDENTIFIER_TAKEN = "Integration with identifier already exists"


def _add(problems: Problems, name: str, message: str, value: Any, present: bool) -> None:
    entry = problems.get(name)
    if entry is None:
        problems[name] = field_problem([message], value, present)
    else:
        entry["messages"].append(message)


def _optional(problems: Problems, body: dict[str, Any], name: str, kind: str) -> None:
    value = body.get(name)
    if value is None:
        return
    if kind == "string" and not isinstance(value, str):
        _add(problems, name, f"{name} must be a string", value, True)
    elif kind == "boolean" and not isinstance(value, bool):
        _add(problems, name, f"{name} must be a boolean value", value, True)
    elif kind == "mongo" and not (isinstance(value, str) and _MONGO_ID.match(value)):
        _add(problems, name, f"{name} must be a mongodb id", value, True)


def _credentials(problems: Problems, body: dict[str, Any]) -> dict[str, Any] | None:
    """`CredentialsDto` nested under `credentials`; the transformed value (or None)."""
    value = body.get("credentials")
    if value is None:
        return None
    if not isinstance(value, dict):
        _add(
            problems,
            "credentials",
            "nested property credentials must be either object or array",
            value,
            True,
        )
        return None
    out = dict(value)
    for key, item in value.items():
        if item is None:
            continue
        where = f"credentials.{key}"
        if key in CREDENTIAL_STRINGS and not isinstance(item, str):
            _add(problems, where, f"{where} must be a string", item, True)
        elif key in CREDENTIAL_BOOLEANS:
            if key in _TRANSFORMED and item in ("true", "false"):
                out[key] = item == "true"
            elif not isinstance(item, bool):
                _add(problems, where, f"{where} must be a boolean value", item, True)
        elif key in CREDENTIAL_OBJECTS and not isinstance(item, dict):
            _add(problems, where, f"{where} must be an object", item, True)
    return out


def _conditions(problems: Problems, body: dict[str, Any]) -> None:
    value = body.get("conditions")
    if value is None:
        return
    if not isinstance(value, list):
        _add(problems, "conditions", "conditions must be an array", value, True)
        return
    if any(not isinstance(item, dict) for item in value):
        _add(
            problems,
            "conditions",
            "each value in nested property conditions must be either object or array",
            value,
            True,
        )


def _cast_problem(conditions: list[Any]) -> str | None:
    """What Mongoose refuses when it casts `conditions` to the integration schema."""
    for index, condition in enumerate(conditions):
        children = condition.get("children")
        if children is None:
            continue
        items = children if isinstance(children, list) else [children]
        for item in items:
            if not isinstance(item, dict):
                shown = json.dumps(item, ensure_ascii=False)
                kind = "string" if isinstance(item, str) else type(item).__name__
                return (
                    f"conditions.{index}.children: Cast to embedded failed for value {shown} "
                    f'(type {kind}) at path "children"'
                )
    return None


def _body_problems(body: dict[str, Any], create: bool) -> tuple[Problems, dict[str, Any] | None]:
    problems: Problems = {}
    for name in ("name", "identifier"):
        _optional(problems, body, name, "string")
    _optional(problems, body, "_environmentId", "mongo")
    if create:
        provider = body.get("providerId")
        if provider is None:
            present = "providerId" in body
            missing = "providerId should not be null or undefined"
            _add(problems, "providerId", missing, None, present)
            _add(problems, "providerId", "providerId must be a string", None, present)
        elif not isinstance(provider, str):
            _add(problems, "providerId", "providerId must be a string", provider, True)
        channel = body.get("channel")
        enum = f"channel must be one of the following values: {', '.join(CHANNELS)}"
        if channel is None:
            present = "channel" in body
            _add(problems, "channel", "channel should not be null or undefined", None, present)
            _add(problems, "channel", enum, None, present)
        elif channel not in CHANNELS:
            _add(problems, "channel", enum, channel, True)
    credentials = _credentials(problems, body)
    names = ("active", "check") if create else ("active", "removeNovuBranding", "check")
    for name in names:
        _optional(problems, body, name, "boolean")
    _conditions(problems, body)
    return problems, credentials


def _target(env: Environment, environment_id: Any) -> Integrations | None:
    """The store `_environmentId` names: the caller's own by default; None for any other id,
    where Novu would keep the integration and this environment no longer sees it."""
    if environment_id is None or environment_id == env.id:
        return env.integrations
    return None


def _find(req: Request, message: str) -> tuple[Environment, Integration]:
    env = req.environment()
    integration_id = req.params["integrationId"]
    integration = env.integrations.get(integration_id)
    if integration is None:
        raise NovuError(404, message.format(integration_id))
    return env, integration


def list_integrations(req: Request) -> Reply:
    """GET /v1/integrations: every integration of the environment, oldest first."""
    env = req.environment()
    return Reply.json(200, {"data": [i.view() for i in env.integrations]})


def active_integrations(req: Request) -> Reply:
    """GET /v1/integrations/active"""
    env = req.environment()
    return Reply.json(200, {"data": [i.view() for i in env.integrations if i.active]})


def create_integration(req: Request) -> Reply:
    """POST /v1/integrations: 201. `active` defaults to false; Novu's email check of the
    provider's credentials (`check`) is not run: the mock reaches no provider."""
    env = req.environment()
    body = req.json_object()
    problems, credentials = _body_problems(body, create=True)
    raise_problems(problems)
    cast = _cast_problem(body.get("conditions") or [])
    if cast is not None:
        raise NovuError(400, f"Integration validation failed: {cast}")
    provider, channel = body["providerId"], body["channel"]
    store = _target(env, body.get("_environmentId"))
    existing = store if store is not None else Integrations(env.id, env.organization_id)
    same = [i for i in existing if i.provider_id == provider and i.channel == channel]
    if same and provider == "novu" and channel == "in_app":
        raise NovuError(400, "One environment can only have one In app provider")
    if provider in ("novu-email", "novu-sms") and same:
        raise NovuError(409, f"Integration with novu provider for {channel} channel already exists")
    identifier = body.get("identifier")
    if store is None:
        # No environment of this mock has that id: Novu keeps it there, nobody here sees it.
        store = Integrations(body["_environmentId"], env.organization_id)
    try:
        integration = store.create(
            provider_id=provider,
            channel=channel,
            now=req.stamp,
            name=body.get("name"),
            identifier=identifier,
            credentials=credentials,
            active=bool(body.get("active", False)),
            conditions=body.get("conditions"),
        )
    except IdentifierTaken:
        raise NovuError(409, _IDENTIFIER_TAKEN) from None
    return Reply.json(201, {"data": integration.view()})


def update_integration(req: Request) -> Reply:
    """PUT /v1/integrations/{integrationId}"""
    body = req.json_object()
    problems, credentials = _body_problems(body, create=False)
    raise_problems(problems)
    env, integration = _find(req, "Entity with id {} not found")
    identifier: str | None = body.get("identifier")
    renamed = bool(identifier) and identifier != integration.identifier
    if renamed and identifier and env.integrations.by_identifier(identifier) is not None:
        raise NovuError(409, _IDENTIFIER_TAKEN)
    conditions = body.get("conditions")
    moved = body.get("_environmentId")
    changes = [
        bool(body.get("name")),
        renamed,
        bool(moved),
        body.get("active") is not None,
        credentials is not None,
        conditions is not None,
    ]
    if not any(changes):
        raise NovuError(400, "No properties found for update")
    if conditions is not None:
        cast = _cast_problem(conditions)
        if cast is not None:
            raise NovuError(400, cast.split(": ", 1)[1])
    try:
        env.integrations.update(
            integration,
            now=req.stamp,
            name=body.get("name") or None,
            identifier=identifier or None,
            active=body.get("active"),
            credentials=credentials,
            conditions=conditions,
        )
    except IdentifierTaken:
        raise NovuError(409, _IDENTIFIER_TAKEN) from None
    view = integration.view()
    if moved and moved != env.id:
        # Novu moves it to that environment; the caller's environment no longer lists it.
        env.integrations.detach(integration)
        integration.environment_id = moved
        view = integration.view()
    return Reply.json(200, {"data": view})


def set_primary(req: Request) -> Reply:
    """POST /v1/integrations/{integrationId}/set-primary"""
    env, integration = _find(req, "Integration with id {} not found")
    try:
        env.integrations.set_primary(integration, req.stamp)
    except PrimaryNotSupported:
        raise NovuError(400, f"Channel {integration.channel} does not support primary") from None
    return Reply.json(200, {"data": integration.view()})


def delete_integration(req: Request) -> Reply:
    """DELETE /v1/integrations/{integrationId}: 200 with the environment's remaining ones."""
    env, integration = _find(req, "Entity with id {} not found")
    env.integrations.remove(integration)
    return Reply.json(200, {"data": [i.view() for i in env.integrations]})


def webhook_status(req: Request) -> Reply:
    """GET /v1/integrations/webhook/provider/{providerOrIntegrationId}/status: whether Novu can
    parse the provider's delivery webhooks (get-webhook-support-status.usecase.ts)."""
    env = req.environment()
    key = req.params["providerOrIntegrationId"]
    if key in PROVIDER_NAMES:
        integration = env.integrations.with_provider(key)
    else:
        integration = env.integrations.get(key)
    if integration is None:
        raise NovuError(404, f"Integration for {key} was not found")
    if not integration.credentials:
        raise NovuError(400, f"Integration {integration.id} doesn't have credentials set up")
    if integration.channel not in ("email", "sms"):
        raise NovuError(
            400,
            f"Webhook for {integration.provider_id}-{integration.channel} is not supported yet",
        )
    if integration.provider_id not in PROVIDER_NAMES:
        raise NovuError(404, f"Handler for integration of {integration.provider_id} was not found")
    return Reply.json(200, {"data": integration.provider_id in WEBHOOK_PROVIDERS})
