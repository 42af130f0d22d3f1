"""`assert_notified` / `assert_not_notified`: matching delivered messages, explaining near misses
(the nearest messages with each differing field, and the skips that explain an absence)."""

from __future__ import annotations

from typing import Any

from .._model.values import short
from .matching import Filters, satisfied

_MAX_NEAR = 3
_MAX_REPR = 200

# (argument name, message field)
_FIELDS = (
    ("subscriber_id", "subscriberId"),
    ("channel", "channel"),
    ("workflow_id", "workflowId"),
    ("subject", "subject"),
    ("content", "content"),
)


def _short(value: Any) -> str:
    return short(value, _MAX_REPR)


class MessageExpectation(Filters):
    """The filters of one assertion; `differences()` names each filter a message fails."""

    _first = "subscriber_id"
    _named = ("channel", "workflow_id", "subject", "content", "contains")

    def __init__(
        self,
        subscriber_id: str,
        *,
        channel: str | None = None,
        workflow_id: str | None = None,
        subject: str | None = None,
        content: str | None = None,
        contains: str | None = None,
    ) -> None:
        self.subscriber_id = subscriber_id
        self.channel = channel
        self.workflow_id = workflow_id
        self.subject = subject
        self.content = content
        self.contains = contains

    def differences(self, message: dict[str, Any]) -> list[tuple[str, Any, Any]]:
        diffs: list[tuple[str, Any, Any]] = []
        for name, field in _FIELDS:
            wanted = getattr(self, name)
            if wanted is not None and message.get(field) != wanted:
                diffs.append((name, wanted, message.get(field)))
        if self.contains is not None:
            text = f"{message.get('subject') or ''}\n{message.get('content') or ''}"
            if self.contains not in text:
                diffs.append(
                    (
                        "contains",
                        self.contains,
                        {"subject": message.get("subject"), "content": message.get("content")},
                    )
                )
        return diffs

    def explains(self, skip: dict[str, Any]) -> bool:
        """Whether a skipped step is one this expectation asked about."""
        return (
            skip["subscriberId"] == self.subscriber_id
            and (self.channel is None or skip["channel"] == self.channel)
            and (self.workflow_id is None or skip["workflowId"] == self.workflow_id)
        )


def _near_misses(expectation: MessageExpectation, messages: list[dict[str, Any]]) -> str:
    def closeness(item: tuple[list[tuple[str, Any, Any]], int]) -> tuple[Any, ...]:
        diffs, index = item
        wrong_person = any(name == "subscriber_id" for name, _, _ in diffs)
        return (wrong_person, len(diffs), -index)

    scored = sorted(
        ((diffs, i) for i, m in enumerate(messages) if (diffs := expectation.differences(m))),
        key=closeness,
    )
    lines = []
    for diffs, index in scored[:_MAX_NEAR]:
        m = messages[index]
        lines.append(
            f"  - {m['channel']} to {m['subscriberId']!r} (workflow {m['workflowId']!r}, "
            f"step {m['stepId']!r}, transactionId {m['transactionId']!r}):"
        )
        lines.append(f"      subject: {_short(m.get('subject'))}")
        lines.append(f"      content: {_short(m.get('content'))}")
        for name, wanted, found in diffs:
            lines.append(f"      {name}: expected {_short(wanted)}, recorded {_short(found)}")
    if len(scored) > _MAX_NEAR:
        lines.append(f"  ({len(scored) - _MAX_NEAR} more not shown; see mock.messages)")
    return "\n".join(lines)


def _skips(expectation: MessageExpectation, skips: list[dict[str, Any]]) -> str:
    found = [s for s in skips if expectation.explains(s)]
    lines = [
        f"  - {s['channel']} step {s['stepId']!r} of {s['workflowId']!r} "
        f"(transactionId {s['transactionId']!r}): {s['reason']}: {s['detail']}"
        for s in found[-_MAX_NEAR:]
    ]
    return "\n".join(lines)


def check_notified(
    messages: list[dict[str, Any]],
    skips: list[dict[str, Any]],
    expectation: MessageExpectation,
    times: int | None,
) -> None:
    __tracebackhide__ = True
    matched = [m for m in messages if not expectation.differences(m)]
    if satisfied(matched, times):
        return
    wanted = f"exactly {times} message(s)" if times is not None else "a message"
    message = (
        f"Expected {wanted} to {expectation.describe()}; "
        f"{len(matched)} of the {len(messages)} message(s) matched."
    )
    if not messages:
        message += " No message was sent."
    elif len(matched) < (times or 1):
        near = _near_misses(expectation, messages)
        if near:
            message += "\nNearest messages:\n" + near
    skipped = _skips(expectation, skips)
    if skipped and len(matched) < (times or 1):
        message += "\nSkipped steps:\n" + skipped
    if matched and times is not None:
        message += "\nMatching: " + ", ".join(
            f"{m['channel']} {m['id']} ({m['transactionId']})" for m in matched
        )
    raise AssertionError(message)


def check_not_notified(messages: list[dict[str, Any]], expectation: MessageExpectation) -> None:
    __tracebackhide__ = True
    matched = [m for m in messages if not expectation.differences(m)]
    if matched:
        listed = "\n".join(
            f"  - {m['channel']} (workflow {m['workflowId']!r}, transactionId "
            f"{m['transactionId']!r}): subject {_short(m.get('subject'))}, content "
            f"{_short(m.get('content'))}"
            for m in matched[:5]
        )
        raise AssertionError(
            f"Expected no message to {expectation.describe()}; {len(matched)} matched:\n{listed}"
        )
