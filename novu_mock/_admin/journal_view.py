"""Server-side views of the trigger journal for the dashboard: select, page, look up, aggregate.

Everything here runs under the engine's lock (the handlers call it) and walks the journal at most
once, so a page of 100,000 records costs one pass and returns only `limit` compact rows.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .._model.clock import iso_utc
from .._model.records import Owner, RequestRecord, TriggerRecord

CHANNELS = ("in_app", "email", "sms", "chat", "push")
RECIPIENTS_SHOWN = 20

_EVENT_PATHS = {
    "trigger": "/events/trigger",
    "bulk": "/events/trigger/bulk",
    "broadcast": "/events/trigger/broadcast",
}


@dataclass(frozen=True, slots=True)
class Selection:
    """Which records a view covers: when `scoped`, only those of `env` (an admin call with a key;
    None when that key has no environment yet); those of environments shown as `masked` (the
    dashboard's environment filter); and the record filters of GET /_mock/triggers."""

    env: Owner | None = None
    masked: str | None = None
    filters: Mapping[str, str] | None = None
    scoped: bool = False

    def covers(self, record: TriggerRecord) -> bool:
        if self.scoped and record.environment is not self.env:
            return False
        if self.masked is not None and record.environment.masked != self.masked:
            return False
        return not self.filters or record.matches(**self.filters)

    @property
    def everything(self) -> bool:
        return not self.scoped and self.masked is None and not self.filters


def newest_first(
    journal: Sequence[TriggerRecord], selection: Selection, offset: int, limit: int
) -> tuple[list[TriggerRecord], int]:
    """Page `[offset, offset + limit)` of the selected records, newest first, and their total."""
    if selection.everything:
        total = len(journal)
        stop = max(total - offset, 0)
        return list(reversed(journal[max(stop - limit, 0) : stop])), total
    page: list[TriggerRecord] = []
    total = 0
    end = offset + limit
    for record in reversed(journal):
        if selection.covers(record):
            if offset <= total < end:
                page.append(record)
            total += 1
    return page, total


def row(record: TriggerRecord) -> dict[str, Any]:
    """A journal table row: the record without its (possibly large) request parts."""
    return {
        "seq": record.seq,
        "receivedAt": iso_utc(record.received_at),
        "environment": record.environment.masked,
        "workflowId": record.workflow_id,
        "status": record.status,
        "error": record.error,
        "recipients": record.recipients[:RECIPIENTS_SHOWN],
        "recipientCount": len(record.recipients),
        "transactionId": record.transaction_id,
        "source": record.source,
        "bulkIndex": record.bulk_index,
        "canceled": record.canceled,
        "forced": record.forced,
        "noteCount": len(record.notes),
    }


def find(journal: Sequence[TriggerRecord], seq: int) -> TriggerRecord | None:
    """The record numbered `seq`: by bisection, as records are journaled in `seq` order, with a
    scan as the fallback should a record ever be journaled out of order."""
    index = bisect_left(journal, seq, key=lambda r: r.seq)
    if index < len(journal) and journal[index].seq == seq:
        return journal[index]
    return next((r for r in journal if r.seq == seq), None)


def answer_of(record: TriggerRecord, requests: Sequence[RequestRecord]) -> tuple[int, Any] | None:
    """The HTTP status and the status object answered for `record`, from the request journal."""
    request = request_of(record, requests)
    if request is None:
        return None
    return request.status, _answered_item(request.response, record.bulk_index)


def sent_of(record: TriggerRecord, requests: Sequence[RequestRecord]) -> Any:
    """The event exactly as the client sent it (a bulk's item at `bulk_index`), from the request
    journal; when that request is no longer journaled, the record's fields that were sent."""
    request = request_of(record, requests)
    if request is not None:
        body = request.body
        if record.bulk_index is None:
            return body
        events = body.get("events") if isinstance(body, dict) else None
        if isinstance(events, list) and 0 <= record.bulk_index < len(events):
            return events[record.bulk_index]
    sent: dict[str, Any] = {"name": record.workflow_id}
    for name, value in (
        ("to", record.to),
        ("payload", record.payload),
        ("overrides", record.overrides),
        ("actor", record.actor),
        ("tenant", record.tenant),
    ):
        if (value is not None and value != {}) or name == "to":
            sent[name] = value
    return sent


def request_of(record: TriggerRecord, requests: Sequence[RequestRecord]) -> RequestRecord | None:
    """The journaled request whose answer holds `record`'s status object."""
    suffix = _EVENT_PATHS.get(record.source)
    if suffix is None:
        return None
    for request in reversed(requests):
        if request.environment is not record.environment:
            continue
        if request.received_at != record.received_at:
            continue
        if not request.path.rstrip("/").endswith(suffix):
            continue
        item = _answered_item(request.response, record.bulk_index)
        if (
            isinstance(item, dict)
            and item.get("status") == record.status
            and item.get("transactionId") == record.transaction_id
        ):
            return request
    return None


def _answered_item(response: Any, bulk_index: int | None) -> Any:
    """The status object in a trigger's response body; in a bulk's, the one at `bulk_index`."""
    data = response.get("data") if isinstance(response, dict) else None
    if bulk_index is None:
        return data
    if isinstance(data, list) and 0 <= bulk_index < len(data):
        return data[bulk_index]
    return None


def rebuilt_answer(record: TriggerRecord) -> dict[str, Any]:
    """The status object as the record implies it (when its request is no longer journaled)."""
    answer: dict[str, Any] = {"acknowledged": True, "status": record.status}
    if record.error is not None:
        answer["error"] = list(record.error)
    if record.transaction_id is not None:
        answer["transactionId"] = record.transaction_id
    return answer


def channels_of(env: Owner, workflow_id: Any) -> list[str]:
    """The delivery channels of a workflow's active steps (digest, delay and custom excluded)."""
    workflow = env.workflows.get(workflow_id) if isinstance(workflow_id, str) else None
    if workflow is None:
        return []
    return [s["type"] for s in workflow.steps if s.get("active", True) and s["type"] in CHANNELS]


def _empty_channels() -> dict[str, int]:
    return dict.fromkeys(CHANNELS, 0)


def deliveries(journal: Iterable[TriggerRecord], selection: Selection) -> list[dict[str, Any]]:
    """What each subscriber would have received: per environment and subscriber, the processed
    triggers that reached it, counted by channel overall and by workflow. A cancelled trigger is
    counted as cancelled and delivers nothing."""
    found: dict[tuple[int, str], dict[str, Any]] = {}
    steps: dict[tuple[int, Any], list[str]] = {}
    for record in journal:
        if record.status != "processed" or not record.recipients or not selection.covers(record):
            continue
        env = record.environment
        key = (id(env), record.workflow_id)
        if key not in steps:
            steps[key] = channels_of(env, record.workflow_id)
        channels = [] if record.canceled else steps[key]
        for subscriber_id in record.recipients:
            entry = found.get((id(env), subscriber_id))
            if entry is None:
                entry = {
                    "environment": env.masked,
                    "subscriberId": subscriber_id,
                    "triggers": 0,
                    "canceled": 0,
                    "channels": _empty_channels(),
                    "workflows": {},
                    "lastSeq": 0,
                }
                found[(id(env), subscriber_id)] = entry
            entry["triggers"] += 1
            entry["canceled"] += record.canceled
            entry["lastSeq"] = record.seq
            per_workflow = entry["workflows"].setdefault(
                str(record.workflow_id), {"triggers": 0, "channels": _empty_channels()}
            )
            per_workflow["triggers"] += 1
            for channel in channels:
                entry["channels"][channel] += 1
                per_workflow["channels"][channel] += 1
    return sorted(found.values(), key=lambda e: (e["environment"] or "", e["subscriberId"]))
