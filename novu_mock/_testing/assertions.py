"""`assert_triggered` / `assert_not_triggered`: matching trigger records, explaining near misses."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .._model.records import sent_ids
from .._model.values import identifier_of, short
from .matching import Filters, satisfied

_MAX_NEAR_MISSES = 3
_MAX_REPR = 200


def is_subset(expected: Any, actual: Any) -> bool:
    """`expected` is contained in `actual`: dicts by key (nested), everything else by equality."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            key in actual and is_subset(value, actual[key]) for key, value in expected.items()
        )
    return bool(expected == actual)


def first_mismatch(expected: Any, actual: Any, path: str = "payload") -> str | None:
    """Where `expected` stops being a subset of `actual`, e.g. `payload.user.name: expected
    'Ada', recorded 'Bob'`; None when it is a subset."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return f"{path}: expected an object, recorded {short(actual, _MAX_REPR)}"
        for key, value in expected.items():
            if key not in actual:
                return f"{path}.{key}: missing (expected {short(value, _MAX_REPR)})"
            found = first_mismatch(value, actual[key], f"{path}.{key}")
            if found:
                return found
        return None
    if expected == actual:
        return None
    return f"{path}: expected {short(expected, _MAX_REPR)}, recorded {short(actual, _MAX_REPR)}"


def missed_leaves(expected: Any, actual: Any) -> int:
    """How many leaf values of `expected` are not found in `actual` (0 for a subset)."""
    if isinstance(expected, dict) and expected:
        return sum(
            missed_leaves(value, actual[key])
            if isinstance(actual, dict) and key in actual
            else missed_leaves(value, None) or 1
            for key, value in expected.items()
        )
    return 0 if expected == actual else 1


class Expectation(Filters):
    """The filters of one assertion; `differences()` names each filter a record fails."""

    _first = "workflow_id"
    _named = ("to", "payload", "tenant", "actor", "status", "transaction_id")

    def __init__(
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
        self.workflow_id = workflow_id
        self.to = [to] if isinstance(to, str) else (list(to) if to is not None else None)
        self.payload = payload
        self.tenant = tenant
        self.actor = actor
        self.status = status
        self.transaction_id = transaction_id

    def differences(self, record: dict[str, Any]) -> list[tuple[str, Any, Any]]:
        """(filter, expected, recorded) for every filter that `record` does not satisfy."""
        diffs: list[tuple[str, Any, Any]] = []
        if record["workflowId"] != self.workflow_id:
            diffs.append(("workflow_id", self.workflow_id, record["workflowId"]))
        if self.to is not None:
            reached = set(record["recipients"]) | set(sent_ids(record["to"]))
            missing = [sub for sub in self.to if sub not in reached]
            if missing:
                diffs.append(("to", self.to, sorted(reached) if reached else record["to"]))
        if self.payload is not None and not is_subset(self.payload, record["payload"]):
            diffs.append(("payload", self.payload, record["payload"]))
        if self.tenant is not None and identifier_of(record["tenant"], "identifier") != self.tenant:
            diffs.append(("tenant", self.tenant, record["tenant"]))
        if self.actor is not None and identifier_of(record["actor"], "subscriberId") != self.actor:
            diffs.append(("actor", self.actor, record["actor"]))
        if self.status is not None and record["status"] != self.status:
            diffs.append(("status", self.status, record["status"]))
        if self.transaction_id is not None and record["transactionId"] != self.transaction_id:
            diffs.append(("transaction_id", self.transaction_id, record["transactionId"]))
        return diffs


def _near_misses(expectation: Expectation, records: list[dict[str, Any]]) -> str:
    # Closest first: the same workflow, fewer differing filters, fewer payload values missed,
    # then the most recent.
    def closeness(item: tuple[list[tuple[str, Any, Any]], int, dict[str, Any]]) -> tuple[Any, ...]:
        diffs, index, record = item
        payload_missed = (
            missed_leaves(expectation.payload, record["payload"]) if expectation.payload else 0
        )
        return (diffs[0][0] == "workflow_id", len(diffs), payload_missed, -index)

    scored = sorted(
        ((diffs, i, r) for i, r in enumerate(records) if (diffs := expectation.differences(r))),
        key=closeness,
    )
    lines = []
    for diffs, _, record in scored[:_MAX_NEAR_MISSES]:
        lines.append(
            f"  - transactionId {record['transactionId']!r} "
            f"(workflow {record['workflowId']!r}, status {record['status']!r}, "
            f"source {record['source']!r}):"
        )
        for name, expected, recorded in diffs:
            lines.append(
                f"      {name}: expected {short(expected, _MAX_REPR)}, "
                f"recorded {short(recorded, _MAX_REPR)}"
            )
            if name == "payload":
                lines.append(f"        first difference at {first_mismatch(expected, recorded)}")
    if len(scored) > _MAX_NEAR_MISSES:
        lines.append(f"  ({len(scored) - _MAX_NEAR_MISSES} more not shown; see mock.triggers)")
    return "\n".join(lines)


def check_triggered(
    records: list[dict[str, Any]], expectation: Expectation, times: int | None
) -> None:
    __tracebackhide__ = True
    matched = [r for r in records if not expectation.differences(r)]
    if satisfied(matched, times):
        return
    wanted = f"exactly {times} trigger(s)" if times is not None else "a trigger"
    message = (
        f"Expected {wanted} of {expectation.describe()}; "
        f"{len(matched)} of the {len(records)} recorded trigger(s) matched."
    )
    if not records:
        message += " Nothing was triggered: check that the code under test reached the mock."
    elif len(matched) < (times or 1):
        near = _near_misses(expectation, records)
        if near:
            message += "\nClosest recorded triggers:\n" + near
    if matched and times is not None:
        message += "\nMatching: " + ", ".join(str(r["transactionId"]) for r in matched)
    raise AssertionError(message)


def check_not_triggered(records: list[dict[str, Any]], expectation: Expectation) -> None:
    __tracebackhide__ = True
    matched = [r for r in records if not expectation.differences(r)]
    if matched:
        listed = ", ".join(f"{r['transactionId']} ({r['status']})" for r in matched[:5])
        raise AssertionError(
            f"Expected no trigger of {expectation.describe()}; {len(matched)} matched: {listed}"
        )
