"""The route table, defined once for every transport, and the matcher over it."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import unquote

from .._admin import clock as _clock
from .._admin import dashboard as _dashboard
from .._admin import handlers as _admin
from .._admin import outbox_view as _outbox_view
from .._novu import activity_stats as _activity_stats
from .._novu import events as _events
from .._novu import integrations as _integrations
from .._novu import outbox as _outbox
from .._novu import subscriber_links as _subscriber_links
from .._novu import subscribers as _subscribers
from .._novu import tenants as _tenants
from .._novu import topics as _topics
from .._novu import workflows as _workflows
from .http import Reply
from .request import Request

Handler = Callable[[Request], Reply]
_PARAM = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True, slots=True)
class Route:
    """One endpoint: `admin` routes live under /_mock and are neither authenticated as Novu
    calls nor journaled; `category` and `cost` are Novu's rate-limit assignment (contract 7)."""

    method: str
    template: str
    handler: Handler
    admin: bool = False
    category: str = "global"
    cost: str = "single"
    pattern: re.Pattern[str] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        regex = _PARAM.sub(
            r"(?P<\1>[^/]+)", re.escape(self.template).replace(r"\{", "{").replace(r"\}", "}")
        )
        object.__setattr__(self, "pattern", re.compile(regex + r"\Z"))


def _configuration(method: str, template: str, handler: Handler, cost: str = "single") -> Route:
    """A route of Novu's subscribers, topics or tenants controllers (rate-limit category
    `configuration`)."""
    return Route(method, template, handler, category="configuration", cost=cost)


