"""Delay, digest and cancel (DESIGN 10, contract D10 revised) through the novu-py SDK on both
transports, with the virtual clock moved by the test (mock.clock in-process, POST /_mock/clock
over HTTP)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from novu_mock import NOVU_BASE_URLS, NovuMock

novu_py = pytest.importorskip("novu_py")
from novu_py.utils import BackoffStrategy, RetryConfig  # noqa: E402

KEY = "time-key"
PEOPLE = [
    {"subscriberId": "ada", "email": "ada@example.com", "firstName": "Ada"},
    {"subscriberId": "bob", "email": "bob@example.com", "firstName": "Bob"},
]
WORKFLOWS: list[dict[str, Any]] = [
    {
        "workflowId": "reminder",
        "steps": [
            {"stepId": "wait", "type": "delay", "amount": 5, "unit": "minutes"},
            {
                "stepId": "mail",
                "type": "email",
                "subject": "Reminder",
                "body": "Hi {{ payload.n }}",
            },
        ],
    },
    {
        "workflowId": "scheduled",
        "steps": [
            {"stepId": "later", "type": "delay", "delayPath": "sendAt"},
            {
                "stepId": "mail",
                "type": "email",
                "subject": "Scheduled",
                "body": "at {{ payload.sendAt }}",
            },
        ],
    },
    {
        "workflowId": "comments",
        "steps": [
            {"stepId": "batch", "type": "digest", "amount": 10, "unit": "minutes"},
            {
                "stepId": "mail",
                "type": "email",
                "subject": "{{ step.total_count }} new comments",
                "body": "<ul>{% for e in step.events %}<li>{{ e.text }}</li>{% endfor %}</ul>"
                "{% if step.digest %}digest{% endif %}"
                " {{ steps.batch.total_count }}",
            },
        ],
    },
    {
        "workflowId": "orders",
        "steps": [
            {
                "stepId": "batch",
                "type": "digest",
                "amount": 1,
                "unit": "hours",
                "digestKey": "orderId",
            },
            {
                "stepId": "mail",
                "type": "email",
                "subject": "Order {{ payload.orderId }}: {{ step.total_count }} updates",
            },
        ],
    },
]


WORKFLOWS.append(
    {
        "workflowId": "weekly",
        "steps": [
            {"stepId": "batch", "type": "digest", "cron": "0 9 * * MON"},
            {"stepId": "mail", "type": "email", "subject": "{{ step.total_count }} this week"},
        ],
    }
)


class Rig:
    """The SDK on one transport and the ways a test moves the clock and reads the outbox."""

    def __init__(self, mock: NovuMock, novu: Any, transport: str, url: str) -> None:
        self.mock = mock
        self.novu = novu
        self.transport = transport
        self.url = url

    def trigger(
        self, workflow: str, to: Any, payload: dict[str, Any], txn: str | None = None
    ) -> Any:
        dto: dict[str, Any] = {"workflow_id": workflow, "to": to, "payload": payload}
        if txn:
            dto["transaction_id"] = txn
        return self.novu.trigger(trigger_event_request_dto=dto).result

    def trigger_with(self, workflow: str, payload: dict[str, Any], overrides: Any) -> None:
        """A trigger to ada with `overrides` over plain HTTP: novu-py's typed Overrides drops
        keys it does not know (`delay` among them), Novu's API takes any object."""
        response = httpx.post(
            self.url + "/v1/events/trigger",
            json={"name": workflow, "to": "ada", "payload": payload, "overrides": overrides},
            headers={"Authorization": f"ApiKey {KEY}"},
        )
        assert response.status_code == 201, response.text

    def advance(self, seconds: float) -> None:
        if self.transport == "inprocess":
            self.mock.clock.advance(seconds=seconds)
        else:
            response = httpx.post(
                self.url + "/_mock/clock",
                json={"advance": seconds},
                headers={"Authorization": f"ApiKey {KEY}"},
            )
            assert response.status_code == 200, response.text

    def set(self, when: datetime) -> None:
        if self.transport == "inprocess":
            self.mock.clock.set(when)
        else:
            response = httpx.post(
                self.url + "/_mock/clock",
                json={"set": when.isoformat()},
                headers={"Authorization": f"ApiKey {KEY}"},
            )
            assert response.status_code == 200, response.text

    def messages(self, **filters: str) -> list[dict[str, Any]]:
        response = httpx.get(
            self.url + "/_mock/messages",
            params=filters,
            headers={"Authorization": f"ApiKey {KEY}"},
        )
        assert response.status_code == 200, response.text
        data: list[dict[str, Any]] = response.json()["data"]
        return data


