"""The engine: one synchronous entry point from a Call to a Reply, shared by every transport."""

from __future__ import annotations

import functools
import logging
import os
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from .._delivery.run import settle
from .._delivery.schedule import settle_all
from .._model.clock import Clock, iso_utc
from .._model.fixtures import Fixture, FixtureError, load, problems_of
from .._model.scheduler import Timeline
from .._model.stores import Environment, RequestRecord, TriggerRecord
from .._policies.faults import Faults
from .._policies.idempotency import Idempotency
from .._policies.rate_limits import RateLimiter
from .errors import NovuError, error_reply
from .http import Call, Reply
from .request import Request
from .routes import ROUTES, Route, Router, normalise

FixtureInput = str | os.PathLike[str] | Mapping[str, Any]

_log = logging.getLogger("novu_mock")
_INTERNAL = "Internal server error, contact support and provide them with the errorId"


def authenticate(headers: Mapping[str, str]) -> str:
    """The API key of `Authorization: ApiKey <key>`; NovuError with Novu's 401s (contract 1.2)."""
    raw = headers.get("authorization", "").strip()
    if not raw:
        raise NovuError(401, "Missing authorization header")
    scheme, _, rest = raw.partition(" ")
    if scheme == "Bearer":
        raise NovuError(401, "Unauthorized", reason=False)
    if scheme != "ApiKey":
        raise NovuError(401, f'Invalid authentication scheme: "{scheme}"')
    key = rest.strip()
    if not key:
        raise NovuError(401, "Unauthorized", reason=False)
    return key


