"""What the journals keep: trigger records, request records, and one environment's journal of
both, capped at the journal limit."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any, Protocol
from urllib.parse import parse_qsl

from .clock import iso_utc
from .entities import Workflow
from .scheduler import Job


class Owner(Protocol):
    """The environment a record belongs to, as far as records and their views need it (the
    environment module imports this one, never the reverse)."""

    @property
    def masked(self) -> str | None: ...

    @property
    def workflows(self) -> Mapping[str, Workflow]: ...


# The filters of GET /_mock/triggers (and of the dashboard's trigger list).
TRIGGER_FILTERS = ("workflowId", "subscriberId", "transactionId", "status")

# Journal sequence numbers: unique and increasing for the whole process, never reused after a
# reset, so a dashboard link to one record can never point at another.
_sequence = itertools.count(1)
_request_sequence = itertools.count(1)


class TriggerRecord:
    """One status object the mock answered, as the journal keeps it (DESIGN section 6)."""

    __slots__ = (
        "_jobs",
        "actor",
        "bulk_index",
        "canceled",
        "environment",
        "error",
        "forced",
        "notes",
        "overrides",
        "payload",
        "received_at",
        "recipients",
        "seq",
        "source",
        "status",
        "tenant",
        "to",
        "transaction_id",
        "workflow",
        "workflow_id",
    )

    def __init__(  # positional too: the trigger path passes its arguments by position
        self,
        transaction_id: str | None,
        workflow_id: Any,
        status: str,
        error: list[str] | None,
        to: Any,
        recipients: Sequence[str],
        payload: Any,
        overrides: Any,
        actor: Any,
        tenant: Any,
        source: str,
        bulk_index: int | None,
        received_at: float,
        forced: bool,
        notes: Sequence[str],
        environment: Owner,
    ) -> None:
        self.transaction_id = transaction_id
        self.workflow_id = workflow_id
        self.status = status
        self.error = error
        self.to = to
        self.recipients = recipients
        self.payload = payload
        self.overrides = overrides
        self.actor = actor
        self.tenant = tenant
        self.source = source
        self.bulk_index = bulk_index
        self.received_at = received_at
        self.canceled = False
        self._jobs: list[Job] | None = None  # made on first use (see `jobs`)
        self.forced = forced
        self.notes = notes
        self.environment = environment
        self.seq = next(_sequence)
        self.workflow: Workflow | None = None  # the one it runs, once queued (_delivery/run.py)

    @property
    def jobs(self) -> list[Job]:
        """Held delay and digest steps (the scheduler's jobs). Most triggers hold none, and an
        empty list per journaled record would be one more object every full garbage collection
        walks: the list is made when first asked for."""
        if self._jobs is None:
            self._jobs = []
        return self._jobs

    def to_dict(self) -> dict[str, Any]:
        return {
            "transactionId": self.transaction_id,
            "workflowId": self.workflow_id,
            "status": self.status,
            "error": self.error,
            "to": self.to,
            "recipients": list(self.recipients),
            "payload": self.payload,
            "overrides": self.overrides,
            "actor": self.actor,
            "tenant": self.tenant,
            "source": self.source,
            "bulkIndex": self.bulk_index,
            "receivedAt": iso_utc(self.received_at),
            "canceled": self.canceled,
            "forced": self.forced,
            "notes": list(self.notes),
            "jobs": [job.to_dict() for job in self._jobs or ()],
            "environment": self.environment.masked,
        }

    def matches(
        self,
        workflowId: str | None = None,
        subscriberId: str | None = None,
        transactionId: str | None = None,
        status: str | None = None,
    ) -> bool:
        """The filters of GET /_mock/triggers; `subscriberId` is any recipient or id sent."""
        if workflowId is not None and self.workflow_id != workflowId:
            return False
        if transactionId is not None and self.transaction_id != transactionId:
            return False
        if status is not None and self.status != status:
            return False
        return subscriberId is None or (
            subscriberId in self.recipients or subscriberId in sent_ids(self.to)
        )


class RequestRecord:
    """One Novu call as the request journal keeps it (DESIGN section 6)."""

    __slots__ = (
        "body",
        "duration_ms",
        "environment",
        "headers",
        "method",
        "path",
        "query",
        "received_at",
        "response",
        "seq",
        "status",
    )

    def __init__(
        self,
        *,
        method: str,
        path: str,
        query: str,
        headers: Mapping[str, str],
        body: Any,
        status: int,
        response: Any,
        received_at: float,
        duration_ms: float,
        environment: Owner | None,
    ) -> None:
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.status = status
        self.response = response
        self.received_at = received_at
        self.duration_ms = duration_ms
        self.environment = environment
        self.seq = next(_request_sequence)

    def to_dict(self) -> dict[str, Any]:
        query: dict[str, Any] = {}
        for name, value in parse_qsl(self.query, keep_blank_values=True):
            if name in query:
                previous = query[name]
                query[name] = (
                    [*previous, value] if isinstance(previous, list) else [previous, value]
                )
            else:
                query[name] = value
        headers = dict(self.headers)  # masked when recorded (Engine._shown_headers)
        return {
            "method": self.method,
            "path": self.path,
            "query": query,
            "headers": headers,
            "body": self.body,
            "status": self.status,
            "response": self.response,
            "receivedAt": iso_utc(self.received_at),
            "durationMs": round(self.duration_ms, 3),
            "environment": self.environment.masked if self.environment is not None else None,
        }


def sent_ids(to: Any) -> list[str]:
    """subscriberIds in `to` as sent: strings and subscriber objects, not topics."""
    items = to if isinstance(to, list) else [to]
    ids = []
    for item in items:
        if isinstance(item, str):
            ids.append(item)
        elif isinstance(item, dict) and isinstance(item.get("subscriberId"), str):
            ids.append(item["subscriberId"])
    return ids


class Journal:
    """One environment's records, oldest first: `triggers` (TriggerRecord) and `requests`
    (RequestRecord), each capped at the newest `limit` records by `trim` (None: no cap)."""

    __slots__ = ("limit", "requests", "triggers")

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.triggers: list[TriggerRecord] = []
        self.requests: list[RequestRecord] = []

    def trim(self) -> list[TriggerRecord]:
        """Drop what is over the limit; the trigger records dropped."""
        if self.limit is None:
            return []
        dropped: list[TriggerRecord] = []
        excess = len(self.triggers) - self.limit
        if excess > 0:
            dropped = self.triggers[:excess]
            del self.triggers[:excess]
        excess = len(self.requests) - self.limit
        if excess > 0:
            del self.requests[:excess]
        return dropped