@pytest.fixture(params=("inprocess", "http"))
def rig(request: pytest.FixtureRequest) -> Iterator[Rig]:
    mock = NovuMock({"workflows": WORKFLOWS, "subscribers": PEOPLE})
    retries = RetryConfig("none", BackoffStrategy(0, 0, 0, 0), False)
    if request.param == "inprocess":
        with mock.intercept():
            yield Rig(
                mock,
                novu_py.Novu(secret_key=KEY, retry_config=retries),
                "inprocess",
                NOVU_BASE_URLS[0],
            )
    else:
        with mock.serve() as server:
            novu = novu_py.Novu(secret_key=KEY, server_url=server.url, retry_config=retries)
            yield Rig(mock, novu, "http", server.url)


def test_delay_holds_the_message_until_its_time(rig: Rig) -> None:
    rig.trigger("reminder", "ada", {"n": 1})
    assert rig.messages() == []
    rig.advance(4 * 60 + 59)
    assert rig.messages() == []
    rig.advance(1)
    [message] = rig.messages()
    assert (message["channel"], message["subscriberId"], message["content"]) == (
        "email",
        "ada",
        "Hi 1",
    )
    started = datetime.fromisoformat(rig.mock.triggers[0]["receivedAt"].replace("Z", "+00:00"))
    sent = datetime.fromisoformat(message["createdAt"].replace("Z", "+00:00"))
    assert sent - started == timedelta(minutes=5)
    [job] = rig.mock.triggers[0]["jobs"]
    assert (job["type"], job["stepId"], job["status"]) == ("delay", "wait", "completed")
    assert job["dueAt"] == message["createdAt"]


def test_overrides_delay_replaces_the_delays_amount_and_unit(rig: Rig) -> None:
    # Novu's worker (ComputeJobWaitDurationService): `overrides.delay` wins over the step's
    # amount and unit when its amount is a number and its unit one of Novu's six.
    rig.trigger_with("reminder", {"n": 1}, {"delay": {"amount": 2, "unit": "hours"}})
    rig.advance(5 * 60)
    assert rig.messages() == []
    rig.advance(2 * 3600 - 5 * 60 - 1)
    assert rig.messages() == []
    rig.advance(1)
    assert len(rig.messages()) == 1
    [job] = rig.mock.triggers[0]["jobs"]
    assert job["dueAt"] == rig.messages()[0]["createdAt"]


def test_an_overrides_delay_of_no_time_sends_at_once(rig: Rig) -> None:
    rig.trigger_with("reminder", {"n": 1}, {"delay": {"amount": 0, "unit": "minutes"}})
    assert len(rig.messages()) == 1
    assert rig.mock.clock.pending == 0


@pytest.mark.parametrize(
    "delay",
    [{"amount": "2", "unit": "hours"}, {"amount": 2, "unit": "fortnights"}, {"unit": "hours"}],
)
def test_an_invalid_overrides_delay_is_ignored(rig: Rig, delay: dict[str, Any]) -> None:
    rig.trigger_with("reminder", {"n": 1}, {"delay": delay})
    rig.advance(5 * 60)
    assert len(rig.messages()) == 1


def test_overrides_delay_sets_a_digests_window_too(rig: Rig) -> None:
    window = {"delay": {"amount": 30, "unit": "seconds"}}
    rig.trigger_with("comments", {"text": "a"}, window)
    rig.trigger("comments", "ada", {"text": "b"})  # merges into the open batch
    rig.advance(30)
    [message] = rig.messages()
    assert message["subject"] == "2 new comments"


def test_overrides_delay_does_not_move_a_scheduled_delay(rig: Rig) -> None:
    send_at = (rig.mock.clock.now() + timedelta(hours=1)).replace(microsecond=0)
    stamp = send_at.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    rig.trigger_with("scheduled", {"sendAt": stamp}, {"delay": {"amount": 1, "unit": "seconds"}})
    rig.advance(60)
    assert rig.messages() == []
    rig.advance(3600)
    assert [m["createdAt"] for m in rig.messages()] == [stamp]


