"""Retention of delivery history under a journal limit (`_delivery/retention.py`): the trim that
stops at the last dropped message keeps exactly what rebuilding the whole list kept, with held
runs (retired notifications whose late messages come after newer ones) and messages cut by
count before their notification goes."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from novu_mock import Call, Clock, Engine, bundled
from novu_mock._delivery import retention
from novu_mock._model.environment import Environment

WORKFLOWS = {
    "workflows": [
        {
            "workflowId": "before-and-after",
            "steps": [
                {"stepId": "first", "type": "in_app", "body": "first {{ payload.n }}"},
                {"stepId": "wait", "type": "delay", "amount": 5, "unit": "minutes"},
                {"stepId": "then", "type": "in_app", "body": "then {{ payload.n }}"},
            ],
        },
        {
            "workflowId": "batched",
            "steps": [
                {"stepId": "batch", "type": "digest", "amount": 10, "unit": "minutes"},
                {"stepId": "sum", "type": "in_app", "body": "{{ step.total_count }}"},
            ],
        },
        {
            "workflowId": "two",
            "steps": [
                {"stepId": "a", "type": "in_app", "body": "a"},
                {"stepId": "b", "type": "in_app", "body": "b"},
            ],
        },
    ],
    "subscribers": [{"subscriberId": f"s{n}"} for n in range(4)],
}


def _whole_list_trim(env: Environment, limit: int) -> None:
    """The trim before this module stopped early: the reference it must agree with."""
    messages = env.messages
    if len(messages) > limit:
        del messages[: len(messages) - limit]
    notifications = env.notifications
    retired = env.retired
    if len(notifications) <= limit and not retired:
        return
    dropped = notifications[: max(len(notifications) - limit, 0)]
    del notifications[: len(dropped)]
    held = {run.notification for run in env.suspended} if env.suspended else set()
    gone = set()
    for notification in [*dropped, *retired]:
        if notification in held:
            retired.add(notification)
            continue
        retired.discard(notification)
        gone.add(notification)
        for job in notification.jobs:
            job.message = None
    if gone:
        messages[:] = [m for m in messages if m.notification not in gone]


def _history(seed: int, limit: int) -> list[tuple[Any, ...]]:
    """A random mix of triggers and clock moves; after each step, what a reader sees."""
    rng = random.Random(seed)
    clock = Clock(frozen=1_700_000_000.0)
    engine = Engine([bundled(), WORKFLOWS], clock=clock, journal_limit=limit)
    headers = {"authorization": "ApiKey k", "content-type": "application/json"}
    seen: list[tuple[Any, ...]] = []
    for n in range(60):
        if rng.random() < 0.2:
            clock.advance(rng.choice((60, 300, 700)))
        events = [
            {
                "name": rng.choice(("before-and-after", "batched", "two", "welcome")),
                "to": rng.sample(["s0", "s1", "s2", "s3"], rng.randint(1, 3)),
                "payload": {"n": n},
                "transactionId": f"t{n}-{i}",
            }
            for i in range(rng.randint(1, 4))
        ]
        body = json.dumps({"events": events}).encode()
        reply = engine.handle(Call("POST", "/v1/events/trigger/bulk", "", headers, body))
        assert reply.status == 201
        with engine.locked():
            env = engine.delivered()[0]
            assert len(env.messages) <= limit and len(env.notifications) <= limit
            assert all(m.listed for m in env.messages)
            seen.append(
                tuple(
                    (m.transaction_id, m.subscriber_id, m.step_id, m.created_at)
                    for m in env.messages
                )
            )
            seen.append(
                tuple((x.transaction_id, x.subscriber_id, len(x.jobs)) for x in env.notifications)
            )
    return seen


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("limit", [3, 7, 20])
def test_the_early_stopping_trim_keeps_what_the_whole_list_trim_kept(
    seed: int, limit: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    ours = _history(seed, limit)
    monkeypatch.setattr(retention, "trim", _whole_list_trim)
    monkeypatch.setattr("novu_mock._delivery.run.trim", _whole_list_trim)
    assert ours == _history(seed, limit)
