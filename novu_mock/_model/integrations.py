"""Integrations of one environment: which provider sends each channel, as Novu keeps them.

The rules follow Novu's API use cases (apps/api/src/app/integrations/usecases/*) and its
integration repository (libs/dal/src/repositories/integration/integration.repository.ts):

- only `email` and `sms` have a primary integration and priorities (`CHANNELS_WITH_PRIMARY`);
- an active email/sms integration created while no active integration of its channel is primary
  becomes the primary; otherwise it takes the primary's priority and the primary moves up one;
- activating one later never makes it primary; deactivating one drops its primary flag and
  priority (so deactivating the primary leaves the channel without one);
- setting one primary activates it, clears its conditions and the old primary's flag;
- deleting one recomputes the priorities of the channel's active integrations, primary untouched.

The methods of `Integrations` are the only way these records change.
"""

from __future__ import annotations

import copy
import itertools
import os
from collections.abc import Iterator, Mapping
from typing import Any

from .values import json_copy

CHANNELS = ("in_app", "email", "sms", "chat", "push")
CHANNELS_WITH_PRIMARY = ("email", "sms")

#: Display names of Novu's providers (packages/shared/src/consts/providers/channels/*.ts), the
#: default `name` of an integration created without one.
PROVIDER_NAMES: dict[str, str] = {
    "novu-email": "Novu Email",
    "mailgun": "Mailgun",
    "mailjet": "Mailjet",
    "mailtrap": "Mailtrap",
    "mandrill": "Mandrill",
    "postmark": "Postmark",
    "sendgrid": "SendGrid",
    "sendinblue": "Sendinblue",
    "ses": "SES",
    "netcore": "Netcore",
    "nodemailer": "Custom SMTP",
    "mailersend": "MailerSend",
    "outlook365": "Microsoft Outlook365",
    "infobip-email": "Infobip",
    "braze": "Braze",
    "resend": "Resend",
    "plunk": "Plunk",
    "sparkpost": "SparkPost",
    "email-webhook": "Email Webhook",
    "novu-sms": "Novu SMS",
    "nexmo": "Nexmo",
    "plivo": "Plivo",
    "sms77": "sms77",
    "sns": "SNS",
    "telnyx": "Telnyx",
    "messagebird": "MessageBird",
    "twilio": "Twilio",
    "gupshup": "Gupshup",
    "firetext": "Firetext",
    "infobip-sms": "Infobip",
    "burst-sms": "BurstSMS",
    "bulk-sms": "BulkSMS",
    "isend-sms": "iSend SMS",
    "clickatell": "clickatell",
    "forty-six-elks": "46elks",
    "kannel": "Kannel SMS",
    "maqsam": "Maqsam",
    "sms-central": "SMS Central",
    "termii": "Termii",
    "africas-talking": "Africa's Talking",
    "sendchamp": "Sendchamp",
    "generic-sms": "Generic SMS",
    "clicksend": "Clicksend",
    "simpletexting": "SimpleTexting",
    "bandwidth": "Bandwidth",
    "azure-sms": "Azure Sms",
    "ring-central": "RingCentral",
    "brevo-sms": "Brevo",
    "eazy-sms": "Eazy",
    "mobishastra": "Mobishastra",
    "slack": "Slack",
    "discord": "Discord",
    "grafana-on-call": "Grafana On Call Webhook",
    "msteams": "MSTeams",
    "mattermost": "Mattermost",
    "ryver": "Ryver",
    "zulip": "Zulip",
    "getstream": "GetStream",
    "rocket-chat": "Rocket.Chat",
    "whatsapp-business": "WhatsApp Business",
    "one-signal": "OneSignal",
    "pushpad": "Pushpad",
    "fcm": "Firebase Cloud Messaging",
    "expo": "Expo Push",
    "apns": "APNs",
    "push-webhook": "Push Webhook",
    "pusher-beams": "Pusher Beams",
    "novu": "Novu Inbox",
}

