"""The bulk's per-bulk loop (`triggers.run_bulk`) does for each event exactly what the general
per-event path (`triggers._bulk_item`) does: same answers, journals, cancel index, stores and
delivery queue, for bulks that mix events it answers itself with every kind it hands on."""

from __future__ import annotations

import json
from typing import Any

import pytest

from novu_mock import bundled
from novu_mock._core.engine import Engine
from novu_mock._core.http import Call
from novu_mock._model.clock import Clock
from novu_mock._novu import triggers

KEY = "fast-path-key"
HEADERS = {"authorization": f"ApiKey {KEY}", "content-type": "application/json"}

# No forced outcomes (they send every event the general way): the default fixtures plus the
# workflows whose events the loop must hand on.
EXTRA: dict[str, Any] = {
    "workflows": [
        {"workflowId": "plain", "name": "Plain", "steps": [{"type": "in_app"}]},
        {"workflowId": "off", "name": "Off", "active": False, "steps": [{"type": "in_app"}]},
        {"workflowId": "empty", "name": "Empty", "steps": []},
        {
            "workflowId": "held",
            "name": "Held",
            "steps": [
                {"stepId": "wait", "type": "delay", "amount": 5, "unit": "minutes"},
                {"type": "in_app"},
            ],
        },
        {
            "workflowId": "paused-for-acme",
            "name": "Paused",
            "steps": [{"type": "in_app"}],
            "tenantOverrides": {"acme": {"active": False}},
        },
    ],
    "subscribers": [{"subscriberId": f"s{i}"} for i in range(6)],
}

EVENTS: list[Any] = [
    {"name": "plain", "to": ["s0", "s1", "s2"], "payload": {"n": 1, "f": 2.5}},
    {"name": "welcome", "to": ["user-1"], "overrides": {"email": {"subject": "x"}}},
    {"name": "plain", "to": ["  s3\u00a0", "s3", "s4"]},  # trimmed, repeated
    {"name": "plain", "to": ["brand-new", "s0"], "transactionId": "txn-user-1"},
    {"name": "plain", "to": ["s1"], "transactionId": "txn-user-1"},  # repeated in the bulk
    {"name": "plain", "to": ["s2"], "transactionId": "txn-earlier"},  # repeated across bulks
    {"name": "plain", "to": ["s2"], "transactionId": ""},
    {"name": "plain", "to": []},
    {"name": "plain", "to": ["   "]},  # trims to nothing: dropped with a note
    {"name": "plain", "to": ["s1", {"subscriberId": "s5", "firstName": "Ada"}]},
    {"name": "plain", "to": [{"type": "Topic", "topicKey": "beta-users"}]},
    {"name": "plain", "to": "s1"},
    {"name": "plain", "to": ["s1"], "actor": "s2"},
    {"name": "plain", "to": ["s1"], "tenant": "acme"},
    {"name": "paused-for-acme", "to": ["s1"], "tenant": "acme"},
    {"name": "paused-for-acme", "to": ["s1"]},
    {"name": "off", "to": ["s1"]},
    {"name": "empty", "to": ["s1"]},
    {"name": "held", "to": ["s1", "s2"]},
    {"name": "password-reset", "to": ["s1"], "payload": {}},  # its payload schema refuses
    {"name": "password-reset", "to": ["s1"], "payload": {"resetUrl": "https://x.test/r"}},
    {"name": "missing", "to": ["s1"]},
    {"name": 7, "to": ["s1"]},
    {"to": ["s1"]},
    {"name": "plain"},
    {"name": "plain", "to": ["s1"], "payload": [1]},
    {"name": "plain", "to": ["s1"], "transactionId": 5},
    {"name": "plain", "to": ["s1"], "actor": 5},
    {"name": "plain", "to": [1, "s1"]},
    {"name": "plain", "to": [None]},
    "not an event",
    None,
    {"name": "plain", "to": ["s5", "s4", "s3"], "payload": None, "overrides": None},
    {"name": "plain", "to": " \u3000"},  # a lone recipient that trims to nothing
]


def _call(body: Any) -> Call:
    return Call("POST", "/v1/events/trigger/bulk", "", dict(HEADERS), json.dumps(body).encode())


def _general(ctx: triggers.Context, events: list[Any]) -> list[dict[str, Any]]:
    return [triggers._bulk_item(ctx, event, index) for index, event in enumerate(events)]


