"""One environment: everything one API key owns, in one object.

Its stores (workflows, subscribers, tenants, topics), its forced outcomes and settings, its own
journal (trigger and request records, capped at the journal limit), the cancel index, and the
state of the policies that run per key: idempotency entries, rate-limit buckets and armed
faults. A reset replaces the whole object, so nothing of a key can outlive it.

Every change to the stores goes through a method here (one write path per kind of change),
whoever asks: the HTTP handlers, the trigger pipeline, a fixture merge or `NovuMock.add_*`.

Seeding is paid once per set of fixture documents, not per environment (issues 11 and 18): a
`Seed` merges the documents once into template stores, and an environment copies a store from
it only when something first reads or writes that store (a trigger reads the workflows and
subscribers; most throwaway keys never see their topics or tenants). A copy has its own ids and
is stamped with the environment's creation time, exactly as a merge at that moment would be.
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from .clock import iso_utc
from .entities import (
    Subscriber,
    Tenant,
    Topic,
    Workflow,
    apply_fields,
    apply_preferences,
    apply_recipient,
    cloned,
    drop_channel,
    new_subscriber,
    new_tenant,
    put_channel,
    subscriber_fixture,
    tenant_fixture,
)
from .integrations import DEFAULT_INTEGRATIONS, Integrations
from .records import Journal, RequestRecord, TriggerRecord
from .scheduler import Scheduler
from .values import json_copy, mask_key, object_id

_T = TypeVar("_T")


class Seed:
    """Fixture documents merged once into template stores that environments copy from.

    Nothing ever writes to a seed after `compile`: an environment's store is a copy (see
    `Environment`), so one seed serves every environment of every engine built from the same
    documents, and no environment's write can reach another's.
    """

    __slots__ = ("documents", "stores")

    def __init__(self, documents: Sequence[Mapping[str, Any]], stores: Environment) -> None:
        self.documents = tuple(documents)  # kept alive: the cache's key is their identity
        self.stores = stores

    @staticmethod
    def compile(documents: Iterable[Mapping[str, Any]]) -> Seed:
        """The stores of validated fixture documents, merged in order."""
        documents = list(documents)
        template = Environment(None, _EMPTY, 0.0, ids=("", ""))
        seeded = documents
        if not any("integrations" in doc for doc in documents):
            # Fixtures that never mention integrations get one active per channel.
            seeded = [{"integrations": list(DEFAULT_INTEGRATIONS)}, *documents]
        for doc in seeded:
            template.merge(doc, 0.0)
        return Seed(documents, template)

    @staticmethod
    def of(documents: Sequence[Mapping[str, Any]]) -> Seed:
        """The seed of these documents, compiled on first use. Keyed by the documents'
        identity: `load` hands every engine built from the same files the same validated
        documents (one pytest session's per-test engines), and nothing changes them."""
        key = tuple(map(id, documents))
        with _SEEDS_LOCK:
            seed = _SEEDS.get(key)
            if seed is not None and all(map(_same, seed.documents, documents)):
                _SEEDS.move_to_end(key)
                return seed
        seed = Seed.compile(documents)
        with _SEEDS_LOCK:
            _SEEDS[key] = seed
            while len(_SEEDS) > _SEEDS_KEPT:
                _SEEDS.popitem(last=False)
        return seed


def _same(a: object, b: object) -> bool:
    return a is b


# The last few seeds compiled (a suite may alternate between a few fixture sets).
_SEEDS: OrderedDict[tuple[int, ...], Seed] = OrderedDict()
_SEEDS_LOCK = threading.Lock()
_SEEDS_KEPT = 8


class Environment:
    """Everything one API key sees and leaves behind."""

    # Slots: thousands of throwaway keys each hold one (issue 11); no per-instance dict.
    __slots__ = (
        "_idempotency",
        "_integrations",
        "_retired",
        "_seed",
        "_seeded_at",
        "_subscribers",
        "_tenants",
        "_topics",
        "_upstream_ids",
        "_workflows",
        "buckets",
        "deleted_subscribers",
        "faults",
        "id",
        "journal",
        "key",
        "masked",
        "messages",
        "notifications",
        "organization_id",
        "outcome_hits",
        "outcomes",
        "own_fixtures",
        "pending",
        "processed",
        "rate_limits",
        "scheduler",
        "settings",
        "suspended",
    )

    def __init__(
        self,
        key: str | None,
        fixtures: Seed | Iterable[Mapping[str, Any]],
        now: float,
        *,
        journal_limit: int | None = None,
        ids: tuple[str, str] | None = None,
    ) -> None:
        self.key = key
        self.masked = mask_key(key) if key is not None else None
        # Novu's ids of the environment and its organization: a reset keeps them (`ids`).
        self.id, self.organization_id = ids or (object_id(), object_id())
        self.journal = Journal(journal_limit)
        # transactionId -> its processed trigger record still journaled (what cancel reaches),
        # a list of them once the id was sent again. A lone record is kept as itself: a list
        # per trigger would be one more object that every full garbage collection walks.
        self.processed: dict[str, TriggerRecord | list[TriggerRecord]] = {}
        # Fixture documents posted for this key only (dropped by its reset).
        self.own_fixtures: list[Mapping[str, Any]] = []
        # The per-key state of the policies (_policies/), which alone read and write it:
        # Idempotency-Key -> entry (`idempotency`: an empty OrderedDict is 400 bytes, made
        # on first use)
        self._idempotency: OrderedDict[str, Any] | None = None
        self.buckets: dict[str, Any] = {}  # rate-limit category -> token bucket
        self.faults: list[Any] | None = None  # armed fault rules; None until first armed
        # Delivery (messages) and the scheduler (pending jobs, clock hook) add their state here.
        # Delivery (DESIGN 9): queued runs, their notifications and messages, held runs.
        self.pending: list[Any] = []
        self.notifications: list[Any] = []
        self.messages: list[Any] = []
        # held runs, an insertion-ordered set (a resume or cancel leaves it in O(1))
        self.suspended: dict[Any, None] = {}
        # notifications past the journal limit whose run is still held (_delivery/retention.py)
        self._retired: set[Any] | None = None  # `retired`, made on first use
        # In a proxy's shadow (DESIGN 11): the upstream's ids and this environment's ids for the
        # same things, newest last, so a reset or an eviction forgets them with the rest.
        self._upstream_ids: OrderedDict[str, str] | None = None  # `upstream_ids`, on first use
        # Novu soft-deletes subscribers; a bulk create revives them (counted as updated).
        self.deleted_subscribers: dict[str, Subscriber] = {}
        self.outcome_hits: dict[str, int] = {}  # by canonical JSON: unused-outcome reports
        # Time (DESIGN 10): pending delay and digest jobs (the engine's timeline runs them).
        self.scheduler = Scheduler()
        # The stores: None until first used, then a copy of the seed's (see the properties).
        seed = fixtures if isinstance(fixtures, Seed) else Seed.compile(fixtures)
        self._seed = seed
        self._seeded_at: float | str = now  # its stamp (a string) once a store is copied
        self._workflows: dict[str, Workflow] | None = None
        self._subscribers: dict[str, Subscriber] | None = None
        self._tenants: dict[str, Tenant] | None = None
        self._topics: dict[str, Topic] | None = None
        self._integrations: Integrations | None = None
        # Read on every trigger and never changed in place (`merge` replaces them): shared
        # with the seed until then.
        self.outcomes: list[dict[str, Any]] = seed.stores.outcomes
        self.settings: dict[str, Any] = seed.stores.settings
        self.rate_limits: dict[str, float] | None = seed.stores.rate_limits

    @property
    def idempotency(self) -> OrderedDict[str, Any]:
        if self._idempotency is None:
            self._idempotency = OrderedDict()
        return self._idempotency

    @property
    def retired(self) -> set[Any]:
        if self._retired is None:
            self._retired = set()
        return self._retired

    @property
    def upstream_ids(self) -> OrderedDict[str, str]:
        if self._upstream_ids is None:
            self._upstream_ids = OrderedDict()
        return self._upstream_ids

    # -- the stores, copied from the seed on first use ----------------------------------------

    def _stamp(self) -> str:
        """The creation time of this environment, as its seeded items show it."""
        if not isinstance(self._seeded_at, str):
            self._seeded_at = iso_utc(self._seeded_at)
        return self._seeded_at

    def _copied(
        self, seeded: dict[str, _T] | None, clone: Callable[[_T, str], _T]
    ) -> dict[str, _T]:
        """This environment's own copy of a seed store, its items stamped with its creation."""
        stamp = self._stamp()
        return {k: clone(item, stamp) for k, item in (seeded or {}).items()}

    @property
    def workflows(self) -> dict[str, Workflow]:
        if self._workflows is None:
            self._workflows = self._copied(self._seed.stores._workflows, Workflow.clone)
        return self._workflows

    @property
    def subscribers(self) -> dict[str, Subscriber]:
        if self._subscribers is None:
            self._subscribers = self._copied(self._seed.stores._subscribers, cloned)
        return self._subscribers

    @property
    def tenants(self) -> dict[str, Tenant]:
        if self._tenants is None:
            self._tenants = self._copied(self._seed.stores._tenants, cloned)
        return self._tenants

    @property
    def topics(self) -> dict[str, Topic]:
        if self._topics is None:
            self._topics = self._copied(self._seed.stores._topics, Topic.clone)
        return self._topics

    @property
    def integrations(self) -> Integrations:
        if self._integrations is None:
            seeded = self._seed.stores._integrations
            if seeded is None:
                self._integrations = Integrations(self.id, self.organization_id)
            else:
                stamp = self._stamp()
                self._integrations = seeded.clone(self.id, self.organization_id, stamp)
        return self._integrations

    def discard(self) -> None:
        """Let go of everything this environment holds: its records point back at it, so
        without this a dropped environment waits for the cyclic garbage collector."""
        self.journal.triggers.clear()
        self.journal.requests.clear()
        self.processed.clear()
        self.pending.clear()
        self.notifications.clear()
        self.messages.clear()
        self.suspended.clear()
        self._retired = self._idempotency = self._upstream_ids = None
        self.scheduler.clear()  # its pending work goes with it

    def fresh(self, fixtures: Seed | Iterable[Mapping[str, Any]], now: float) -> Environment:
        """A new environment of the same key, ids and mask, seeded from `fixtures` (a reset)."""
        env = Environment(
            self.key,
            fixtures,
            now,
            journal_limit=self.journal.limit,
            ids=(self.id, self.organization_id),
        )
        env.masked = self.masked  # the engine's unique mask (`~2`), not the base one
        return env

    # -- fixtures ---------------------------------------------------------------------------

    def merge(self, doc: Mapping[str, Any], now: float) -> None:
        """Add one validated fixture document to the stores (later items replace earlier)."""
        stamp = iso_utc(now)
        # Deep copies: a test that mutates its fixture dict afterwards must not reach our stores.
        doc = copy.deepcopy(dict(doc))
        for spec in doc.get("workflows") or []:
            self.workflows[spec["workflowId"]] = Workflow(spec, stamp)
        for spec in doc.get("subscribers") or []:
            self.seed_subscriber(spec, stamp)
        for spec in doc.get("tenants") or []:
            self.tenants[spec["identifier"]] = new_tenant(spec, stamp)
        for spec in doc.get("topics") or []:
            self.topics[spec["key"]] = Topic(
                spec["key"], spec.get("name"), spec.get("subscribers") or [], stamp
            )
        for spec in doc.get("integrations") or []:
            self.integrations.seed(spec, stamp)
        # New lists and dicts: the old ones may be the seed's.
        if doc.get("outcomes"):
            self.outcomes = [*self.outcomes, *doc["outcomes"]]
        if doc.get("settings"):
            self.settings = {**self.settings, **doc["settings"]}
        if "rateLimits" in doc:
            self.rate_limits = dict(doc["rateLimits"])

    def to_fixture(self) -> dict[str, Any]:
        """The stores as a fixture document (round-trips through `merge`)."""
        doc: dict[str, Any] = {
            "workflows": [w.to_fixture() for w in self.workflows.values()],
            "subscribers": [subscriber_fixture(s) for s in self.subscribers.values()],
            "tenants": [tenant_fixture(t) for t in self.tenants.values()],
            "topics": [t.to_fixture() for t in self.topics.values()],
            "integrations": [i.to_fixture() for i in self.integrations],
            "outcomes": json_copy(self.outcomes),
            "settings": dict(self.settings),
        }
        if self.rate_limits is not None:
            doc["rateLimits"] = dict(self.rate_limits)
        return doc

    # -- subscribers ------------------------------------------------------------------------

    def seed_subscriber(self, spec: Mapping[str, Any], now: str) -> None:
        """Store a fixture's subscriber as given (replacing one of the same id), with its
        stored preferences."""
        entity = new_subscriber(spec["subscriberId"], spec, now)
        if spec.get("preferences"):
            entity["preferences"] = spec["preferences"]
        self.subscribers[spec["subscriberId"]] = entity

    def save_subscriber(self, body: Mapping[str, Any], now: str, *, replace_null: bool) -> bool:
        """Create or update the subscriber of a subscribers endpoint's body (see
        `apply_fields` for `replace_null`); True when it was created."""
        sub_id = body["subscriberId"]
        existing = self.subscribers.get(sub_id)
        if existing is None:
            entity = new_subscriber(sub_id, {}, now)
            apply_fields(entity, body, now, replace_null=replace_null)
            entity["updatedAt"] = now
            self.subscribers[sub_id] = entity
            return True
        apply_fields(existing, body, now, replace_null=replace_null)
        return False

    def update_subscriber(
        self, entity: Subscriber, body: Mapping[str, Any], now: str, *, replace_null: bool
    ) -> None:
        """Write a subscribers endpoint's fields onto a stored subscriber."""
        apply_fields(entity, body, now, replace_null=replace_null)

    def upsert_recipient(self, define: Mapping[str, Any], now: str) -> None:
        """Create or update a subscriber as Novu's worker does for a trigger's recipient or
        actor (contract 5.2)."""
        sub_id = str(define["subscriberId"])
        existing = self.subscribers.get(sub_id)
        if existing is None:
            self.subscribers[sub_id] = new_subscriber(sub_id, define, now)
        else:
            apply_recipient(existing, define, now)

    def set_credentials(
        self,
        entity: Subscriber,
        provider: str,
        credentials: Mapping[str, Any],
        identifier: str | None,
        now: str,
        *,
        merge: bool,
        keep_identifier: bool = True,
    ) -> None:
        """Set one provider's channel credentials on a stored subscriber (see `put_channel`)."""
        put_channel(
            entity,
            provider,
            credentials,
            identifier,
            now,
            merge=merge,
            keep_identifier=keep_identifier,
        )

    def remove_credentials(self, entity: Subscriber, provider: str, now: str) -> bool:
        """Remove a provider's channel from a stored subscriber; True when there was one."""
        return drop_channel(entity, provider, now)

    def update_preferences(
        self,
        entity: Subscriber,
        channels: Mapping[str, bool] | None,
        workflow_id: str | None,
        schedule: Mapping[str, Any] | None,
        now: str,
    ) -> None:
        """Merge a preferences change into a stored subscriber (see `apply_preferences`)."""
        apply_preferences(entity, channels, workflow_id, schedule, now)

    def remove_subscriber(self, subscriber_id: str) -> None:
        """Delete a subscriber and its topic memberships (kept as soft-deleted, as Novu does)."""
        self.deleted_subscribers[subscriber_id] = self.subscribers.pop(subscriber_id)
        for topic in self.topics.values():
            topic.members.pop(subscriber_id, None)

    def revive_subscriber(self, subscriber_id: str) -> None:
        """Bring a soft-deleted subscriber back, same `_id` and fields (Novu's bulk upsert sets
        `deleted: false` on the document it finds)."""
        revived = self.deleted_subscribers.pop(subscriber_id, None)
        if revived is not None and subscriber_id not in self.subscribers:
            self.subscribers[subscriber_id] = revived

    # -- tenants ----------------------------------------------------------------------------

    def create_tenant(self, spec: Mapping[str, Any], now: str) -> Tenant:
        tenant = new_tenant(spec, now)
        self.tenants[tenant["identifier"]] = tenant
        return tenant

    def update_tenant(
        self,
        tenant: Tenant,
        now: str,
        *,
        identifier: str | None = None,
        name: Any = None,
        data: Any = None,
    ) -> None:
        """Rename (`identifier`, free: the caller checked) and set `name` and `data` where not
        None; `updatedAt` always moves (a tenants endpoint's PATCH)."""
        if identifier is not None and identifier != tenant["identifier"]:
            del self.tenants[tenant["identifier"]]
            tenant["identifier"] = identifier
            self.tenants[identifier] = tenant
        if name is not None:
            tenant["name"] = name
        if data is not None:
            tenant["data"] = data
        tenant["updatedAt"] = now

    def apply_trigger_tenant(self, tenant: Any, now: str) -> None:
        """A trigger's tenant object: its name and data onto the existing tenant (5.4)."""
        if not isinstance(tenant, dict):
            return
        stored = self.tenants.get(tenant.get("identifier"))  # type: ignore[arg-type]
        if stored is None:
            return
        changed = False
        if isinstance(tenant.get("name"), str) and tenant["name"] != stored.get("name"):
            stored["name"] = tenant["name"]
            changed = True
        if isinstance(tenant.get("data"), dict) and tenant["data"] != stored.get("data"):
            stored["data"] = tenant["data"]
            changed = True
        if changed:
            stored["updatedAt"] = now

    def remove_tenant(self, identifier: str) -> None:
        del self.tenants[identifier]

    # -- topics -----------------------------------------------------------------------------

    def create_topic(self, key: str, name: str | None, now: str) -> Topic:
        topic = Topic(key, name, (), now)
        self.topics[key] = topic
        return topic

    def topic_or_new(self, key: str, name: str | None, now: str) -> Topic:
        """The topic of `key`, created (named `name`) when missing."""
        topic = self.topics.get(key)
        return topic if topic is not None else self.create_topic(key, name, now)

    def add_to_topic(self, topic: Topic, subscriber_ids: Iterable[str], now: str) -> None:
        for sub_id in subscriber_ids:
            topic.add(sub_id, now)

    def remove_from_topic(self, topic: Topic, subscriber_id: str, now: str) -> bool:
        return topic.remove(subscriber_id, now)

    def remove_topic(self, key: str) -> None:
        del self.topics[key]

    # -- journal ----------------------------------------------------------------------------

    def record_trigger(self, record: TriggerRecord) -> None:
        self.journal.triggers.append(record)

    def record_processed(self, transaction_id: str, record: TriggerRecord) -> None:
        """Index a journaled processed trigger for cancel."""
        kept = self.processed.get(transaction_id)
        if kept is None:
            self.processed[transaction_id] = record
        elif isinstance(kept, list):
            kept.append(record)
        else:
            self.processed[transaction_id] = [kept, record]

    def record_dispatched(self, record: TriggerRecord) -> None:
        """Journal a processed trigger whose transactionId is not indexed yet (the bulk's fast
        path checked): `record_trigger` and `record_processed` in one call."""
        self.journal.triggers.append(record)
        self.processed[record.transaction_id] = record  # type: ignore[index]

    def processed_records(self, transaction_id: str) -> Sequence[TriggerRecord]:
        """The journaled processed triggers of `transaction_id`, oldest first."""
        kept = self.processed.get(transaction_id)
        if kept is None:
            return ()
        return kept if isinstance(kept, list) else (kept,)

    def record_request(self, record: RequestRecord) -> None:
        self.journal.requests.append(record)

    def trim(self) -> None:
        """Apply the journal limit; dropped triggers leave the cancel index."""
        for record in self.journal.trim():
            txn = record.transaction_id
            kept = self.processed.get(txn) if txn else None
            if kept is record:
                del self.processed[txn]  # type: ignore[arg-type]
            elif isinstance(kept, list):
                kept[:] = [r for r in kept if r is not record]
                if not kept:
                    del self.processed[txn]  # type: ignore[arg-type]

    def cancel(self, transaction_id: str, now: float) -> bool:
        """D10 revised: cancel the pending delayed and digest work of this transactionId (its
        jobs' hooks stop their runs, or hand a digest's batch on); True when there was some, and
        its triggers are then marked cancelled. False otherwise."""
        if not self.scheduler.cancel(transaction_id, now):
            return False
        for record in self.processed_records(transaction_id):
            record.canceled = True
        return True


def _no_stores() -> Environment:
    """The stores of the empty seed, the one a seed's template starts from."""
    stores = Environment.__new__(Environment)
    stores._workflows = stores._subscribers = stores._tenants = stores._topics = None
    stores._integrations = None
    stores.outcomes, stores.settings, stores.rate_limits = [], {"recipientValidation": True}, None
    return stores


_EMPTY = Seed((), _no_stores())
