"""The route table, defined once for every transport, and the matcher over it."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from . import _admin, _events, _faults
from ._http import Reply
from ._request import Request

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
        regex = _PARAM.sub(r"(?P<\1>[^/]+)", re.escape(self.template).replace(r"\{", "{").replace(r"\}", "}"))
        object.__setattr__(self, "pattern", re.compile(regex + r"\Z"))


ROUTES: tuple[Route, ...] = (
    Route("POST", "/v1/events/trigger", _events.trigger, category="trigger"),
    Route("POST", "/v1/events/trigger/bulk", _events.trigger_bulk, category="trigger", cost="bulk"),
    Route(
        "POST", "/v1/events/trigger/broadcast", _events.trigger_broadcast,
        category="trigger", cost="bulk",
    ),
    Route("DELETE", "/v1/events/trigger/{transactionId}", _events.cancel_trigger, category="trigger"),
    Route("GET", "/_mock/health", _admin.health, admin=True),
    Route("POST", "/_mock/reset", _admin.reset, admin=True),
    Route("POST", "/_mock/fixtures", _admin.add_fixtures, admin=True),
    Route("GET", "/_mock/triggers", _admin.triggers, admin=True),
    Route("GET", "/_mock/requests", _admin.requests, admin=True),
    Route("GET", "/_mock/state", _admin.state, admin=True),
    Route("POST", "/_mock/faults", _faults.post_faults, admin=True),
    Route("GET", "/_mock/faults", _faults.get_faults, admin=True),
    Route("DELETE", "/_mock/faults", _faults.delete_faults, admin=True),
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
                    return route, found.groupdict()
        return None


def normalise(path: str) -> str:
    """Collapse repeated slashes (SDKs with a trailing-slash base URL send `//v1/...`) and drop
    a trailing slash, as Express's non-strict routing does."""
    if "//" in path:
        path = re.sub("/{2,}", "/", path)
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/") or "/"
    return path
