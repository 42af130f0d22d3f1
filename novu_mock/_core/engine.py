"""The engine: one synchronous entry point from a Call to a Reply, shared by every transport."""

from __future__ import annotations

import copy
import functools
import heapq
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from operator import attrgetter
from typing import Any, TypeVar

from .._delivery.run import settle, settle_all
from .._fixtures import RUNTIME_API_KEYS, FixtureError, fault_problems, load, problems_of
from .._model.clock import Clock, iso_utc
from .._model.environment import Environment, Seed
from .._model.masks import Masks
from .._model.records import Journal, RequestRecord, TriggerRecord
from .._model.scheduler import Timeline
from .._policies.faults import Faults
from .._policies.idempotency import Idempotency
from .._policies.rate_limits import RateLimiter
from .._policies.retry_watch import RetryWatch
from .errors import NovuError, bug_reply, error_reply
from .http import Call, Reply
from .limits import TOO_LARGE, body_limit, excerpt
from .request import Request
from .routes import ROUTES, Route, Router, normalise

FixtureInput = str | os.PathLike[str] | Mapping[str, Any]
DEFAULT_MAX_ENVIRONMENTS = 10_000
_R = TypeVar("_R", TriggerRecord, RequestRecord)
_by_seq = attrgetter("seq")
_ROUTER = Router(ROUTES)  # compiled once: the table is constant, every engine shares it
BEARER_HINT = (
    'novu-mock: Novu\'s API keys go in "Authorization: ApiKey <key>"; Bearer is for dashboard '
    "user sessions, which Novu answers with this 401"
)


def authenticate(headers: Mapping[str, str], masks: Masks | None = None) -> str:
    """The API key of `Authorization: ApiKey <key>`; NovuError with Novu's 401s (contract 1.2).
    A scheme word that may be a key (`ApiKey<key>` without its space) is echoed as its mask."""
    raw = headers.get("authorization", "").strip()
    if not raw:
        raise NovuError(401, "Missing authorization header")
    scheme, _, rest = raw.partition(" ")
    if scheme == "Bearer":
        # Novu's body, plus a field SDKs ignore (novu-py shows the body in the exception).
        raise NovuError(401, "Unauthorized", reason=False, extra={"hint": BEARER_HINT})
    if scheme != "ApiKey":
        shown = scheme if rest.strip() else (masks or Masks()).scheme(scheme)
        raise NovuError(401, f'Invalid authentication scheme: "{shown}"')
    key = rest.strip()
    if not key:
        raise NovuError(401, "Unauthorized", reason=False)
    return key


def _merged(journals: list[list[_R]]) -> Sequence[_R]:
    """Records of several journals in one sequence, oldest first (by `seq`)."""
    journals = [j for j in journals if j]
    if len(journals) == 1:
        return journals[0]
    return list(heapq.merge(*journals, key=_by_seq))