#: Email and SMS providers whose Novu provider class parses delivery webhooks (it has both
#: `getMessageId` and `parseEventBody`, packages/providers/src/lib/**/*.provider.ts).
WEBHOOK_PROVIDERS = frozenset(
    {
        "sendgrid",
        "mailjet",
        "mandrill",
        "netcore",
        "postmark",
        "ses",
        "sendinblue",
        "plivo",
        "ring-central",
        "telnyx",
        "termii",
        "twilio",
    }
)

#: `CredentialsDto` fields by JSON type (apps/api/src/app/integrations/dtos/credentials.dto.ts).
CREDENTIAL_BOOLEANS = ("secure", "requireTls", "ignoreTls", "hmac", "authenticateByToken")
CREDENTIAL_OBJECTS = ("tlsOptions",)
CREDENTIAL_STRINGS = (
    "apiKey",
    "user",
    "secretKey",
    "domain",
    "password",
    "host",
    "port",
    "region",
    "accountSid",
    "messageProfileId",
    "token",
    "from",
    "senderName",
    "projectName",
    "applicationId",
    "clientId",
    "baseUrl",
    "webhookUrl",
    "redirectUrl",
    "serviceAccount",
    "ipPoolName",
    "apiKeyRequestHeader",
    "secretKeyRequestHeader",
    "idPath",
    "datePath",
    "apiToken",
    "authenticationTokenKey",
    "instanceId",
    "alertUid",
    "title",
    "imageUrl",
    "state",
    "externalLink",
    "channelId",
    "phoneNumberIdentification",
    "accessKey",
)
CREDENTIAL_KEYS = CREDENTIAL_STRINGS + CREDENTIAL_BOOLEANS + CREDENTIAL_OBJECTS

#: What an environment has when no fixture document mentions `integrations`: what a new Novu
#: environment has (Novu Inbox, and Novu's own email and SMS providers as the primaries, see
#: create-novu-integrations.usecase.ts) plus an FCM and a Slack integration, so that every channel
#: step is delivered. The bundled fixtures/default.yaml lists realistic providers instead.
DEFAULT_INTEGRATIONS: tuple[dict[str, Any], ...] = (
    {"identifier": "novu-inbox", "providerId": "novu", "channel": "in_app", "name": "Novu Inbox"},
    {"identifier": "novu-email", "providerId": "novu-email", "channel": "email"},
    {"identifier": "novu-sms", "providerId": "novu-sms", "channel": "sms"},
    {"identifier": "fcm", "providerId": "fcm", "channel": "push"},
    {"identifier": "slack", "providerId": "slack", "channel": "chat"},
)


def object_id() -> str:
    """A random 24-hex-digit id, shaped like MongoDB's ObjectId."""
    return os.urandom(12).hex()


# Creation order for the whole process: Novu's "newest first" (createdAt) without clock ties.
_created = itertools.count(1)


class IdentifierTaken(ValueError):
    """Another integration of the environment already has this identifier."""


class PrimaryNotSupported(ValueError):
    """Only email and sms integrations can be primary."""


def default_name(provider_id: str) -> str:
    """Novu's default name: the provider's display name, else the id capitalised."""
    return PROVIDER_NAMES.get(provider_id) or provider_id[:1].upper() + provider_id[1:]