def test_a_cron_digest_collects_until_the_crons_next_moment(rig: Rig) -> None:
    # Novu's timed digest: the worker waits until cron-parser's next() of the step's cron.
    rig.set(datetime(2030, 1, 1, 10, 0, tzinfo=timezone.utc))  # a Tuesday
    rig.trigger("weekly", "ada", {"n": 1})
    rig.advance(3 * 86400)
    rig.trigger("weekly", "ada", {"n": 2})
    rig.set(datetime(2030, 1, 7, 8, 59, 59, tzinfo=timezone.utc))
    assert rig.messages() == []
    rig.advance(1)
    [message] = rig.messages()
    assert (message["subject"], message["createdAt"]) == (
        "2 this week",
        "2030-01-07T09:00:00.000Z",
    )
    rig.trigger("weekly", "ada", {"n": 3})  # a new batch: the Monday after
    response = httpx.get(rig.url + "/_mock/clock", headers={"Authorization": f"ApiKey {KEY}"})
    assert response.json()["data"]["nextDueAt"] == "2030-01-14T09:00:00.000Z"


def test_cancel_during_the_delay(rig: Rig) -> None:
    rig.trigger("reminder", ["ada", "bob"], {"n": 2}, txn="txn-cancel")
    rig.advance(60)
    assert rig.novu.cancel(transaction_id="txn-cancel").result is True
    assert rig.novu.cancel(transaction_id="txn-cancel").result is False
    rig.advance(24 * 3600)
    assert rig.messages() == []
    [record] = rig.mock.triggers
    assert record["canceled"] is True
    assert [j["status"] for j in record["jobs"]] == ["canceled", "canceled"]
    assert rig.novu.cancel(transaction_id="never-sent").result is False


def test_cancel_after_delivery_is_false(rig: Rig) -> None:
    rig.trigger("reminder", "ada", {"n": 3}, txn="txn-late")
    rig.advance(300)
    assert len(rig.messages()) == 1
    assert rig.novu.cancel(transaction_id="txn-late").result is False


def test_three_events_in_a_digest_window_make_one_email(rig: Rig) -> None:
    for i, text in enumerate(["first", "second", "third"]):
        rig.trigger("comments", "ada", {"text": text})
        rig.advance(60 * (i + 1))
    assert rig.messages() == []
    rig.advance(10 * 60)
    [message] = rig.messages()
    assert message["subject"] == "3 new comments"
    assert message["content"] == "<ul><li>first</li><li>second</li><li>third</li></ul>digest 3"
    statuses = [r["jobs"][0]["status"] for r in rig.mock.triggers]
    assert statuses == ["completed", "merged", "merged"]
    # A new event after the window opens a new batch.
    rig.trigger("comments", "ada", {"text": "fourth"})
    rig.advance(600)
    assert [m["subject"] for m in rig.messages()] == ["3 new comments", "1 new comments"]


def test_two_subscribers_digest_separately(rig: Rig) -> None:
    rig.trigger("comments", "ada", {"text": "a1"})
    rig.trigger("comments", ["ada", "bob"], {"text": "both"})
    rig.trigger("comments", "bob", {"text": "b1"})
    rig.advance(600)
    contents = {m["subscriberId"]: m["content"] for m in rig.messages()}
    assert contents == {
        "ada": "<ul><li>a1</li><li>both</li></ul>digest 2",
        "bob": "<ul><li>both</li><li>b1</li></ul>digest 2",
    }


def test_digest_key_splits_batches(rig: Rig) -> None:
    for order in ["o-1", "o-2", "o-1", "o-1"]:
        rig.trigger("orders", "ada", {"orderId": order})
    rig.advance(3600)
    subjects = sorted(m["subject"] for m in rig.messages())
    assert subjects == ["Order o-1: 3 updates", "Order o-2: 1 updates"]


def test_cancelling_a_digests_first_trigger_hands_the_batch_on(rig: Rig) -> None:
    rig.trigger("comments", "ada", {"text": "one"}, txn="d-1")
    rig.advance(60)
    rig.trigger("comments", "ada", {"text": "two"}, txn="d-2")
    rig.trigger("comments", "ada", {"text": "three"}, txn="d-3")
    assert rig.novu.cancel(transaction_id="d-1").result is True
    rig.advance(9 * 60)  # the window of the first trigger ends: the batch goes out once
    [message] = rig.messages()
    assert message["content"] == "<ul><li>two</li><li>three</li></ul>digest 2"
    assert message["transactionId"] == "d-2"
    assert rig.novu.cancel(transaction_id="d-3").result is False  # delivered with d-2


