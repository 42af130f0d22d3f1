"""Pending work: jobs that wait for a moment of the clock (delay and digest steps).

Each environment has a `Scheduler`: a heap of its pending jobs keyed by due time, and an index
by transactionId for cancel. The engine's `Timeline` runs due jobs across every environment in
due order, each at its own moment, inside the call that moves the clock (or, on a real clock,
from a timer thread, and before any call that finds work due).
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
from collections.abc import Callable
from typing import Any, Protocol

from .clock import Clock, iso_utc

_order = itertools.count()
_log = logging.getLogger("novu_mock")

# Novu's job statuses (JobStatusEnum), for the jobs a trigger shows.
PENDING = "pending"
DELAYED = "delayed"
MERGED = "merged"
COMPLETED = "completed"
CANCELED = "canceled"


def _spent(at: float) -> None:
    return None


class Job:
    """One pending piece of a run: `fire(at)` continues it at `due`; `on_cancel(at)` (optional)
    is called when a cancel takes it away. Once done, both are let go (`release`)."""

    __slots__ = (
        "detail",
        "done",
        "due",
        "fire",
        "id",
        "kind",
        "on_cancel",
        "scheduled_at",
        "seq",
        "status",
        "step_id",
        "subscriber_id",
        "transaction_id",
        "workflow_id",
    )

    def __init__(
        self,
        *,
        job_id: str,
        kind: str,
        due: float,
        scheduled_at: float,
        transaction_id: str,
        subscriber_id: str | None,
        step_id: str | None,
        fire: Callable[[float], None],
        on_cancel: Callable[[float], None] | None = None,
        detail: dict[str, Any] | None = None,
        workflow_id: str | None = None,
    ) -> None:
        self.id = job_id
        self.kind = kind
        self.due = due
        self.scheduled_at = scheduled_at
        self.transaction_id = transaction_id
        self.subscriber_id = subscriber_id
        self.step_id = step_id
        self.fire = fire
        self.on_cancel = on_cancel
        self.detail = detail
        self.workflow_id = workflow_id
        self.status = DELAYED
        self.done = False
        self.seq = next(_order)

    @property
    def pending(self) -> bool:
        """Still waiting: neither run, nor cancelled, nor taken away."""
        return not self.done

    def release(self) -> None:
        """Let go of the callbacks of a job that is done. They close over the run, whose
        trigger record lists this job: a cycle that only the cyclic garbage collector would
        free, late on a server that freezes its survivors (issue 11)."""
        self.fire = _spent
        self.on_cancel = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.kind,
            "workflowId": self.workflow_id,
            "stepId": self.step_id,
            "subscriberId": self.subscriber_id,
            "transactionId": self.transaction_id,
            "status": self.status,
            "pending": self.pending,
            "scheduledAt": iso_utc(self.scheduled_at),
            "dueAt": iso_utc(self.due),
            **(self.detail or {}),
        }


class _Group(list):  # type: ignore[type-arg]
    """The jobs of a transactionId with more than one (a trigger to several recipients), with
    how many are still pending: a job that runs leaves the list as it is (no O(k) removal per
    job), and the index drops the group when the last one is done."""

    __slots__ = ("live",)

    def __init__(self, jobs: list[Job]) -> None:
        super().__init__(jobs)
        self.live = len(jobs)


class Scheduler:
    """One environment's pending jobs: a heap by (due, order) and an index by transactionId
    (the job itself, or a `_Group` when the transaction has several). A cancelled or taken job
    stays in the heap until it reaches the top (lazy deletion): nothing is ever searched."""

    __slots__ = ("_by_transaction", "_heap", "awaiting", "pending", "state", "timeline")

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Job]] = []
        self._by_transaction: dict[str, Job | _Group] = {}
        self.pending = 0
        self.timeline: Timeline | None = None
        # A queued trigger's run will reach a delay or digest: on a real clock the timer must
        # run the queue to schedule it (set by the trigger pipeline, cleared by the flush).
        self.awaiting = False
        # What the steps that schedule keep between calls (open digest batches ...).
        self.state: dict[str, Any] = {}

    def schedule(self, job: Job) -> None:
        heapq.heappush(self._heap, (job.due, job.seq, job))
        index = self._by_transaction
        same = index.get(job.transaction_id)
        if same is None:
            index[job.transaction_id] = job
        elif type(same) is _Group:
            same.append(job)
            same.live += 1
        else:
            index[job.transaction_id] = _Group([same, job])  # type: ignore[list-item]
        self.pending += 1
        if self.timeline is not None:
            self.timeline.activate(self, job.due)

    def next_due(self) -> float | None:
        heap = self._heap
        while heap and heap[0][2].done:
            heapq.heappop(heap)
        return heap[0][0] if heap else None

    def pop(self) -> Job:
        """The earliest pending job (call after `next_due()` answered a time)."""
        job = heapq.heappop(self._heap)[2]
        self._done(job)
        return job

    def _done(self, job: Job) -> None:
        job.done = True
        self.pending -= 1
        index = self._by_transaction
        same = index.get(job.transaction_id)
        if same is job:
            del index[job.transaction_id]
        elif type(same) is _Group:
            same.live -= 1
            if not same.live:
                del index[job.transaction_id]

    def _pending_of(self, transaction_id: str) -> list[Job]:
        same = self._by_transaction.get(transaction_id)
        if same is None:
            return []
        if type(same) is _Group:
            return [job for job in same if not job.done]
        return [same]  # type: ignore[list-item]

    def jobs_of(self, transaction_id: str) -> list[Job]:
        """The pending jobs of one transactionId, oldest first."""
        return self._pending_of(transaction_id)

    def cancel(self, transaction_id: str, at: float) -> bool:
        """Cancel every pending job of `transaction_id`; True when there was one."""
        jobs = self._pending_of(transaction_id)
        if not jobs:
            return False
        del self._by_transaction[transaction_id]
        for job in jobs:
            job.status = CANCELED
            job.done = True
            self.pending -= 1
        for job in jobs:
            if job.on_cancel is not None:
                job.on_cancel(at)
            job.release()
        return True

    def take(self, job: Job) -> None:
        """Remove one pending job without running it (a merged run whose batch went out, or
        that was handed the batch); its status stays as it is."""
        if not job.done:
            self._done(job)
            job.release()

    def pending_jobs(self, limit: int | None = None) -> list[Job]:
        """Pending jobs in due order (the first `limit` of them)."""
        live = [entry for entry in self._heap if not entry[2].done]
        entries = sorted(live) if limit is None else heapq.nsmallest(limit, live)
        return [job for _, _, job in entries]

    def clear(self) -> None:
        for _, _, job in self._heap:
            if not job.done:
                job.status = CANCELED
                job.done = True
            job.release()
        self._heap = []
        self._by_transaction = {}
        self.pending = 0
        self.state = {}


class Owner(Protocol):
    """What the timeline needs of the engine that owns it (the engine imports this module,
    never the reverse): its clock and its lock."""

    @property
    def clock(self) -> Clock: ...

    @property
    def lock(self) -> Any: ...


class Timeline:
    """The engine's view of every scheduler with pending work; runs due work in due order.

    On a real clock a timer thread (started when work is scheduled, gone when none is left)
    runs work as the wall clock reaches it, taking the engine's lock only to run it.
    """

    _POLL = 0.1  # the longest the timer sleeps: a job scheduled meanwhile waits at most this

    def __init__(self, engine: Owner) -> None:
        self.engine = engine
        self.active: dict[Scheduler, None] = {}
        # Called under the lock before the clock moves: runs queued triggers so that the
        # delays and digests they reach are scheduled (set by the engine to delivery's flush).
        self.prepare: Callable[[], None] = lambda: None
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._draining: Scheduler | None = None
        self._elsewhere = False

    def activate(self, scheduler: Scheduler, due: float) -> None:
        self.active[scheduler] = None
        if scheduler is not self._draining:
            self._elsewhere = True  # run_due looks at every environment again
        if self.engine.clock.mode == "real":
            self._ensure_timer()
            self._wake.set()

    def pending(self) -> int:
        return sum(s.pending for s in self.active)

    def pending_jobs(self, limit: int | None = None) -> list[Job]:
        """Pending jobs of every environment in due order (the first `limit` of them)."""
        jobs = [job for s in self.active for job in s.pending_jobs(limit)]
        jobs.sort(key=lambda j: (j.due, j.seq))
        return jobs if limit is None else jobs[:limit]

    def next_due(self) -> float | None:
        best: float | None = None
        for scheduler in list(self.active):
            due = scheduler.next_due()
            if due is None:
                del self.active[scheduler]
            elif best is None or due < best:
                best = due
        return best

    def run_due(self, until: float, *, move_clock: bool = False) -> int:
        """Run every job due at or before `until`, earliest first, each at its own moment (a
        job that schedules more work due by `until` sees it run in turn). With `move_clock`
        (a virtual clock being moved) the clock stands at each job's moment while it runs.
        Returns the number of jobs run. Call under the engine's lock.

        The earliest environment's jobs run one after the other until another environment's
        next job (or `until`) comes first: the other environments are looked at again only
        then, so the cost per job does not grow with the number of environments waiting."""
        clock = self.engine.clock
        ran = 0
        active = self.active
        while active:
            best: Scheduler | None = None
            best_due = bound = until
            for scheduler in list(active):
                due = scheduler.next_due()
                if due is None:
                    del active[scheduler]
                elif due <= best_due and (best is None or due < best_due):
                    if best is not None:
                        bound = best_due
                    best, best_due = scheduler, due
                elif due < bound:
                    bound = due
            if best is None:
                break
            self._draining, self._elsewhere = best, False
            following: float | None = best_due
            while following is not None and following <= bound and not self._elsewhere:
                job = best.pop()
                if move_clock:
                    clock.set(job.due)
                if job.status == DELAYED:
                    job.status = COMPLETED
                try:
                    job.fire(job.due)
                except Exception:  # a bug of ours must not stop the rest of the timeline
                    _log.exception("novu-mock: pending job %s failed", job.id)
                job.release()
                ran += 1
                following = best.next_due()
            self._draining = None
        return ran

    def advance(self, seconds: float) -> None:
        """Move the clock forward, running due work on the way."""
        with self.engine.lock:
            clock = self.engine.clock
            target = clock.now() + seconds
            self._move(target)

    def set(self, ts: float) -> None:
        """Stand the clock at `ts`; work due by then runs (a clock set back runs nothing)."""
        with self.engine.lock:
            self._move(ts)

    def poke(self) -> None:
        """On a real clock: make sure the timer looks at queued and pending work soon."""
        self._ensure_timer()
        self._wake.set()

    def _move(self, target: float) -> None:
        self.prepare()
        clock = self.engine.clock
        if clock.mode == "virtual":
            self.run_due(target, move_clock=True)
            clock.set(target)
        else:
            clock.set(target)
            self.run_due(clock.now())
            self._wake.set()

    # -- the real clock's timer -------------------------------------------------------------

    def _ensure_timer(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._tick, name="novu-mock-timer", daemon=True)
            self._thread.start()

    def _tick(self) -> None:
        engine = self.engine
        while True:
            with engine.lock:
                if engine.clock.mode != "real":
                    self._thread = None
                    return
                self.prepare()
                now = engine.clock.now()
                self.run_due(now)
                due = self.next_due()
                if due is None:
                    self._thread = None
                    return
                wait = min(max(due - now, 0.0), self._POLL)
                self._wake.clear()
            self._wake.wait(wait)