class Integration:
    """One integration record (Novu's `IntegrationEntity`)."""

    __slots__ = (
        "active",
        "channel",
        "conditions",
        "created",
        "created_at",
        "credentials",
        "environment_id",
        "id",
        "identifier",
        "name",
        "organization_id",
        "primary",
        "priority",
        "provider_id",
        "updated_at",
    )

    def __init__(
        self,
        *,
        environment_id: str,
        organization_id: str,
        provider_id: str,
        channel: str,
        name: str,
        identifier: str,
        credentials: Mapping[str, Any],
        active: bool,
        conditions: list[dict[str, Any]],
        now: str,
    ) -> None:
        self.id = object_id()
        self.environment_id = environment_id
        self.organization_id = organization_id
        self.provider_id = provider_id
        self.channel = channel
        self.name = name
        self.identifier = identifier
        self.credentials: dict[str, Any] = copy.deepcopy(dict(credentials))
        self.active = active
        self.conditions = copy.deepcopy(conditions)
        self.primary = False
        self.priority = 0
        self.created = next(_created)
        self.created_at = now
        self.updated_at = now

    def clone(self, environment_id: str, organization_id: str, now: str) -> Integration:
        """This integration in another environment (a seed's): its own id, environment, place
        in the creation order, stamps and copies of its credentials and conditions."""
        twin = Integration.__new__(Integration)
        for name in Integration.__slots__:
            setattr(twin, name, getattr(self, name))
        twin.id = object_id()
        twin.environment_id = environment_id
        twin.organization_id = organization_id
        twin.credentials = json_copy(self.credentials)
        twin.conditions = json_copy(self.conditions)
        twin.created = next(_created)
        twin.created_at = twin.updated_at = now
        return twin

    def view(self) -> dict[str, Any]:
        """The answer of Novu's API to an API-key caller: credentials are never echoed (an
        empty object, as novu-py 3.19 documents for every integrations operation)."""
        return {
            "_id": self.id,
            "_environmentId": self.environment_id,
            "_organizationId": self.organization_id,
            "name": self.name,
            "identifier": self.identifier,
            "providerId": self.provider_id,
            "channel": self.channel,
            "credentials": {},
            "active": self.active,
            "deleted": False,
            "primary": self.primary,
            "priority": self.priority,
            "conditions": copy.deepcopy(self.conditions),
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
        }

    def to_fixture(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "identifier": self.identifier,
            "providerId": self.provider_id,
            "channel": self.channel,
            "name": self.name,
            "active": self.active,
        }
        if self.channel in CHANNELS_WITH_PRIMARY:
            doc["primary"] = self.primary
        doc["credentials"] = copy.deepcopy(self.credentials)
        if self.conditions:
            doc["conditions"] = copy.deepcopy(self.conditions)
        return doc