def test_scheduled_delay_at_a_payload_date(rig: Rig) -> None:
    now = rig.mock.clock.now()
    send_at = (now + timedelta(days=2, hours=3)).replace(microsecond=0)
    stamp = send_at.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    rig.trigger("scheduled", "ada", {"sendAt": stamp})
    rig.advance(timedelta(days=2, hours=3).total_seconds() - 1)
    assert rig.messages() == []
    rig.advance(1)
    [message] = rig.messages()
    assert message["content"] == f"at {stamp}"
    assert message["createdAt"] == stamp


@pytest.mark.parametrize("payload", [{}, {"sendAt": "20-09-2025"}, {"sendAt": 5}])
def test_scheduled_delay_needs_an_iso_date(rig: Rig, payload: dict[str, Any]) -> None:
    with pytest.raises(novu_py.models.PayloadValidationExceptionDto) as caught:
        rig.trigger("scheduled", "ada", payload)
    error = caught.value.data
    assert error.status_code == 400
    assert error.message == "payload is missing required key(s) and type(s): sendAt (ISO Date)"
    assert [e.field for e in error.errors] == ["sendAt"]
    assert rig.mock.clock.pending == 0


def test_idempotent_replay_does_not_schedule_twice(rig: Rig) -> None:
    headers = {"Authorization": f"ApiKey {KEY}", "Idempotency-Key": "same-key"}
    body = {"name": "reminder", "to": "ada", "payload": {"n": 9}}
    url = rig.url + "/v1/events/trigger"
    client = httpx.Client()
    try:
        first = client.post(url, json=body, headers=headers)
        second = client.post(url, json=body, headers=headers)
    finally:
        client.close()
    assert first.status_code == second.status_code == 201
    assert second.headers.get("idempotency-replay") == "true"
    assert rig.mock.clock.pending == 1
    rig.advance(300)
    assert len(rig.messages()) == 1


def test_get_clock_shows_pending_work(rig: Rig) -> None:
    rig.trigger("reminder", "ada", {"n": 1}, txn="txn-pending")
    response = httpx.get(rig.url + "/_mock/clock", headers={"Authorization": f"ApiKey {KEY}"})
    data = response.json()["data"]
    assert data["pending"] == 1
    [job] = data["jobs"]
    assert (job["type"], job["transactionId"], job["subscriberId"], job["status"]) == (
        "delay",
        "txn-pending",
        "ada",
        "delayed",
    )
    assert data["nextDueAt"] == job["dueAt"]
    rig.mock.reset()
    assert httpx.get(rig.url + "/_mock/clock").json()["data"]["pending"] == 0


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_activity_feed_shows_delayed_merged_and_canceled_jobs(rig: Rig) -> None:
    rig.trigger("reminder", "ada", {"n": 1}, txn="feed-delay")
    rig.trigger("comments", "ada", {"text": "x"}, txn="feed-first")
    rig.trigger("comments", "ada", {"text": "y"}, txn="feed-merged")

    def jobs(txn: str) -> dict[str, Any]:
        [note] = rig.novu.notifications.list(request={"transaction_id": txn}).result.data
        return {j.type.value: j for j in note.jobs}

    delayed = jobs("feed-delay")["delay"]
    assert delayed.status == "delayed"
    assert [d.detail for d in delayed.execution_details][-1] == "Step delayed"
    merged = jobs("feed-merged")["digest"]
    assert merged.status == "merged"
    assert [d.detail for d in merged.execution_details][-1] == (
        "Digest was merged with other digest"
    )
    assert rig.novu.cancel(transaction_id="feed-delay").result is True
    assert jobs("feed-delay")["delay"].status == "canceled"
    rig.advance(600)
    first = jobs("feed-first")
    assert first["digest"].status == "completed"
    assert [d.detail for d in first["digest"].execution_details][-1] == "Digest triggered events"
    assert first["email"].status == "completed"
    assert jobs("feed-merged")["email"].status == "merged"  # Novu marks a merged run's rest


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_activity_feed_lists_every_steps_job_while_a_delay_holds_the_run(rig: Rig) -> None:
    # Novu stores every step's job when it processes a trigger (CreateNotificationJobs, status
    # pending), so the feed shows the steps behind a delay before the delay ends.
    def jobs(txn: str) -> list[tuple[str, str, list[str]]]:
        [note] = rig.novu.notifications.list(request={"transaction_id": txn}).result.data
        return [
            (j.type.value, j.status, [d.detail for d in j.execution_details]) for j in note.jobs
        ]

    rig.trigger("reminder", "ada", {"n": 1}, txn="held")
    assert jobs("held") == [
        ("delay", "delayed", ["Step queued", "Step delayed"]),
        ("email", "pending", ["Step created"]),
    ]
    rig.advance(300)
    assert [(t, s) for t, s, _ in jobs("held")] == [("delay", "completed"), ("email", "completed")]

    rig.trigger("reminder", "ada", {"n": 2}, txn="dropped")
    assert rig.novu.cancel(transaction_id="dropped").result is True
    assert [(t, s) for t, s, _ in jobs("dropped")] == [("delay", "canceled"), ("email", "canceled")]

    rig.trigger("comments", "ada", {"text": "one"}, txn="lead")
    rig.trigger("comments", "ada", {"text": "two"}, txn="next")
    assert [(t, s) for t, s, _ in jobs("next")] == [("digest", "merged"), ("email", "merged")]
    assert rig.novu.cancel(transaction_id="lead").result is True
    # CancelDelayed hands the batch on: the next run's digest waits again, its rest pending.
    assert [(t, s) for t, s, _ in jobs("next")] == [("digest", "delayed"), ("email", "pending")]
    rig.advance(600)
    assert [(t, s) for t, s, _ in jobs("next")] == [("digest", "completed"), ("email", "completed")]


