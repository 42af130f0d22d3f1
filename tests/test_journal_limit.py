"""The journal cap: `Engine(journal_limit=N)` and `novu-mock serve --journal-limit N`."""

from __future__ import annotations

import json

import pytest

from novu_mock import Clock, bundled
from novu_mock._cli import _parser
from novu_mock._core.engine import Engine
from novu_mock._core.http import Call

HEADERS = {"authorization": "ApiKey limit-key", "content-type": "application/json"}
# `welcome` with a delay first, so that its triggers have pending work to cancel (D10 revised).
DELAYED_WELCOME = {
    "workflows": [
        {
            "workflowId": "welcome",
            "steps": [{"type": "delay", "amount": 1, "unit": "hours"}, {"type": "in_app"}],
        }
    ]
}


def trigger(engine: Engine, transaction_id: str, key: str = "limit-key") -> dict[str, object]:
    body = {"name": "welcome", "to": "user-1", "transactionId": transaction_id}
    headers = {**HEADERS, "authorization": f"ApiKey {key}"}
    reply = engine.handle(
        Call("POST", "/v1/events/trigger", "", headers, json.dumps(body).encode())
    )
    assert reply.status == 201
    return reply.payload["data"]  # type: ignore[no-any-return]


def cancel(engine: Engine, transaction_id: str) -> bool:
    reply = engine.handle(Call("DELETE", f"/v1/events/trigger/{transaction_id}", "", HEADERS))
    assert reply.status == 200
    return reply.payload["data"]  # type: ignore[no-any-return]


def test_keeps_the_newest_records_of_each_journal() -> None:
    engine = Engine([bundled()], journal_limit=3)
    for n in range(5):
        trigger(engine, f"t{n}")
    assert [r["transactionId"] for r in engine.trigger_records()] == ["t2", "t3", "t4"]
    requests = engine.request_records()
    assert [r["body"]["transactionId"] for r in requests] == ["t2", "t3", "t4"]


def test_bulk_records_count_one_each() -> None:
    engine = Engine([bundled()], journal_limit=150)
    events = [{"name": "welcome", "to": "user-1", "transactionId": f"b{i}"} for i in range(100)]
    for _ in range(2):
        reply = engine.handle(
            Call(
                "POST",
                "/v1/events/trigger/bulk",
                "",
                HEADERS,
                json.dumps({"events": events}).encode(),
            )
        )
        assert reply.status == 201
    journal = engine.trigger_journal()
    assert len(journal) == 150 and len(engine.request_journal()) == 2
    assert journal[0].bulk_index == 50


def test_dropped_triggers_leave_the_cancel_index() -> None:
    engine = Engine([bundled(), DELAYED_WELCOME], clock=Clock.virtual(), journal_limit=2)
    trigger(engine, "old")
    trigger(engine, "mid")
    trigger(engine, "new")
    env = engine.environment("limit-key")
    assert "old" not in env.processed and set(env.processed) == {"mid", "new"}
    # Its record left the journal, but its delayed work was still pending: Novu cancels it.
    assert cancel(engine, "old") is True
    assert [r["canceled"] for r in engine.trigger_records()] == [False, False]
    assert cancel(engine, "new") is True
    assert engine.trigger_records()[-1]["canceled"] is True
    # A cancel is a request record, not a trigger record: it pushes only requests out.
    assert [r["method"] for r in engine.request_records()] == ["DELETE", "DELETE"]
    assert set(env.processed) == {"mid", "new"}


def test_a_duplicate_transaction_keeps_its_newer_record_indexed() -> None:
    engine = Engine([bundled(), DELAYED_WELCOME], clock=Clock.virtual(), journal_limit=2)
    trigger(engine, "dup")
    trigger(engine, "dup")
    env = engine.environment("limit-key")
    assert len(env.processed_records("dup")) == 2
    trigger(engine, "other")
    assert list(env.processed_records("dup")) == [engine.trigger_journal()[0]]
    assert cancel(engine, "dup") is True


def test_the_cap_applies_to_each_environment() -> None:
    engine = Engine([bundled()], journal_limit=2)
    trigger(engine, "a", key="key-a")
    trigger(engine, "b", key="key-b")
    trigger(engine, "c", key="key-a")
    trigger(engine, "d", key="key-a")
    assert [r["transactionId"] for r in engine.trigger_records()] == ["b", "c", "d"]
    assert "a" not in engine.environment("key-a").processed
    assert "b" in engine.environment("key-b").processed


def test_unbounded_by_default() -> None:
    engine = Engine([bundled()])
    for n in range(20):
        trigger(engine, f"t{n}")
    assert engine.journal_limit is None and len(engine.trigger_journal()) == 20


@pytest.mark.parametrize("bad", [0, -1])
def test_rejects_a_limit_below_one(bad: int) -> None:
    with pytest.raises(ValueError, match="journal_limit"):
        Engine(journal_limit=bad)


def test_cli_flag_env_var_and_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOVU_MOCK_JOURNAL_LIMIT", raising=False)
    assert _parser().parse_args(["serve"]).journal_limit == 100_000
    assert _parser().parse_args(["serve", "--journal-limit", "0"]).journal_limit == 0
    monkeypatch.setenv("NOVU_MOCK_JOURNAL_LIMIT", "25")
    assert _parser().parse_args(["serve"]).journal_limit == 25
    assert _parser().parse_args(["serve", "--journal-limit", "7"]).journal_limit == 7


@pytest.mark.parametrize("bad", ["-3", "lots"])
def test_cli_rejects_a_bad_limit(bad: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        _parser().parse_args(["serve", "--journal-limit", bad])
    assert exc.value.code == 2
    assert "--journal-limit" in capsys.readouterr().err