class Integrations:
    """The integrations of one environment, in creation order."""

    def __init__(self, environment_id: str, organization_id: str) -> None:
        self.environment_id = environment_id
        self.organization_id = organization_id
        self._items: dict[str, Integration] = {}

    def clone(self, environment_id: str, organization_id: str, now: str) -> Integrations:
        """These integrations (a seed's) in another environment, in the same order."""
        twin = Integrations(environment_id, organization_id)
        for integration in self._items.values():
            copied = integration.clone(environment_id, organization_id, now)
            twin._items[copied.id] = copied
        return twin

    # -- reading ------------------------------------------------------------------------------

    def __iter__(self) -> Iterator[Integration]:
        return iter(list(self._items.values()))

    def __len__(self) -> int:
        return len(self._items)

    def get(self, integration_id: str) -> Integration | None:
        return self._items.get(integration_id)

    def by_identifier(self, identifier: str) -> Integration | None:
        for integration in self._items.values():
            if integration.identifier == identifier:
                return integration
        return None

    def with_provider(self, provider_id: str) -> Integration | None:
        """The first integration of a provider, as Novu's `findOne({providerId})`."""
        for integration in self._items.values():
            if integration.provider_id == provider_id:
                return integration
        return None

    def for_provider(self, channel: str, provider_id: str) -> Integration | None:
        """The newest active integration of a provider (push and chat: the provider of the
        subscriber's channel credentials)."""
        for integration in sorted(self._items.values(), key=lambda i: -i.created):
            if (
                integration.channel == channel
                and integration.active
                and integration.provider_id == provider_id
            ):
                return integration
        return None

    def _active(self, channel: str, exclude: Integration | None = None) -> list[Integration]:
        """Active integrations of a channel, highest priority first (stable on creation)."""
        found = [
            i
            for i in self._items.values()
            if i.channel == channel and i.active and i is not exclude
        ]
        return sorted(found, key=lambda i: -i.priority)

    def select(
        self,
        channel: str,
        *,
        identifier: str | None = None,
        tenant: Mapping[str, Any] | None = None,
    ) -> Integration | None:
        """The integration Novu's worker sends a step with (SelectIntegration, libs/
        application-generic/src/usecases/select-integration): with `identifier` (the trigger's
        `overrides.<channel>.integrationIdentifier`) the newest active one of that identifier;
        else the newest active one of the channel, which must be the primary for email and sms;
        with a tenant, the first active integration whose conditions pass wins instead."""
        newest = sorted(self._items.values(), key=lambda i: -i.created)
        chosen: Integration | None = None
        for integration in newest:
            if integration.channel != channel or not integration.active:
                continue
            if identifier is not None:
                if integration.identifier == identifier:
                    chosen = integration
                    break
            elif channel not in CHANNELS_WITH_PRIMARY or integration.primary:
                chosen = integration
                break
        if identifier is None and tenant is not None:
            for integration in self._items.values():
                if integration.channel != channel or not integration.active:
                    continue
                if integration.conditions and conditions_pass(
                    integration.conditions, {"tenant": tenant}
                ):
                    return integration
        return chosen

    # -- writing ------------------------------------------------------------------------------

    def _check_identifier(self, identifier: str, keep: Integration | None = None) -> None:
        taken = self.by_identifier(identifier)
        if taken is not None and taken is not keep:
            raise IdentifierTaken(identifier)

    def _highest(self, channel: str, exclude: Integration | None = None) -> Integration | None:
        active = self._active(channel, exclude)
        return active[0] if active else None

    def _recalculate(self, channel: str, first: Integration | None = None) -> None:
        """`recalculatePriorityForAllActive`: `first` (if any) then the other active ones by
        priority get len..1."""
        ranked = ([first] if first is not None else []) + self._active(channel, exclude=first)
        for index, integration in enumerate(ranked):
            integration.priority = len(ranked) - index

    def create(
        self,
        *,
        provider_id: str,
        channel: str,
        now: str,
        name: str | None = None,
        identifier: str | None = None,
        credentials: Mapping[str, Any] | None = None,
        active: bool = False,
        conditions: list[dict[str, Any]] | None = None,
    ) -> Integration:
        """create-integration.usecase.ts; IdentifierTaken when `identifier` is in use."""
        if identifier is not None:
            self._check_identifier(identifier)
        name = name if name is not None else default_name(provider_id)
        if identifier is None:
            identifier = f"{_slug(name)}-{object_id()[-9:]}"
        integration = Integration(
            environment_id=self.environment_id,
            organization_id=self.organization_id,
            provider_id=provider_id,
            channel=channel,
            name=name,
            identifier=identifier,
            credentials=credentials or {},
            active=active,
            conditions=conditions or [],
            now=now,
        )
        if active and channel in CHANNELS_WITH_PRIMARY:
            highest = self._highest(channel)
            if highest is not None and highest.primary:
                integration.priority = highest.priority
                highest.priority += 1
            else:
                integration.priority = highest.priority + 1 if highest is not None else 1
                integration.primary = True
        self._items[integration.id] = integration
        return integration

    def update(
        self,
        integration: Integration,
        *,
        now: str,
        name: str | None = None,
        identifier: str | None = None,
        active: bool | None = None,
        credentials: Mapping[str, Any] | None = None,
        conditions: list[dict[str, Any]] | None = None,
    ) -> None:
        """update-integration.usecase.ts (the caller has checked there is something to update)."""
        if identifier is not None and identifier != integration.identifier:
            self._check_identifier(identifier, keep=integration)
            integration.identifier = identifier
        if name:
            integration.name = name
        was_primary = integration.primary
        channel = integration.channel
        if active is not None and active != integration.active:
            if channel in CHANNELS_WITH_PRIMARY:
                if active:
                    highest = self._highest(channel, exclude=integration)
                    if highest is not None and highest.primary:
                        integration.priority = highest.priority
                        highest.priority += 1
                    else:
                        integration.priority = highest.priority + 1 if highest else 1
                else:
                    self._recalculate(channel, first=integration)
                    integration.priority = 0
                    integration.primary = False
            integration.active = active
        elif active is not None:
            integration.active = active
        if credentials is not None:
            integration.credentials = copy.deepcopy(dict(credentials))
        if conditions is not None:
            integration.conditions = copy.deepcopy(conditions)
            if conditions and was_primary:
                # An integration with conditions is chosen by them, never as the primary. (Novu
                # then recomputes priorities with a query that matches nothing: they stay.)
                integration.primary = False
        integration.updated_at = now

    def set_primary(self, integration: Integration, now: str) -> None:
        """set-integration-as-primary.usecase.ts; PrimaryNotSupported for in_app, chat, push."""
        channel = integration.channel
        if channel not in CHANNELS_WITH_PRIMARY:
            raise PrimaryNotSupported(channel)
        if integration.primary:
            return
        for other in self._items.values():
            if other.channel == channel and other.active and other.primary:
                other.primary = False
        integration.active = True
        integration.primary = True
        integration.conditions = []
        self._recalculate(channel, first=integration)
        integration.updated_at = now

    def remove(self, integration: Integration) -> None:
        """remove-integration.usecase.ts: the channel's priorities are recomputed, and no other
        integration becomes primary."""
        del self._items[integration.id]
        if integration.channel in CHANNELS_WITH_PRIMARY:
            self._recalculate(integration.channel)

    def detach(self, integration: Integration) -> None:
        """Take an integration out as it is (it moves to another environment)."""
        del self._items[integration.id]

    def seed(self, spec: Mapping[str, Any], now: str) -> Integration:
        """One fixture item: replaces an integration with the same identifier; an explicit
        `primary: true` makes it the primary of its channel."""
        old = self.by_identifier(spec["identifier"])
        if old is not None:
            self.remove(old)
        active = spec.get("active", True)
        primary = spec.get("primary")
        integration = self.create(
            provider_id=spec["providerId"],
            channel=spec["channel"],
            now=now,
            name=spec.get("name"),
            identifier=spec["identifier"],
            credentials=spec.get("credentials") or {},
            active=active,
            conditions=spec.get("conditions") or [],
        )
        if primary is True and not integration.primary:
            self.set_primary(integration, now)
        elif primary is False and integration.primary:
            integration.primary = False
        return integration