class Engine:
    """Novu's contract on in-memory stores, one environment per API key.

    Thread-safe: every call runs under one lock, so a server thread and a test share state.
    `journal_limit` caps each journal (trigger and request records) at the newest N records;
    None keeps everything.
    """

    def __init__(
        self,
        fixtures: Iterable[FixtureInput] = (),
        api_keys: Iterable[str] | None = None,
        clock: Clock | None = None,
        journal_limit: int | None = None,
    ) -> None:
        if journal_limit is not None and journal_limit < 1:
            raise ValueError("journal_limit must be a positive number of records, or None")
        loaded = load(fixtures)
        self.fixtures: list[Fixture] = loaded
        self.documents: list[Mapping[str, Any]] = [f.document for f in loaded]
        keys = set(api_keys or ())
        for doc in self.documents:
            keys.update(doc.get("apiKeys") or ())
        self.api_keys: frozenset[str] | None = frozenset(keys) if keys else None
        self.clock = clock or Clock()
        self.router = Router(ROUTES)
        self.environments: dict[str, Environment] = {}
        self.journal: list[TriggerRecord] = []
        self.request_journal: list[RequestRecord] = []
        self.journal_limit = journal_limit
        self.lock = threading.RLock()
        self.faults = Faults()
        self.rate_limiter = RateLimiter()
        self.idempotency = Idempotency()
        self.timeline = Timeline(self)
        self.timeline.prepare = functools.partial(settle_all, self)

    # -- environments -----------------------------------------------------------------------

    def environment(self, key: str, now: float | None = None) -> Environment:
        """The environment of `key`, created and seeded from the fixtures on first use."""
        env = self.environments.get(key)
        if env is None:
            if self.api_keys is not None and key not in self.api_keys:
                raise NovuError(401, "API Key not found")
            # Seeded at the moment of the call that created it, so its items never look newer
            # than what that call creates.
            seeded = self.clock.now() if now is None else now
            env = Environment(key, self.documents, seeded, self.journal)
            env.scheduler.timeline = self.timeline
            self.environments[key] = env
        return env

    def _selected(self, key: str | None) -> list[Environment]:
        if key is None:
            return list(self.environments.values())
        env = self.environments.get(key)
        return [env] if env is not None else []

    # -- the one entry point ----------------------------------------------------------------

    def handle(self, call: Call) -> Reply:
        """Answer one HTTP call exactly as Novu would; never raises."""
        started = time.perf_counter()
        method = call.method.upper()
        url = call.url
        with self.lock:
            now = self.clock.now()
            if self.timeline.active:  # work that came due (real clock, or a clock moved by hand)
                self.timeline.run_due(now)
            stamp = iso_utc(now)
            path = normalise(call.path)
            found = self.router.match(method, path)
            req = Request(self, call, found[1] if found else {}, now, stamp)
            admin = found is not None and found[0].admin
            try:
                if found is None:
                    raise NovuError(404, f"Cannot {method} {url}")
                if admin:
                    if call.headers.get("authorization", "").strip():
                        req.key = authenticate(call.headers)
                        if self.api_keys is not None and req.key not in self.api_keys:
                            raise NovuError(401, "API Key not found")
                        req.env = self.environments.get(req.key)
                else:
                    req.key = authenticate(call.headers)
                    req.env = self.environment(req.key, now)
            except NovuError as exc:
                reply = error_reply(exc, url, stamp)
            else:
                assert found is not None
                route = found[0]
                settle(self._selected(req.key), method, path, self.journal_limit)
                try:
                    reply = self._answer(req, route) if admin else self._policed(route, req, path)
                except Exception:  # a bug in a policy: still Novu's 500, never a traceback
                    reply = self._internal_error(req)
            if not admin:
                self._record_request(req, reply, started)
                if req.env is not None and req.env.pending and self.clock.mode == "real":
                    self.timeline.poke()  # queued runs may hold delays the timer must see
            if self.journal_limit is not None:
                self._trim(self.journal_limit)
        return reply

    def _policed(self, route: Route, req: Request, path: str) -> Reply:
        """A Novu call through Novu's policies, outermost first: injected faults (in front of
        Novu), the rate limiter, idempotency (contract 6 "Ordering"), then the handler."""
        fault = self.faults.decide(req, path, self.documents)
        if fault.reply is not None:
            return fault.apply(fault.reply)
        env = req.environment()
        verdict = self.rate_limiter.evaluate(env, route.category, route.cost, req.now)
        if verdict.refusal is not None:
            reply = error_reply(verdict.refusal, req.call.url, req.stamp)
        else:
            reply = self.idempotency.run(req, lambda: self._answer(req, route), fault.delay)
        reply.headers.extend(verdict.headers)
        return fault.apply(reply)

    def _answer(self, req: Request, route: Route) -> Reply:
        """The handler's reply, with its errors in Novu's shape."""
        try:
            return route.handler(req)
        except NovuError as exc:
            return error_reply(exc, req.call.url, req.stamp)
        except Exception:
            return self._internal_error(req)

    def _internal_error(self, req: Request) -> Reply:
        """Novu's 500 for a bug of ours, logged with its errorId."""
        error_id = str(uuid.uuid4())
        url = req.call.url
        _log.exception("novu-mock: unexpected error %s on %s %s", error_id, req.call.method, url)
        body = {
            "statusCode": 500,
            "timestamp": req.stamp,
            "path": url,
            "message": _INTERNAL,
            "errorId": error_id,
        }
        return Reply.json(500, body)

    def _trim(self, limit: int) -> None:
        """Keep the newest `limit` records of each journal; dropped triggers leave the
        cancel index (Environment.processed)."""
        excess = len(self.journal) - limit
        if excess > 0:
            for record in self.journal[:excess]:
                index = record.environment.processed
                same = index.get(record.transaction_id) if record.transaction_id else None
                if same is not None:
                    same[:] = [r for r in same if r is not record]
                    if not same:
                        del index[record.transaction_id]  # type: ignore[arg-type]
            del self.journal[:excess]
        excess = len(self.request_journal) - limit
        if excess > 0:
            del self.request_journal[:excess]

    def _record_request(self, req: Request, reply: Reply, started: float) -> None:
        call = req.call
        body: Any
        if req._parsed:
            body = req._body
        elif call.body:
            body = call.body.decode("utf-8", "replace")
        else:
            body = None
        response = (
            reply.payload if reply.payload is not None else reply.body.decode("utf-8", "replace")
        )
        self.request_journal.append(
            RequestRecord(
                method=call.method.upper(),
                path=call.path,
                query=call.query,
                headers=call.headers,
                body=body,
                status=reply.status,
                response=response,
                received_at=req.now,
                duration_ms=(time.perf_counter() - started) * 1000.0,
                environment=req.env,
            )
        )

    # -- admin operations (also the Python API's) -------------------------------------------

    def reset(self, key: str | None = None) -> None:
        """Re-seed one environment (with `key`) or all; drop their journal records."""
        with self.lock:
            now = self.clock.now()
            selected = self._selected(key)
            for env in selected:
                env.own_fixtures = []
                env.processed = {}
                env.scheduler.clear()
                env.seed(self.documents, now)
                self.idempotency.forget(env.id)
                self.rate_limiter.forget(env)
            self.faults.reset(key)
            if key is None:
                self.journal.clear()
                self.request_journal.clear()
            elif selected:
                env = selected[0]
                self.journal[:] = [r for r in self.journal if r.environment is not env]
                self.request_journal[:] = [
                    r for r in self.request_journal if r.environment is not env
                ]

    def add_fixtures(self, doc: Mapping[str, Any], key: str | None = None) -> dict[str, int]:
        """Merge a fixture document: into one environment with `key` (until its reset), else into
        the loaded fixtures (every environment, now and later). Raise FixtureError if invalid."""
        with self.lock:
            if "apiKeys" in doc:
                raise FixtureError(["<posted document>: apiKeys: cannot be added at run time"])
            env = self.environment(key) if key is not None else None
            context = [*self.documents, *([env.to_fixture()] if env else [])]
            problems = problems_of(doc, "<posted document>", context)
            if problems:
                raise FixtureError(problems)
            now = self.clock.now()
            if env is not None:
                env.own_fixtures.append(doc)
                env.merge(doc, now)
            else:
                self.documents.append(doc)
                for each in self.environments.values():
                    each.merge(doc, now)
            self.faults.merge(doc, key, self.documents)
            return {
                kind: len(doc.get(kind) or [])
                for kind in ("workflows", "subscribers", "tenants", "topics")
            }

    def trigger_records(self, key: str | None = None, **filters: str) -> list[dict[str, Any]]:
        """TriggerRecords as dicts, oldest first; filters as GET /_mock/triggers takes them."""
        with self.lock:
            env = self.environments.get(key) if key is not None else None
            if key is not None and env is None:
                return []
            out = []
            for record in self.journal:
                if env is not None and record.environment is not env:
                    continue
                if not record.matches(**filters):
                    continue
                out.append(record.to_dict())
            return out

    def request_records(self, key: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            env = self.environments.get(key) if key is not None else None
            if key is not None and env is None:
                return []
            return [
                r.to_dict() for r in self.request_journal if env is None or r.environment is env
            ]

    def state(self, key: str | None = None) -> dict[str, Any]:
        """One environment's stores as a fixture document; without a key, every environment's."""
        with self.lock:
            if key is not None:
                return self.environment(key).to_fixture()
            return {env.masked or "": env.to_fixture() for env in self.environments.values()}
