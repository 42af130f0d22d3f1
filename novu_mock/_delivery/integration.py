"""Which integration sends a channel step: the environment's, chosen as Novu's worker chooses
(SelectIntegration in libs/application-generic/src/usecases/select-integration, called by
apps/worker/src/app/workflow/usecases/send-message/send-message-*.usecase.ts)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .._model.environment import Environment
    from .._model.integrations import Integration
    from .._model.records import TriggerRecord


def select_integration(env: Environment, record: TriggerRecord, channel: str) -> Integration | None:
    """The trigger's `overrides.<channel>.integrationIdentifier` names one; else the primary
    active one for email and sms, the newest active one for in_app; a trigger with a tenant
    prefers the first active integration whose conditions the tenant passes."""
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
    return env.integrations.select(
        channel,
        identifier=identifier if isinstance(identifier, str) else None,
        tenant=tenant,
    )