def _slug(name: str) -> str:
    out = "".join(c.lower() if c.isalnum() else "-" for c in name.strip())
    return "-".join(part for part in out.split("-") if part) or "integration"


# -- integration conditions (Novu's step filters, `on: tenant` only) ---------------------------


def _lookup(variables: Mapping[str, Any], path: str) -> Any:
    value: Any = variables
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def _parse(actual: Any, expected: Any) -> Any:
    # libs/application-generic/src/utils/filter.ts parseValue: the filter value takes the type
    # of the actual value.
    if isinstance(actual, bool):
        return expected == "true"
    if isinstance(actual, (int, float)):
        try:
            return float(expected)
        except (TypeError, ValueError):
            return None
    if isinstance(actual, str):
        return str(expected)
    return expected


def _part_passes(part: Mapping[str, Any], variables: Mapping[str, Any]) -> bool:
    on, field = part.get("on"), part.get("field")
    if not isinstance(on, str) or not isinstance(field, str):
        return False
    actual = _lookup(variables, f"{on}.{field}")
    expected = _parse(actual, part.get("value"))
    operator = part.get("operator")
    try:
        if operator == "EQUAL":
            return bool(actual == expected)
        if operator == "NOT_EQUAL":
            return bool(actual != expected)
        if operator == "LARGER":
            return bool(actual > expected)
        if operator == "SMALLER":
            return bool(actual < expected)
        if operator == "LARGER_EQUAL":
            return bool(actual >= expected)
        if operator == "SMALLER_EQUAL":
            return bool(actual <= expected)
        if operator == "IN":
            return expected in actual
        if operator == "NOT_IN":
            return expected not in actual
        if operator == "IS_DEFINED":
            return actual is not None
    except TypeError:
        return False
    return False


def conditions_pass(conditions: list[dict[str, Any]], variables: Mapping[str, Any]) -> bool:
    """ConditionsFilter.filter: passes when any filter passes; a filter without children
    passes; its children combine with AND (default) or OR."""
    for condition in conditions:
        if not isinstance(condition, Mapping):
            continue
        children = condition.get("children") or []
        if not children:
            return True
        results = [isinstance(c, Mapping) and _part_passes(c, variables) for c in children]
        if any(results) if condition.get("value") == "OR" else all(results):
            return True
    return False