ROUTES: tuple[Route, ...] = (
    Route("POST", "/v1/events/trigger", _events.trigger, category="trigger"),
    Route("POST", "/v1/events/trigger/bulk", _events.trigger_bulk, category="trigger", cost="bulk"),
    Route(
        "POST",
        "/v1/events/trigger/broadcast",
        _events.trigger_broadcast,
        category="trigger",
        cost="bulk",
    ),
    Route(
        "DELETE", "/v1/events/trigger/{transactionId}", _events.cancel_trigger, category="trigger"
    ),
    _configuration("GET", "/v2/subscribers", _subscribers.search),
    _configuration("POST", "/v2/subscribers", _subscribers.create_v2),
    _configuration("GET", "/v2/subscribers/{subscriberId}", _subscribers.get_v2),
    _configuration("PATCH", "/v2/subscribers/{subscriberId}", _subscribers.patch_v2),
    _configuration("DELETE", "/v2/subscribers/{subscriberId}", _subscribers.delete_v2),
    _configuration(
        "GET", "/v2/subscribers/{subscriberId}/preferences", _subscribers.get_preferences
    ),
    _configuration(
        "PATCH", "/v2/subscribers/{subscriberId}/preferences", _subscribers.patch_preferences
    ),
    _configuration(
        "GET", "/v2/subscribers/{subscriberId}/subscriptions", _topics.subscriber_subscriptions
    ),
    _configuration("GET", "/v1/subscribers", _subscribers.list_v1),
    _configuration("POST", "/v1/subscribers", _subscribers.create_v1),
    _configuration("POST", "/v1/subscribers/bulk", _subscribers.bulk_create, cost="bulk"),
    _configuration("GET", "/v1/subscribers/{subscriberId}", _subscribers.get_v1),
    _configuration("PUT", "/v1/subscribers/{subscriberId}", _subscribers.update_v1),
    _configuration("DELETE", "/v1/subscribers/{subscriberId}", _subscribers.delete_v1),
    _configuration(
        "PUT", "/v1/subscribers/{subscriberId}/credentials", _subscribers.update_credentials
    ),
    _configuration(
        "PATCH", "/v1/subscribers/{subscriberId}/credentials", _subscribers.append_credentials
    ),
    _configuration(
        "DELETE",
        "/v1/subscribers/{subscriberId}/credentials/{providerId}",
        _subscribers.delete_credentials,
    ),
    _configuration("POST", "/v2/topics", _topics.upsert_v2),
    _configuration("GET", "/v2/topics", _topics.list_v2),
    _configuration("GET", "/v2/topics/{topicKey}", _topics.get_v2),
    _configuration("PATCH", "/v2/topics/{topicKey}", _topics.update_v2),
    _configuration("DELETE", "/v2/topics/{topicKey}", _topics.delete_v2),
    _configuration("POST", "/v2/topics/{topicKey}/subscriptions", _topics.subscribe_v2),
    _configuration("DELETE", "/v2/topics/{topicKey}/subscriptions", _topics.unsubscribe_v2),
    _configuration("GET", "/v2/topics/{topicKey}/subscriptions", _topics.list_subscriptions),
    _configuration(
        "GET", "/v2/topics/{topicKey}/subscriptions/{identifier}", _topics.get_subscription
    ),
    _configuration(
        "PATCH", "/v2/topics/{topicKey}/subscriptions/{identifier}", _topics.update_subscription
    ),
    _configuration("POST", "/v1/topics", _topics.create_v1),
    _configuration("GET", "/v1/topics", _topics.list_v1),
    _configuration("GET", "/v1/topics/{topicKey}", _topics.get_v1),
    _configuration("PATCH", "/v1/topics/{topicKey}", _topics.rename_v1),
    _configuration("DELETE", "/v1/topics/{topicKey}", _topics.delete_v1),
    _configuration("POST", "/v1/topics/{topicKey}/subscribers", _topics.add_subscribers_v1),
    _configuration(
        "POST", "/v1/topics/{topicKey}/subscribers/removal", _topics.remove_subscribers_v1
    ),
    _configuration(
        "GET", "/v1/topics/{topicKey}/subscribers/{externalSubscriberId}", _topics.get_subscriber_v1
    ),
    _configuration("GET", "/v1/tenants", _tenants.list_tenants),
    _configuration("POST", "/v1/tenants", _tenants.create_tenant),
    _configuration("GET", "/v1/tenants/{identifier}", _tenants.get_tenant),
    _configuration("PATCH", "/v1/tenants/{identifier}", _tenants.update_tenant),
    _configuration("DELETE", "/v1/tenants/{identifier}", _tenants.delete_tenant),
    # Delivery's read side (DESIGN 9).
    Route("GET", "/v1/messages", _outbox.list_messages),
    Route("DELETE", "/v1/messages/transaction/{transactionId}", _outbox.delete_by_transaction),
    Route("DELETE", "/v1/messages/{messageId}", _outbox.delete_message),
    Route("GET", "/v1/notifications", _outbox.list_notifications),
    Route("GET", "/v1/notifications/{notificationId}", _outbox.get_notification),
    _configuration("GET", "/v1/subscribers/{subscriberId}/notifications/feed", _outbox.feed),
    _configuration(
        "GET", "/v1/subscribers/{subscriberId}/notifications/unseen", _outbox.unseen_count
    ),
    _configuration("POST", "/v1/subscribers/{subscriberId}/messages/mark-as", _outbox.mark_as),
    _configuration("POST", "/v1/subscribers/{subscriberId}/messages/mark-all", _outbox.mark_all),
    _configuration(
        "POST",
        "/v1/subscribers/{subscriberId}/messages/{messageId}/actions/{type}",
        _outbox.message_action,
    ),
    Route("GET", "/v2/workflows", _workflows.list_v2),
    Route("POST", "/v2/workflows", _workflows.create_v2),
    Route("GET", "/v2/workflows/{workflowId}", _workflows.get_v2),
    Route("GET", "/v1/workflows", _workflows.list_v1),
    Route("GET", "/v1/integrations", _integrations.list_integrations),
    Route("POST", "/v1/integrations", _integrations.create_integration),
    Route("GET", "/v1/integrations/active", _integrations.active_integrations),
    Route(
        "GET",
        "/v1/integrations/webhook/provider/{providerOrIntegrationId}/status",
        _integrations.webhook_status,
    ),
    Route("PUT", "/v1/integrations/{integrationId}", _integrations.update_integration),
    Route("DELETE", "/v1/integrations/{integrationId}", _integrations.delete_integration),
    Route("POST", "/v1/integrations/{integrationId}/set-primary", _integrations.set_primary),
    Route("GET", "/v1/notifications/stats", _activity_stats.stats),
    Route("GET", "/v1/notifications/graph/stats", _activity_stats.graph_stats),
    _configuration(
        "PATCH", "/v1/subscribers/{subscriberId}/online-status", _subscriber_links.online_status
    ),
    _configuration(
        "GET",
        "/v1/subscribers/{subscriberId}/credentials/{providerId}/oauth",
        _subscriber_links.chat_oauth,
    ),
    _configuration(
        "GET",
        "/v1/subscribers/{subscriberId}/credentials/{providerId}/oauth/callback",
        _subscriber_links.chat_oauth_callback,
    ),
    Route("GET", "/_mock/health", _admin.health, admin=True),
    Route("POST", "/_mock/reset", _admin.reset, admin=True),
    Route("POST", "/_mock/fixtures", _admin.add_fixtures, admin=True),
    Route("GET", "/_mock/triggers", _admin.triggers, admin=True),
    Route("GET", "/_mock/requests", _admin.requests, admin=True),
    Route("GET", "/_mock/warnings", _admin.warnings, admin=True),
    Route("GET", "/", _admin.root, admin=True),
    Route("GET", "/_mock/state", _admin.state, admin=True),
    Route("GET", "/_mock/messages", _admin.messages, admin=True),
    Route("GET", "/_mock/skips", _admin.skips, admin=True),
    Route("POST", "/_mock/faults", _admin.post_faults, admin=True),
    Route("GET", "/_mock/faults", _admin.get_faults, admin=True),
    Route("DELETE", "/_mock/faults", _admin.delete_faults, admin=True),
    Route("GET", "/_mock/clock", _clock.get_clock, admin=True),
    Route("POST", "/_mock/clock", _clock.post_clock, admin=True),
    # The dashboard (issue 8): the page at /_mock/ (normalised to /_mock) and its queries.
    Route("GET", "/_mock", _dashboard.page, admin=True),
    Route("GET", "/_mock/dashboard/assets/{name}", _dashboard.asset, admin=True),
    Route("GET", "/_mock/dashboard/version", _dashboard.version, admin=True),
    Route("GET", "/_mock/dashboard/triggers", _dashboard.triggers, admin=True),
    Route("GET", "/_mock/dashboard/triggers/{seq}", _dashboard.trigger, admin=True),
    Route("GET", "/_mock/dashboard/subscribers", _dashboard.subscribers, admin=True),
    Route("GET", "/_mock/dashboard/outbox", _outbox_view.outbox, admin=True),
    Route("GET", "/_mock/dashboard/messages/{messageId}/html", _outbox_view.email_html, admin=True),
)


class Router:
    """Finds the route of a method and a normalised path; static paths by dictionary."""

    def __init__(self, routes: Iterable[Route]) -> None:
        self.routes = tuple(routes)
        self._static: dict[tuple[str, str], Route] = {}
        self._dynamic: list[Route] = []
        for route in self.routes:
            if "{" in route.template:
                self._dynamic.append(route)
            else:
                self._static[(route.method, route.template)] = route

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        route = self._static.get((method, path))
        if route is not None:
            return route, {}
        for route in self._dynamic:
            if route.method == method:
                found = route.pattern.match(path)
                if found:
                    # Express decodes route parameters (`user%401` is `user@1`).
                    return route, {k: unquote(v) for k, v in found.groupdict().items()}
        return None


def normalise(path: str) -> str:
    """Collapse repeated slashes (SDKs with a trailing-slash base URL send `//v1/...`) and drop
    a trailing slash, as Express's non-strict routing does."""
    if "//" in path:
        path = re.sub("/{2,}", "/", path)
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/") or "/"
    return path