def test_activity_feed_channel_filter_sees_the_steps_behind_a_delay(rig: Rig) -> None:
    # Novu filters on the notification's channels, set from every active step at trigger time.
    rig.trigger("reminder", "ada", {"n": 1}, txn="behind")
    response = httpx.get(
        rig.url + "/v1/notifications",
        params={"channels": "email"},
        headers={"Authorization": f"ApiKey {KEY}"},
    )
    assert [n["transactionId"] for n in response.json()["data"]] == ["behind"]


# -- finer points, through the Python API ---------------------------------------------------


def _mock(*steps: dict[str, Any]) -> NovuMock:
    workflow = {
        "workflowId": "flow",
        "steps": [
            *steps,
            {
                "stepId": "mail",
                "type": "email",
                "subject": "{{ step.total_count }}|{{ step.digest }}|{{ payload.k }}",
            },
        ],
    }
    return NovuMock({"workflows": [workflow], "subscribers": PEOPLE})


def _send(mock: NovuMock, payload: dict[str, Any], txn: str | None = None) -> None:
    body: dict[str, Any] = {"name": "flow", "to": "ada", "payload": payload}
    if txn:
        body["transactionId"] = txn
    with mock.intercept():
        response = httpx.post(
            NOVU_BASE_URLS[0] + "/v1/events/trigger",
            json=body,
            headers={"Authorization": "ApiKey k"},
        )
    assert response.status_code == 201, response.text


def test_fractional_amounts_and_calendar_months() -> None:
    mock = _mock({"type": "delay", "amount": 1.5, "unit": "minutes"})
    _send(mock, {"k": 1})
    mock.clock.advance(seconds=89)
    assert mock.messages == []
    mock.clock.advance(seconds=1)
    assert len(mock.messages) == 1

    months = _mock({"type": "delay", "amount": 1, "unit": "months"})
    months.clock.set(datetime(2031, 1, 31, 12, tzinfo=timezone.utc))
    _send(months, {"k": 2})
    [job] = months.clock.pending_jobs()
    assert job["dueAt"] == "2031-02-28T12:00:00.000Z"


def test_a_scheduled_date_in_the_past_fails_the_job() -> None:
    mock = _mock({"stepId": "later", "type": "delay", "delayPath": "sendAt"})
    _send(mock, {"sendAt": "2001-01-01T00:00:00.000Z"})
    mock.clock.advance(days=1)
    assert mock.messages == []
    assert mock.clock.pending == 0