def _run(monkeypatch: pytest.MonkeyPatch, general: bool) -> dict[str, Any]:
    with monkeypatch.context() as patch:
        if general:
            patch.setattr(triggers, "run_bulk", _general)
            patch.setattr("novu_mock._novu.events.run_bulk", _general)
        # A virtual clock: with a real one, the timer a held run arms may run the queue from
        # its own thread at any moment, so one run's journal would show jobs the other's not.
        engine = Engine([bundled("default.yaml"), EXTRA], clock=Clock.virtual())
        first = engine.handle(
            _call({"events": [{"name": "plain", "to": ["s0"], "transactionId": "txn-earlier"}]})
        )
        assert first.status == 201
        reply = engine.handle(_call({"events": EVENTS}))
        assert reply.status == 201
        env = engine.environment(KEY)
        pending = [
            (r.transaction_id, r.workflow.workflow_id if r.workflow else None) for r in env.pending
        ]
        processed = {txn: [r.seq for r in env.processed_records(txn)] for txn in env.processed}
        subscribers = {k: sorted(v) for k, v in env.subscribers.items()}
        awaiting = env.scheduler.awaiting
        journal = [r.to_dict() for r in engine.trigger_journal(KEY)]
        seqs = [r.seq for r in engine.trigger_journal(KEY)]
        answer = json.loads(reply.body)["data"]
        settled = engine.delivered(KEY)[0]
        delivered = [
            (
                m.notification.record.bulk_index,
                m.notification.context["subscriber"]["subscriberId"],
                m.channel,
                m.address,
            )
            for m in settled.messages
        ]
    # Generated transactionIds and the process-wide sequence numbers differ between runs:
    # compare them by position.
    generated = {}
    for item in answer:
        if "activityFeedLink" in item:
            generated[item["activityFeedLink"]] = "<the request's link>"
        txn = item.get("transactionId")
        if isinstance(txn, str) and txn.startswith("txn_") and len(txn) == 28:
            generated[txn] = f"<generated {len(generated)}>"
    base = seqs[0]
    text = json.dumps(
        {
            "answer": answer,
            "journal": journal,
            "pending": pending,
            "processed": {k: [s - base for s in v] for k, v in processed.items()},
            "subscribers": subscribers,
            "awaiting": awaiting,
            "delivered": delivered,
        },
        sort_keys=True,
        default=str,
    )
    for txn, label in generated.items():
        text = text.replace(txn, label)
    state: dict[str, Any] = json.loads(text)
    return state


def test_the_bulk_loop_does_what_the_per_event_path_does(monkeypatch: pytest.MonkeyPatch) -> None:
    fast = _run(monkeypatch, general=False)
    general = _run(monkeypatch, general=True)
    # What differs run to run on its own (ids and moments) is compared by shape only.
    for state in (fast, general):
        for record in state["journal"]:
            record.pop("receivedAt")
    assert fast["answer"] == general["answer"]
    assert fast["journal"] == general["journal"]
    assert fast["pending"] == general["pending"]
    assert fast["processed"] == general["processed"]
    assert fast["subscribers"] == general["subscribers"]
    assert fast["awaiting"] == general["awaiting"]
    assert fast["delivered"] == general["delivered"]
    # The mix covers both ways: some events answered by the loop, and each kind handed on.
    statuses = [item["status"] for item in fast["answer"]]
    assert statuses.count("processed") > 10 and "error" in statuses
    assert "trigger_not_active" in statuses and "invalid_recipients" in statuses


def test_the_loop_takes_the_common_event(monkeypatch: pytest.MonkeyPatch) -> None:
    """Guard of the comparison above: the plain events really go through the loop (the
    general path is not called for them)."""
    handed_on: list[int] = []
    general = triggers._bulk_item

    def counted(ctx: triggers.Context, event: Any, index: int) -> dict[str, Any]:
        handed_on.append(index)
        return general(ctx, event, index)

    monkeypatch.setattr(triggers, "_bulk_item", counted)
    engine = Engine([bundled("default.yaml"), EXTRA])
    reply = engine.handle(_call({"events": EVENTS}))
    assert reply.status == 201
    assert 0 not in handed_on and 1 not in handed_on and 2 not in handed_on
    assert 9 in handed_on and 12 in handed_on and 30 in handed_on
