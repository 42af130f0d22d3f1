"""Which integration sends a channel step: the environment's, chosen as Novu's worker chooses
(SelectIntegration in libs/application-generic/src/usecases/select-integration, called by
apps/worker/src/app/workflow/usecases/send-message/send-message-*.usecase.ts)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .._model.environment import Environment
    from .._model.integrations import Integration
    from .._model.records import TriggerRecord


def _inputs(
    env: Environment, record: TriggerRecord, channel: str
) -> tuple[str | None, dict[str, Any] | None]:
    """What the choice depends on besides the environment's integrations: the trigger's
    `overrides.<channel>.integrationIdentifier` and its tenant (the stored one, `{}` for one
    the environment does not have, None without a tenant)."""
    overrides = record.overrides if isinstance(record.overrides, dict) else {}
    channel_overrides = overrides.get(channel)
    identifier: Any = None
    if isinstance(channel_overrides, dict):
        identifier = channel_overrides.get("integrationIdentifier")
    tenant: dict[str, Any] | None = None
    sent = record.tenant
    tenant_id = sent.get("identifier") if isinstance(sent, dict) else sent
    if tenant_id:
        tenant = env.tenants.get(tenant_id) if isinstance(tenant_id, str) else None
        tenant = tenant or {}
    return (identifier if isinstance(identifier, str) else None), tenant


def select_integration(env: Environment, record: TriggerRecord, channel: str) -> Integration | None:
    """The trigger's `overrides.<channel>.integrationIdentifier` names one; else the primary
    active one for email and sms, the newest active one for in_app; a trigger with a tenant
    prefers the first active integration whose conditions the tenant passes."""
    identifier, tenant = _inputs(env, record, channel)
    return env.integrations.select(channel, identifier=identifier, tenant=tenant)


_UNKNOWN_TENANT = object()  # a tenant id the environment does not have (selects with `{}`)


class Selections:
    """`select_integration` and `Integrations.for_provider` remembered for one flush, by what
    they depend on: integrations and tenants cannot change while a flush runs (a call that
    changes them runs the queue first), and a bulk's runs ask the same question hundreds of
    times (each answer is a sort of the environment's integrations)."""

    __slots__ = ("_env", "_found", "_plain", "_providers")

    def __init__(self, env: Environment) -> None:
        self._env = env
        self._plain: dict[str, Integration | None] = {}
        self._found: dict[tuple[str, str | None, Any], Integration | None] = {}
        self._providers: dict[tuple[str, str], Integration | None] = {}

    def select(self, record: TriggerRecord, channel: str) -> Integration | None:
        if not record.overrides and not record.tenant:  # most triggers: the channel decides
            try:
                return self._plain[channel]
            except KeyError:
                found = self._plain[channel] = self._env.integrations.select(channel)
                return found
        identifier, tenant = _inputs(self._env, record, channel)
        tenant_key: Any = None
        if tenant is not None:
            tenant_key = tenant.get("identifier", _UNKNOWN_TENANT) if tenant else _UNKNOWN_TENANT
        key = (channel, identifier, tenant_key)
        try:
            return self._found[key]
        except KeyError:
            found = self._found[key] = self._env.integrations.select(
                channel, identifier=identifier, tenant=tenant
            )
            return found

    def for_provider(self, channel: str, provider_id: str) -> Integration | None:
        key = (channel, provider_id)
        try:
            return self._providers[key]
        except KeyError:
            found = self._providers[key] = self._env.integrations.for_provider(channel, provider_id)
            return found