def test_a_digest_skipped_by_its_condition_has_total_count_zero() -> None:
    mock = _mock(
        {
            "type": "digest",
            "amount": 5,
            "unit": "minutes",
            "conditions": {"==": [{"var": "payload.k"}, "digest-me"]},
        }
    )
    _send(mock, {"k": "now"})
    assert [m["subject"] for m in mock.messages] == ["0|false|now"]
    _send(mock, {"k": "digest-me"})
    assert len(mock.messages) == 1
    mock.clock.advance(minutes=5)
    assert [m["subject"] for m in mock.messages] == ["0|false|now", "1|true|digest-me"]


def test_look_back_window_sends_a_lone_event_at_once() -> None:
    mock = _mock(
        {
            "type": "digest",
            "amount": 10,
            "unit": "minutes",
            "lookBackWindow": {"amount": 5, "unit": "minutes"},
        }
    )
    _send(mock, {"k": "first"})  # nothing before it: not digested, sent now
    assert [m["subject"] for m in mock.messages] == ["1|true|first"]
    mock.clock.advance(minutes=1)
    _send(mock, {"k": "second"})  # a trigger 1 minute before: this one opens a digest
    _send(mock, {"k": "third"})
    assert len(mock.messages) == 1
    mock.clock.advance(minutes=10)
    assert [m["subject"] for m in mock.messages] == ["1|true|first", "2|true|second"]
    mock.clock.advance(hours=1)
    _send(mock, {"k": "lonely"})  # the last trigger is long gone: sent at once again
    assert [m["subject"] for m in mock.messages][-1] == "1|true|lonely"


def test_cancelling_the_only_digest_trigger_sends_nothing() -> None:
    mock = _mock({"type": "digest", "amount": 5, "unit": "minutes"})
    _send(mock, {"k": 1}, txn="only")
    with mock.intercept():
        cancel = httpx.delete(
            NOVU_BASE_URLS[0] + "/v1/events/trigger/only", headers={"Authorization": "ApiKey k"}
        )
    assert cancel.json() == {"data": True}
    mock.clock.advance(hours=1)
    assert mock.messages == []
    _send(mock, {"k": 2})  # a new batch opens
    mock.clock.advance(minutes=5)
    assert [m["subject"] for m in mock.messages] == ["1|true|2"]


def test_fixture_checks_of_timed_steps() -> None:
    from novu_mock import FixtureError

    bad = {
        "workflows": [
            {
                "workflowId": "w",
                "steps": [
                    {"type": "delay", "amount": 5},
                    {"type": "digest", "amount": 0, "unit": "years", "delayPath": "x"},
                    {"type": "delay", "delayPath": "at", "amount": 1, "unit": "hours"},
                    {"type": "email", "digestKey": "k"},
                    {
                        "type": "digest",
                        "amount": 1,
                        "unit": "hours",
                        "lookBackWindow": {"amount": 1},
                    },
                    {"type": "digest", "cron": "61 * * * *"},
                    {"type": "digest", "cron": "0 9 * * 1", "amount": 1, "unit": "hours"},
                    {"type": "delay", "cron": "0 9 * * 1"},
                    {"type": "digest", "cron": "0 0 30 FEB *"},
                ],
            }
        ]
    }
    with pytest.raises(FixtureError) as caught:
        NovuMock(bad)
    text = str(caught.value)
    for expected in (
        "workflows[0].steps[0]: a delay step takes amount and unit together",
        "workflows[0].steps[1].amount: expected a positive number; got 0",
        "workflows[0].steps[1].unit: expected one of seconds, minutes, hours, days, weeks, months",
        "workflows[0].steps[1].delayPath: only delay steps take delayPath",
        "workflows[0].steps[2]: a delay takes either delayPath or amount and unit",
        "workflows[0].steps[3].digestKey: only delay and digest steps take digestKey",
        "workflows[0].steps[4].lookBackWindow: expected {amount: a positive number",
        "workflows[0].steps[5].cron: '61 * * * *': bad minute",
        "workflows[0].steps[6]: a digest takes either cron or amount and unit",
        "workflows[0].steps[7].cron: only digest steps take cron",
        "workflows[0].steps[8].cron: '0 0 30 FEB *': bad day-of-month",
    ):
        assert expected in text, text
