"""`NovuMock`: the Python face of the engine for tests (DESIGN section 7)."""

from __future__ import annotations

import functools
import inspect
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from .._fixtures import load
from .._model.clock import Clock

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from .._core.engine import Engine, FixtureInput
    from .._transports.respx import NovuRouter
    from .._transports.server import MockServer
    from .clock import MockClock

# The assertion helpers, the clock and the engine load on first use, so that a test that takes
# the fixture and sends nothing imports none of them (each is imported once per process).

F = TypeVar("F", bound=Callable[..., Any])

# _core.engine's DEFAULT_MAX_ENVIRONMENTS, written out so that this module does not import the
# engine (tests/test_mock_api.py checks that the two agree).
DEFAULT_MAX_ENVIRONMENTS = 10_000

_building = threading.Lock()  # one engine per mock, also when two threads first use it at once


class _Interception:
    """What `NovuMock.intercept()` returns: a context manager (sync and async) and a decorator
    (sync and async functions). Re-entrant: each entry starts its own router."""

    def __init__(self, mock: NovuMock, base_urls: Sequence[str], strict: bool) -> None:
        self._mock = mock
        self._base_urls = base_urls
        self._strict = strict
        self._routers: list[NovuRouter] = []

    def __enter__(self) -> NovuMock:
        from .._transports.respx import NovuRouter

        mock = self._mock
        # The engine is handed over on the first request, so an interception that sees none
        # never builds it (see NovuMock.engine).
        active = NovuRouter(lambda: mock.engine, (*mock.base_urls, *self._base_urls), self._strict)
        active.start()
        self._routers.append(active)
        return self._mock

    def __exit__(self, *exc: object) -> None:
        self._routers.pop().stop()

    @property
    def router(self) -> NovuRouter:
        """The innermost active entry's router."""
        return self._routers[-1]

    async def __aenter__(self) -> NovuMock:
        return self.__enter__()

    async def __aexit__(self, *exc: object) -> None:
        self.__exit__()

    def __call__(self, func: F) -> F:
        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                with self:
                    return await func(*args, **kwargs)

            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self:
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class NovuMock:
    """An in-memory Novu: fixtures in, recorded triggers out.

    `fixtures` takes paths (YAML or JSON) and fixture documents alike; `api_keys` limits the
    accepted keys (default: any key, one environment each); `base_urls` adds hosts to intercept
    besides https://api.novu.co and https://eu.api.novu.co. `clock`: "virtual" (the default:
    time stands still until `mock.clock.advance()`), "real" (the wall clock), or a `Clock`.
    `journal_limit` keeps each environment's newest N trigger and request records;
    `max_environments` how many environments (the least recently used one goes).
    """

    def __init__(
        self,
        fixtures: Iterable[FixtureInput] | FixtureInput = (),
        api_keys: Iterable[str] | None = None,
        base_urls: Iterable[str] | None = None,
        *,
        clock: Clock | str = "virtual",
        journal_limit: int | None = None,
        max_environments: int | None = DEFAULT_MAX_ENVIRONMENTS,
    ) -> None:
        if isinstance(fixtures, (str, os.PathLike, Mapping)):
            fixtures = [fixtures]
        fixtures = list(fixtures)
        self._engine: Engine | None = None
        self._engine_args = (
            fixtures,
            None if api_keys is None else tuple(api_keys),
            clock if isinstance(clock, Clock) else Clock.of_mode(clock),
            journal_limit,
            max_environments,
        )
        # A test that never calls Novu needs no engine: with only fixture files (what the
        # pytest plugin passes) it is built on first use. The files are loaded and checked
        # now (once per file version, see _fixtures.load), so a fixture error still fails here;
        # documents (dicts, which the caller may change afterwards) and non-default limits
        # (checked by Engine) build it at once, as before.
        lazy = journal_limit is None and max_environments == DEFAULT_MAX_ENVIRONMENTS
        if lazy and all(isinstance(f, (str, os.PathLike)) for f in fixtures):
            self._documents: tuple[Mapping[str, Any], ...] = tuple(
                f.document for f in load(fixtures)
            )
        else:
            self._documents = self.engine.documents
        self._clock: MockClock | None = None
        self.base_urls: tuple[str, ...] = (
            (base_urls,) if isinstance(base_urls, str) else tuple(base_urls or ())
        )
        self._app: Starlette | None = None
        # Faults and outcomes armed from Python (or a test's marker), for `unused()`.
        self._armed: list[tuple[str, dict[str, Any]]] = []

    @property
    def engine(self) -> Engine:
        """The engine behind this mock (built on first use)."""
        engine = self._engine
        if engine is None:
            with _building:
                if self._engine is None:
                    from .._core.engine import Engine

                    fixtures, api_keys, clock, journal_limit, max_environments = self._engine_args
                    self._engine = Engine(
                        fixtures,
                        api_keys,
                        clock,
                        journal_limit=journal_limit,
                        max_environments=max_environments,
                    )
                engine = self._engine
        return engine

    @property
    def clock(self) -> MockClock:
        """The mock's clock: `now()`, `advance(...)`, `set(...)`, `pending`, `pending_jobs`."""
        if self._clock is None:
            from .clock import MockClock

            self._clock = MockClock(self.engine)
        return self._clock

    @property
    def app(self) -> Starlette:
        """The ASGI (Starlette) app over this mock's engine."""
        if self._app is None:
            from .._transports.asgi import create_app

            self._app = create_app(self.engine)
        return self._app

    def intercept(self, base_urls: Iterable[str] = (), *, strict: bool = False) -> _Interception:
        """Route httpx calls for Novu's hosts (and `base_urls`) here, in-process.

        A context manager (`with`, `async with`) and a decorator of sync and async functions.
        A base URL is what the SDK is given as `server_url` (no `/v1`); it may have a path
        prefix. A Novu API path on any other (non-loopback) host raises `UnmatchedNovuRequest`
        naming the intercepted base URLs; other requests pass through to the network unless
        `strict`, where they raise respx's `AllMockedAssertionError`. A call retried more than
        3 times under an armed fault or rate limit raises `RetryLoopError`."""
        extra = (base_urls,) if isinstance(base_urls, str) else tuple(base_urls)
        return _Interception(self, extra, strict)

    @contextmanager
    def serve(self, host: str = "127.0.0.1", port: int = 0) -> Iterator[MockServer]:
        """Run a live HTTP server over this mock (same state) for non-httpx clients."""
        from .._transports.server import MockServer

        server = MockServer(self, host, port)
        server.start()
        try:
            yield server
        finally:
            server.stop()

    # -- what was received ------------------------------------------------------------------

    @property
    def triggers(self) -> list[dict[str, Any]]:
        """TriggerRecord dicts of every environment, oldest first."""
        return self.engine.trigger_records()

    @property
    def requests(self) -> list[dict[str, Any]]:
        """RequestRecord dicts of every Novu call, oldest first."""
        return self.engine.request_records()

    @property
    def messages(self) -> list[dict[str, Any]]:
        """Messages every subscriber would have received (DESIGN 9), oldest first."""
        from .._delivery.records import message_records

        return message_records(self.engine)

    @property
    def skips(self) -> list[dict[str, Any]]:
        """Channel steps that made no message, with `reason` (`condition`, `preference`,
        `no_integration`, `no_address`) and Novu's `detail`, oldest first."""
        from .._delivery.records import skip_records

        return skip_records(self.engine)

    def assert_notified(
        self,
        subscriber_id: str,
        *,
        channel: str | None = None,
        workflow_id: str | None = None,
        subject: str | None = None,
        content: str | None = None,
        contains: str | None = None,
        times: int | None = None,
    ) -> None:
        """Fail unless a message to `subscriber_id` matches every filter given (`times`: exactly
        so many). `subject`/`content` match the rendered text exactly; `contains` is a substring
        of either. The AssertionError lists the nearest messages, how each differed, and the
        skipped steps that explain an absence."""
        __tracebackhide__ = True
        from .notified import MessageExpectation

        expectation = MessageExpectation(
            subscriber_id,
            channel=channel,
            workflow_id=workflow_id,
            subject=subject,
            content=content,
            contains=contains,
        )
        from .notified import check_notified

        check_notified(self.messages, self.skips, expectation, times)

    def assert_not_notified(
        self,
        subscriber_id: str,
        *,
        channel: str | None = None,
        workflow_id: str | None = None,
        subject: str | None = None,
        content: str | None = None,
        contains: str | None = None,
    ) -> None:
        """Fail if any message to `subscriber_id` matches every filter given."""
        __tracebackhide__ = True
        from .notified import MessageExpectation

        expectation = MessageExpectation(
            subscriber_id,
            channel=channel,
            workflow_id=workflow_id,
            subject=subject,
            content=content,
            contains=contains,
        )
        from .notified import check_not_notified

        check_not_notified(self.messages, expectation)

    def reset(self) -> None:
        """Back to the loaded fixtures; journals emptied."""
        self.engine.reset()

    def assert_triggered(
        self,
        workflow_id: str,
        *,
        to: str | Sequence[str] | None = None,
        payload: dict[str, Any] | None = None,
        tenant: str | None = None,
        actor: str | None = None,
        status: str | None = None,
        transaction_id: str | None = None,
        times: int | None = None,
    ) -> None:
        """Fail unless a recorded trigger matches every filter given (`times`: exactly so many).

        `to` (an id or ids): each was a recipient after topic fan-out, or a subscriberId in `to`
        as sent. `payload`: a subset, nested. `tenant`/`actor`: the identifier/subscriberId.
        The AssertionError lists the closest recorded triggers and how each one differed.
        """
        __tracebackhide__ = True
        from .assertions import Expectation

        expectation = Expectation(
            workflow_id,
            to=to,
            payload=payload,
            tenant=tenant,
            actor=actor,
            status=status,
            transaction_id=transaction_id,
        )
        from .assertions import check_triggered

        check_triggered(self.triggers, expectation, times)

    def assert_not_triggered(
        self,
        workflow_id: str,
        *,
        to: str | Sequence[str] | None = None,
        payload: dict[str, Any] | None = None,
        tenant: str | None = None,
        actor: str | None = None,
        status: str | None = None,
        transaction_id: str | None = None,
    ) -> None:
        """Fail if any recorded trigger matches every filter given (as `assert_triggered`)."""
        __tracebackhide__ = True
        from .assertions import Expectation

        expectation = Expectation(
            workflow_id,
            to=to,
            payload=payload,
            tenant=tenant,
            actor=actor,
            status=status,
            transaction_id=transaction_id,
        )
        from .assertions import check_not_triggered

        check_not_triggered(self.triggers, expectation)

    # -- state from a test ------------------------------------------------------------------

    def add_fixtures(self, document: dict[str, Any]) -> None:
        """Merge a fixture document into every environment (kept across resets)."""
        self.engine.add_fixtures(document)

    def add_workflow(self, workflow_id: str, **spec: Any) -> None:
        """Add a workflow: `name`, `active`, `steps`, `tenantOverrides`, `payloadSchema`."""
        self.add_fixtures({"workflows": [{"workflowId": workflow_id, **spec}]})

    def add_subscriber(self, subscriber_id: str, **fields: Any) -> None:
        """Add a subscriber: `email`, `firstName`, `lastName`, `phone`, `data`, ..."""
        self.add_fixtures({"subscribers": [{"subscriberId": subscriber_id, **fields}]})

    def add_tenant(self, identifier: str, **fields: Any) -> None:
        """Add a tenant: `name`, `data`."""
        self.add_fixtures({"tenants": [{"identifier": identifier, **fields}]})

    def add_topic(self, key: str, subscribers: Sequence[str] = (), **fields: Any) -> None:
        """Add a topic with member subscriberIds: `name`."""
        self.add_fixtures({"topics": [{"key": key, "subscribers": list(subscribers), **fields}]})

    # -- failures on demand (README "Testing failure handling") -----------------------------

    def add_fault(self, fault: Mapping[str, Any], *, api_key: str | None = None) -> dict[str, Any]:
        """Arm a fault, in the format of the fixtures' `faults:` list, for every environment (or
        the one of `api_key`); returns it with its `id`. FixtureError when it is invalid."""
        armed = self.engine.arm_faults([fault], api_key)[0]
        self._armed.append(("fault", dict(fault)))
        return armed

    def fail_next(
        self,
        status: int = 503,
        *,
        times: int = 1,
        method: str | None = None,
        path: str | None = None,
        workflow_id: str | None = None,
        api_key: str | None = None,
        message: str | None = None,
        retry_after: float | None = None,
    ) -> dict[str, Any]:
        """Answer the next `times` matching Novu calls with `status` in Novu's error shape."""
        when = {"method": method, "path": path, "workflowId": workflow_id, "apiKey": api_key}
        fault = {"status": status, "times": times, "message": message, "retryAfter": retry_after}
        fault = {k: v for k, v in fault.items() if v is not None}
        return self.add_fault({**fault, "when": {k: v for k, v in when.items() if v is not None}})

    def clear_faults(self) -> None:
        """Disarm every fault (a reset arms the fixtures' faults again)."""
        self.engine.clear_faults()
        self._armed = [a for a in self._armed if a[0] != "fault"]

    def add_outcome(
        self,
        status: str,
        *,
        workflow_id: str | None = None,
        subscriber_id: str | None = None,
        tenant: str | None = None,
        transaction_id: str | None = None,
        error: Sequence[str] | None = None,
        api_key: str | None = None,
    ) -> dict[str, Any]:
        """Force the trigger status of matching events (the fixtures' `outcomes:`), e.g.
        `add_outcome("no_tenant_found", workflow_id="welcome")`: answered 201 in place, with a
        transactionId and `error` when given; any documented status, `subscriber_id_missing`
        included. Every filter given must match; none matches every trigger (not broadcasts).
        For every environment, or the one of `api_key`. Returns the outcome as stored."""
        when = {
            "workflowId": workflow_id,
            "subscriberId": subscriber_id,
            "tenant": tenant,
            "transactionId": transaction_id,
        }
        outcome: dict[str, Any] = {
            "when": {k: v for k, v in when.items() if v is not None},
            "status": status,
        }
        if error is not None:
            outcome["error"] = list(error)
        self.engine.add_fixtures({"outcomes": [outcome]}, api_key)
        self._armed.append(("outcome", outcome))
        return outcome

    def unused(self) -> list[str]:
        """The faults and forced outcomes armed from Python (`add_fault`, `fail_next`,
        `add_outcome`, a test's marker fixtures) that no request has met yet, described."""
        if not self._armed:
            return []  # most tests arm nothing: no import, no lock
        from .._policies.faults import spec_key

        # An engine never built met no request: everything armed is unused.
        fired, hits = self.engine.usage() if self._engine is not None else ({}, {})
        out = []
        for kind, spec in self._armed:
            used = fired if kind == "fault" else hits
            if not used.get(spec_key(spec)):
                out.append(f"{kind} {spec_key(spec)}")
        return out

    def set_rate_limits(self, limits: Mapping[str, float], *, api_key: str | None = None) -> None:
        """Requests per second by category (`trigger`, `configuration`, `global`), as the
        fixtures' `rateLimits`; for every environment, or the one of `api_key`."""
        self.engine.add_fixtures({"rateLimits": dict(limits)}, api_key)