class Engine:
    """Novu's contract on in-memory stores, one `Environment` per API key.

    Thread-safe: every call runs under one lock, so a server thread and a test share state.
    `journal_limit` caps each environment's journals (trigger and request records) at its
    newest N records; None keeps everything. `max_environments` caps how many environments are
    kept: past it, the least recently used one is dropped (None: no cap).
    """

    def __init__(
        self,
        fixtures: Iterable[FixtureInput] = (),
        api_keys: Iterable[str] | None = None,
        clock: Clock | None = None,
        journal_limit: int | None = None,
        max_environments: int | None = DEFAULT_MAX_ENVIRONMENTS,
    ) -> None:
        if journal_limit is not None and journal_limit < 1:
            raise ValueError("journal_limit must be a positive number of records, or None")
        if max_environments is not None and max_environments < 1:
            raise ValueError("max_environments must be a positive number, or None")
        self._documents: list[Mapping[str, Any]] = [f.document for f in load(fixtures)]
        self._seed: Seed | None = None  # the documents compiled once (`_seeded`)
        keys = set(api_keys or ())
        for doc in self._documents:
            keys.update(doc.get("apiKeys") or ())
        self.api_keys: frozenset[str] | None = frozenset(keys) if keys else None
        self.clock = clock or Clock()
        self.journal_limit = journal_limit
        self.max_environments = max_environments
        self._router = _ROUTER
        self._environments: OrderedDict[str, Environment] = OrderedDict()
        # Novu calls that reached no environment (a 401, a 404 without a key): their records.
        self._strays = Journal(journal_limit)
        self._lock = threading.RLock()
        self._faults = Faults()
        self._rate_limiter = RateLimiter()
        self._idempotency = Idempotency(journal_limit)
        self.timeline = Timeline(self)
        self.timeline.prepare = functools.partial(settle_all, self)
        self._retry_watch = RetryWatch()
        self.masks = Masks()  # the one place keys become masks (DESIGN section 6)
        # Called after a reset without a key has dropped environments (outside the lock): the
        # server uses it to hand the freed memory back at once (see `_transports.memory`).
        self.after_full_reset: Callable[[], None] | None = None

    # -- environments -----------------------------------------------------------------------

    def environment(self, key: str, now: float | None = None) -> Environment:
        """The environment of `key`, created and seeded from the fixtures on first use."""
        with self._lock:
            env = self._environments.get(key)
            if env is not None:
                self._environments.move_to_end(key)  # the most recently used last
                return env
            if self.api_keys is not None and key not in self.api_keys:
                raise NovuError(401, "API Key not found")
            # Seeded at the moment of the call that created it, so its items never look newer
            # than what that call creates.
            seeded = self.clock.now() if now is None else now
            env = Environment(key, self._seeded(), seeded, journal_limit=self.journal_limit)
            env.masked = self.masks.of(key)

            env.scheduler.timeline = self.timeline
            self._environments[key] = env
            if self.max_environments is not None:
                while len(self._environments) > self.max_environments:
                    gone, dropped = self._environments.popitem(last=False)
                    dropped.discard()
                    self.masks.drop(gone)
            return env

    def _seeded(self) -> Seed:
        """The fixture documents as a seed: compiled once, shared with every engine built from
        the same documents; a change of the documents (`add_fixtures`, `restart`) drops it."""
        if self._seed is None:
            self._seed = Seed.of(self._documents)
        return self._seed

    @property
    def lock(self) -> Any:
        """The engine's lock (re-entrant): hold it to read or change environments from outside
        a call (delivery's reads, the clock and its timer)."""
        return self._lock

    @property
    def environments(self) -> Mapping[str, Environment]:
        """The environments by API key (read-only; hold `lock`)."""
        return self._environments

    def _existing(self, key: str | None) -> Environment | None:
        return self._environments.get(key) if key is not None else None

    def _selected(self, key: str | None) -> list[Environment]:
        if key is None:
            return list(self._environments.values())
        env = self._environments.get(key)
        return [env] if env is not None else []

    def delivered(self, key: str | None = None) -> list[Environment]:
        """The environments of `key` (all without one) with their queued delivery runs done
        (DESIGN 9). Read what they hold under `locked()`."""
        with self._lock:
            selected = self._selected(key)
            settle(selected, "GET", "", self.journal_limit)
            return selected

    def locked(self) -> threading.RLock:
        """The engine's lock: hold it while reading an environment's state."""
        return self._lock

    @property
    def documents(self) -> tuple[Mapping[str, Any], ...]:
        """The fixture documents every environment is seeded from, in order."""
        return tuple(self._documents)

    # -- the one entry point ----------------------------------------------------------------

    def handle(self, call: Call) -> Reply:
        """Answer one HTTP call exactly as Novu would; never raises."""
        started = time.perf_counter()
        method = call.method.upper()
        url = call.url
        with self._lock:
            now = self.clock.now()
            if self.timeline.active:  # work that came due (real clock, or a clock moved by hand)
                self.timeline.run_due(now)
            stamp = iso_utc(now)
            path = normalise(call.path)
            found = self._router.match(method, path)
            req = Request(self, call, found[1] if found else {}, now, stamp)
            admin = found is not None and found[0].admin
            # Refused before it is parsed or kept (D15), and only an excerpt journaled.
            oversize = call.body_size > body_limit(path)
            try:
                if oversize:
                    raise NovuError(413, TOO_LARGE, reason=False)
                if found is None:
                    raise NovuError(404, f"Cannot {method} {url}")
                if admin:
                    if call.headers.get("authorization", "").strip():
                        req.key = authenticate(call.headers, self.masks)
                        if self.api_keys is not None and req.key not in self.api_keys:
                            raise NovuError(401, "API Key not found")
                        req.env = self._environments.get(req.key)
                else:
                    req.key = authenticate(call.headers, self.masks)
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
                    reply = bug_reply(req.call.method, url, stamp)
            # Unknown /_mock paths are admin mistakes, not Novu requests: not journaled.
            if not admin and not (path == "/_mock" or path.startswith("/_mock/")):
                if oversize and found is not None:
                    req.env = self._owner(call)
                self._record_request(req, reply, started, brief=oversize or found is None)
                if req.env is not None and req.env.scheduler.awaiting and self.clock.mode == "real":
                    self.timeline.poke()  # queued runs will hold delays the timer must see
        return reply

    def _owner(self, call: Call) -> Environment | None:
        """The environment of a call's key, if the key is valid (for journaling a refusal)."""
        try:
            return self.environment(authenticate(call.headers))
        except NovuError:
            return None

    def _policed(self, route: Route, req: Request, path: str) -> Reply:
        """A Novu call through Novu's policies, outermost first: injected faults (in front of
        Novu), the rate limiter, idempotency (contract 6 "Ordering"), then the handler."""
        fault = self._faults.decide(req, path, self._documents)
        if fault.reply is not None:
            return self._watched(req, fault.apply(fault.reply), "an armed fault")
        env = req.environment()
        verdict = self._rate_limiter.evaluate(env, route.category, route.cost, req.now)
        if verdict.refusal is not None:
            reply = error_reply(verdict.refusal, req.call.url, req.stamp)
        else:
            reply = self._idempotency.run(req, lambda: self._answer(req, route), fault.delay)
        reply.headers.extend(verdict.headers)
        by = "the rate limit" if verdict.refusal is not None else ""
        if fault.connection:
            by = "an armed fault"
        return self._watched(req, fault.apply(reply), by)

    def _watched(self, req: Request, reply: Reply, by: str) -> Reply:
        """Tell the retry watch whether a fault or the rate limit refused this call."""
        status = reply.status if reply.connection is None else 0
        if not by or not (status in (0, 408, 409, 429) or status >= 500):
            self._retry_watch.answered(req.key or "")
            return reply
        reply.warning = self._retry_watch.refused(
            req.call, req.key or "", status, by, time.monotonic()
        )
        return reply

    @staticmethod
    def _answer(req: Request, route: Route) -> Reply:
        """The handler's reply, with its errors in Novu's shape."""
        try:
            return route.handler(req)
        except NovuError as exc:
            return error_reply(exc, req.call.url, req.stamp)
        except Exception:
            return bug_reply(req.call.method, req.call.url, req.stamp)

    def _record_request(self, req: Request, reply: Reply, started: float, brief: bool) -> None:
        call = req.call
        body: Any
        if brief:
            body = excerpt(call.body, call.body_size) if call.body_size else None
        elif req._parsed:
            body = req._body
        elif call.body:
            body = call.body.decode("utf-8", "replace")
        else:
            body = None
        response = (
            reply.payload if reply.payload is not None else reply.body.decode("utf-8", "replace")
        )
        record = RequestRecord(
            method=call.method.upper(),
            path=call.path,
            query=call.query,
            headers=self._shown_headers(call.headers),
            body=body,
            status=reply.status,
            response=response,
            received_at=req.now,
            duration_ms=(time.perf_counter() - started) * 1000.0,
            environment=req.env,
        )
        if req.env is not None:
            req.env.record_request(record)
            req.env.trim()
        else:
            self._strays.requests.append(record)
            self._strays.trim()

    def _shown_headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        """Headers as a journal keeps them: the Authorization header masked, whatever its shape."""
        shown = dict(headers)
        if "authorization" in shown:
            shown["authorization"] = self.masks.authorization(shown["authorization"])
        return shown

    # -- admin operations (also the Python API's) -------------------------------------------

    def reset(self, key: str | None = None) -> None:
        """A fresh environment (seeded from the fixtures, journals empty) for `key`. Without a
        key: every environment of a configured key (`api_keys`, the fixtures' `apiKeys`) is
        fresh, every other one is dropped (its key gets a new one on its next call), and the
        faults armed without a key are disarmed."""
        with self._lock:
            now = self.clock.now()
            if key is None:
                self._faults.reset()
                self._retry_watch.reset()
                # Emptied, not replaced: see below.
                self._strays.triggers.clear()
                self._strays.requests.clear()
            else:
                self._retry_watch.forget(key)
            for env in self._selected(key):
                assert env.key is not None
                env.discard()
                if key is None and (self.api_keys is None or env.key not in self.api_keys):
                    del self._environments[env.key]
                else:
                    fresh = env.fresh(self._seeded(), now)
                    fresh.scheduler.timeline = self.timeline
                    self._environments[env.key] = fresh
            if key is None:
                # Only now, with the dropped environments freed, is anything lasting allocated:
                # made while they were alive, it would sit among their memory and keep it.
                self.masks.forget(set(self._environments))
                # A dict never shrinks: thousands of dropped keys would keep their table.
                self._environments = OrderedDict(self._environments)
        if key is None and self.after_full_reset is not None:
            self.after_full_reset()

    def restart(self, documents: Iterable[Mapping[str, Any]], clock: Clock) -> None:
        """Back to these fixture documents, this clock and no environment at all (the
        plugin's session server between tests)."""
        with self._lock:
            self._documents[:] = documents
            self._seed = None
            for env in self._environments.values():
                env.discard()  # its pending work goes with it
            self._environments.clear()
            self.clock = clock
            self.reset()

    def add_fixtures(self, doc: Mapping[str, Any], key: str | None = None) -> dict[str, int]:
        """Merge a fixture document: into one environment with `key` (until its reset), else into
        the loaded fixtures (every environment, now and later). Raise FixtureError if invalid."""
        with self._lock:
            if "apiKeys" in doc:
                raise FixtureError([f"<posted document>: apiKeys: {RUNTIME_API_KEYS}"])
            env = self.environment(key) if key is not None else None
            context = [*self._documents, *([env.to_fixture()] if env else [])]
            problems = problems_of(doc, "<posted document>", context)
            if problems:
                raise FixtureError(problems)
            now = self.clock.now()
            if env is not None:
                env.own_fixtures.append(doc)
                env.merge(doc, now)
            else:
                # A copy: seeds are compiled from it later, after the caller may have changed it.
                self._documents.append(copy.deepcopy(dict(doc)))
                self._seed = None
                for each in self._environments.values():
                    each.merge(doc, now)
            self._faults.merge(doc, env, self._environments.values(), self._documents)
            return {
                kind: len(doc.get(kind) or [])
                for kind in ("workflows", "subscribers", "tenants", "topics")
            }

    def trigger_records(self, key: str | None = None, **filters: str) -> list[dict[str, Any]]:
        """TriggerRecords as dicts, oldest first; filters as GET /_mock/triggers takes them."""
        with self._lock:
            return [r.to_dict() for r in self.trigger_journal(key) if r.matches(**filters)]

    def request_records(self, key: str | None = None) -> list[dict[str, Any]]:
        """RequestRecords as dicts, oldest first (without a key, also the calls that reached no
        environment)."""
        with self._lock:
            return [r.to_dict() for r in self.request_journal(key)]

    def state(self, key: str | None = None) -> dict[str, Any]:
        """One environment's stores as a fixture document; without a key, every environment's."""
        with self._lock:
            if key is not None:
                return self.environment(key).to_fixture()
            return {env.masked or "": env.to_fixture() for env in self._environments.values()}

    # -- faults (README "Fault injection") --------------------------------------------------

    def arm_faults(
        self, specs: Sequence[Mapping[str, Any]], key: str | None = None
    ) -> list[dict[str, Any]]:
        """Validate and arm faults for one environment (`key`) or every one; FixtureError lists
        the problems. The armed faults, with their ids."""
        problems: list[str] = []
        for i, spec in enumerate(specs):
            fault_problems(spec, f"faults[{i}]", problems)
        if problems:
            raise FixtureError(problems)
        with self._lock:
            env = self.environment(key) if key is not None else None
            return self._faults.add(specs, env, self._environments.values(), self._documents)

    def armed_faults(self, key: str | None = None) -> list[dict[str, Any]]:
        """The armed faults of one environment with what remains of their `times`; without a
        key, the specs armed for every environment."""
        with self._lock:
            env = self.environment(key) if key is not None else None
            return self._faults.listing(env, self._documents)

    def clear_faults(self, key: str | None = None) -> None:
        """Disarm every fault of one environment, or of all (a reset arms fixture faults again)."""
        with self._lock:
            env = self.environment(key) if key is not None else None
            self._faults.clear(env, self._environments.values())

    # -- journals, for the dashboard and the plugin -----------------------------------------

    def trigger_journal(self, key: str | None = None) -> Sequence[TriggerRecord]:
        """The trigger records of one environment, or of every one, oldest first. Call under
        no other lock; the sequence must not be changed."""
        with self._lock:
            return _merged([env.journal.triggers for env in self._selected(key)])

    def request_journal(self, key: str | None = None) -> Sequence[RequestRecord]:
        """The request records of one environment, or of every call, oldest first."""
        with self._lock:
            journals = [env.journal.requests for env in self._selected(key)]
            if key is None:
                journals.append(self._strays.requests)
            return _merged(journals)

    def journal_summary(self, key: str | None = None) -> dict[str, int]:
        """How many trigger and request records every journal (the key's only, with a key)
        holds and the newest trigger's `seq` (0 without any): a cheap change signal for the
        dashboard's polling."""
        with self._lock:
            envs = self._selected(key)
            return {
                "triggers": sum(len(env.journal.triggers) for env in envs),
                "last": max(
                    (env.journal.triggers[-1].seq for env in envs if env.journal.triggers),
                    default=0,
                ),
                "requests": sum(len(env.journal.requests) for env in envs)
                + (len(self._strays.requests) if key is None else 0),
            }

    def is_novu_route(self, method: str, path: str) -> bool:
        """Whether `path` (no query) is one of Novu's endpoints the mock answers."""
        found = self._router.match(method.upper(), normalise(path))
        return found is not None and not found[0].admin

    def warnings(self, key: str | None = None) -> list[dict[str, Any]]:
        """What the mock noticed about its clients: the retry loops so far (of `key`'s
        environment, or of all), each with its environment's masked key."""
        with self._lock:
            return [
                {k: v for k, v in loop.items() if k != "key"}
                | {"environment": self.masks.of(loop["key"])}
                for loop in self._retry_watch.loops
                if key is None or loop["key"] == key
            ]

    def usage(self) -> tuple[dict[str, int], dict[str, int]]:
        """How often each fault fired and each forced outcome answered, by canonical JSON."""
        with self._lock:
            hits: dict[str, int] = {}
            for env in self._environments.values():
                for name, count in env.outcome_hits.items():
                    hits[name] = hits.get(name, 0) + count
            return dict(self._faults.fired), hits

    def environment_names(self, key: str | None = None) -> list[str]:
        """The masked keys of the environments (the key's only, with a key), sorted."""
        with self._lock:
            return sorted(env.masked or "" for env in self._selected(key))
