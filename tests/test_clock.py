"""The mock's clock (DESIGN 10): virtual by default in Python, GET/POST /_mock/clock, and the
scheduler that runs pending work in due order when the clock moves."""

from __future__ import annotations

import os
import signal
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest
from conftest import Api

from novu_mock import Clock, NovuMock, bundled
from novu_mock._model.scheduler import Job


def _iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_python_clock_is_virtual_by_default_and_moves_only_when_told() -> None:
    mock = NovuMock()
    assert mock.clock.mode == "virtual"
    start = mock.clock.now()
    assert start.tzinfo is not None
    time.sleep(0.02)
    assert mock.clock.now() == start
    assert mock.clock.advance(minutes=5) == start + timedelta(minutes=5)
    assert mock.clock.advance(timedelta(hours=1), seconds=30) == start + timedelta(
        minutes=65, seconds=30
    )
    assert mock.clock.advance(10) == start + timedelta(minutes=65, seconds=40)
    assert mock.clock.advance(days=1) == start + timedelta(days=1, minutes=65, seconds=40)
    target = datetime(2031, 5, 4, 3, 2, 1, tzinfo=timezone.utc)
    assert mock.clock.set(target) == target
    assert mock.clock.set(datetime(2031, 5, 4)) == datetime(2031, 5, 4, tzinfo=timezone.utc)
    with pytest.raises(ValueError, match="only moves forward"):
        mock.clock.advance(seconds=-1)


def test_real_clock_follows_the_wall_clock_and_can_be_moved() -> None:
    mock = NovuMock(clock="real")
    assert mock.clock.mode == "real"
    before = datetime.now(timezone.utc)
    assert abs((mock.clock.now() - before).total_seconds()) < 1
    moved = mock.clock.advance(hours=2)
    assert 7199 < (moved - before).total_seconds() < 7201
    with pytest.raises(ValueError, match="expected one of real, virtual"):
        NovuMock(clock="sundial")


def test_records_carry_the_virtual_time() -> None:
    mock = NovuMock(bundled("default.yaml"))
    with mock.intercept():
        mock.clock.set(datetime(2030, 1, 1, 9, 0, tzinfo=timezone.utc))
        body = {"name": "welcome", "to": "user-1"}
        headers = {"Authorization": "ApiKey k"}
        httpx.post("https://api.novu.co/v1/events/trigger", json=body, headers=headers)
        mock.clock.advance(minutes=1)
        httpx.post("https://api.novu.co/v1/events/trigger", json=body, headers=headers)
    stamps = [t["receivedAt"] for t in mock.triggers]
    assert stamps == ["2030-01-01T09:00:00.000Z", "2030-01-01T09:01:00.000Z"]


def test_a_clock_instance_still_works() -> None:
    clock = Clock(frozen=1_000_000.0)
    mock = NovuMock(clock=clock)
    assert mock.clock.mode == "virtual"
    assert mock.clock.now() == datetime.fromtimestamp(1_000_000.0, tz=timezone.utc)
    clock.advance(5)
    assert mock.clock.now().timestamp() == 1_000_005.0


def _job(
    mock: NovuMock, key: str, due: float, log: list[tuple[str, float, float]], name: str
) -> Job:
    engine = mock.engine
    env = engine.environment(key)

    def fire(at: float) -> None:
        log.append((name, at, engine.clock.now()))

    job = Job(
        job_id=name,
        kind="delay",
        due=due,
        scheduled_at=engine.clock.now(),
        transaction_id=f"txn-{name}",
        subscriber_id="user-1",
        step_id="wait",
        fire=fire,
    )
    with engine.lock:
        env.scheduler.schedule(job)
    return job


def test_advance_runs_due_work_in_due_order_each_at_its_own_time() -> None:
    mock = NovuMock(clock=Clock(frozen=1000.0))
    log: list[tuple[str, float, float]] = []
    _job(mock, "key-a", 1300.0, log, "a-300")
    _job(mock, "key-b", 1060.0, log, "b-60")
    _job(mock, "key-a", 1120.0, log, "a-120")
    _job(mock, "key-b", 5000.0, log, "b-4000")
    assert mock.clock.pending == 4
    mock.clock.advance(59)
    assert log == []
    mock.clock.advance(300)  # to 1359: three jobs due, across two environments
    assert log == [("b-60", 1060.0, 1060.0), ("a-120", 1120.0, 1120.0), ("a-300", 1300.0, 1300.0)]
    assert mock.clock.now().timestamp() == 1359.0
    assert mock.clock.pending == 1
    assert [j["id"] for j in mock.clock.pending_jobs()] == ["b-4000"]
    mock.reset()  # a reset drops pending work
    assert mock.clock.pending == 0
    mock.clock.advance(days=1)
    assert len(log) == 3


def test_work_scheduled_by_due_work_runs_in_the_same_advance() -> None:
    mock = NovuMock(clock=Clock(frozen=0.0))
    engine = mock.engine
    env = engine.environment("k")
    seen: list[float] = []

    def chain(at: float) -> None:
        seen.append(at)
        if len(seen) < 3:
            env.scheduler.schedule(
                Job(
                    job_id=str(at),
                    kind="delay",
                    due=at + 10,
                    scheduled_at=at,
                    transaction_id="t",
                    subscriber_id=None,
                    step_id=None,
                    fire=chain,
                )
            )

    env.scheduler.schedule(
        Job(
            job_id="x",
            kind="delay",
            due=10,
            scheduled_at=0,
            transaction_id="t",
            subscriber_id=None,
            step_id=None,
            fire=chain,
        )
    )
    mock.clock.advance(25)  # 10 runs and schedules 20, which runs and schedules 30
    assert seen == [10.0, 20.0]
    assert mock.clock.pending == 1
    mock.clock.advance(5)
    assert seen == [10.0, 20.0, 30.0]
    assert mock.clock.pending == 0


def test_work_a_job_schedules_in_another_environment_runs_in_due_order() -> None:
    # The timeline runs one environment's jobs in a row until another's come first; work that
    # a job adds to another environment must still cut in at its own time.
    mock = NovuMock(clock=Clock(frozen=0.0))
    log: list[tuple[str, float, float]] = []
    first = _job(mock, "key-a", 10.0, log, "a-10")
    _job(mock, "key-a", 30.0, log, "a-30")
    fire_first = first.fire

    def fire_and_schedule(at: float) -> None:
        fire_first(at)
        _job(mock, "key-b", 20.0, log, "b-20")

    first.fire = fire_and_schedule
    mock.clock.advance(40)
    assert [name for name, _, _ in log] == ["a-10", "b-20", "a-30"]
    assert [now for _, _, now in log] == [10.0, 20.0, 30.0]


def test_a_transactions_jobs_leave_the_cancel_index_when_they_have_run() -> None:
    mock = NovuMock(clock=Clock(frozen=0.0))
    env = mock.engine.environment("k")
    fired: list[str] = []

    def fire(at: float) -> None:
        fired.append(str(at))

    for n, due in enumerate((10.0, 20.0, 30.0)):  # one trigger, three recipients
        env.scheduler.schedule(
            Job(
                job_id=str(n),
                kind="delay",
                due=due,
                scheduled_at=0.0,
                transaction_id="same",
                subscriber_id=str(n),
                step_id="wait",
                fire=fire,
            )
        )
    mock.clock.advance(15)
    assert [j.id for j in env.scheduler.jobs_of("same")] == ["1", "2"]
    assert env.cancel("same", 15.0) is True  # the two still pending, not the one that ran
    assert env.cancel("same", 15.0) is False
    mock.clock.advance(60)
    assert fired == ["10.0"] and mock.clock.pending == 0


def test_real_clock_runs_due_work_from_a_timer_without_any_call() -> None:
    mock = NovuMock(clock="real")
    log: list[tuple[str, float, float]] = []
    _job(mock, "k", time.time() + 0.3, log, "soon")
    deadline = time.monotonic() + 5
    while not log and time.monotonic() < deadline:
        time.sleep(0.02)
    assert [name for name, *_ in log] == ["soon"]
    assert mock.clock.pending == 0


# -- GET/POST /_mock/clock on both transports ---------------------------------------------


def test_get_clock(api: Api) -> None:
    response = api.get("/_mock/clock")
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["mode"] == "virtual"
    assert data["pending"] == 0
    assert data["jobs"] == []
    assert _iso(data["now"]).tzinfo is not None


@pytest.mark.parametrize(
    ("advance", "seconds"),
    [("5m", 300), ("90s", 90), ("2h", 7200), ("1d", 86400), (30, 30), ("1.5", 1.5), ("0", 0)],
)
def test_post_clock_advance(api: Api, advance: object, seconds: float) -> None:
    before = _iso(api.get("/_mock/clock").json()["data"]["now"])
    response = api.post("/_mock/clock", {"advance": advance})
    assert response.status_code == 200, response.text
    after = _iso(response.json()["data"]["now"])
    assert (after - before).total_seconds() == pytest.approx(seconds, abs=0.002)


def test_post_clock_set(api: Api) -> None:
    now = _iso(api.get("/_mock/clock").json()["data"]["now"])
    target = (now + timedelta(days=3)).replace(microsecond=0)
    stamp = target.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    response = api.post("/_mock/clock", {"set": stamp})
    assert response.status_code == 200, response.text
    assert response.json()["data"]["now"] == stamp


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"advance": "-5m"}, "advance: expected a duration"),
        ({"advance": "soon"}, "advance: expected a duration"),
        ({"advance": True}, "advance: expected a duration"),
        ({"set": "tomorrow"}, "set: expected an ISO 8601 date"),
        ({"set": "2030-02-30T00:00:00Z"}, "set: expected an ISO 8601 date"),
        ({}, "Expected exactly one of"),
        ({"advance": "1m", "set": "2030-01-01T00:00:00Z"}, "Expected exactly one of"),
        ({"rewind": "1m"}, "unknown: rewind"),
    ],
)
def test_post_clock_errors_are_novu_shaped_400s(api: Api, body: object, fragment: str) -> None:
    response = api.post("/_mock/clock", body)
    assert response.status_code == 400, response.text
    error = response.json()
    assert error["statusCode"] == 400
    assert fragment in error["message"]
    assert error["path"].endswith("/_mock/clock")


# -- serve --clock, NOVU_MOCK_CLOCK, the marker option ----------------------------------------

SECOND_DELAY = """
workflows:
  - workflowId: soon
    steps:
      - {type: delay, amount: 1, unit: seconds}
      - {type: in_app, body: "It is time"}
subscribers:
  - {subscriberId: ada}
"""


def test_serve_real_clock_delivers_a_delayed_message_on_its_own(tmp_path: Path) -> None:
    from test_cli import serve, stop

    fixture = tmp_path / "soon.yaml"
    fixture.write_text(SECOND_DELAY)
    headers = {"Authorization": "ApiKey real-key"}
    with serve("--fixtures", str(fixture)) as (process, url):
        assert httpx.get(url + "/_mock/clock").json()["data"]["mode"] == "real"
        sent = time.monotonic()
        answer = httpx.post(
            url + "/v1/events/trigger", json={"name": "soon", "to": "ada"}, headers=headers
        )
        assert answer.status_code == 201
        messages: list[dict[str, object]] = []
        while not messages and time.monotonic() - sent < 10:
            # Reads only: nothing here moves the clock.
            messages = httpx.get(url + "/_mock/messages", headers=headers).json()["data"]
            if not messages:
                time.sleep(0.05)
        waited = time.monotonic() - sent
        assert [m["content"] for m in messages] == ["It is time"]
        assert 0.95 <= waited < 5
        trigger = httpx.get(url + "/_mock/triggers", headers=headers).json()["data"][0]
        created = _iso(str(messages[0]["createdAt"]))
        assert created - _iso(trigger["receivedAt"]) == timedelta(seconds=1)
        assert stop(process, signal.SIGTERM)[0] == 0


def test_real_clock_timer_runs_a_queued_trigger_without_any_call() -> None:
    mock = NovuMock(_yaml_doc(SECOND_DELAY), clock="real")
    with mock.intercept():
        answer = httpx.post(
            "https://api.novu.co/v1/events/trigger",
            json={"name": "soon", "to": "ada"},
            headers={"Authorization": "ApiKey k"},
        )
    assert answer.status_code == 201
    env = mock.engine.environments["k"]
    deadline = time.monotonic() + 5
    while not env.messages and time.monotonic() < deadline:
        time.sleep(0.02)  # no call at all: the engine's timer does the work
    assert len(env.messages) == 1


def _yaml_doc(text: str) -> dict[str, object]:
    import yaml

    doc: dict[str, object] = yaml.safe_load(text)
    return doc


def test_serve_clock_flag_and_environment_variable() -> None:
    from novu_mock._cli import _parser

    env = dict(os.environ)
    try:
        os.environ.pop("NOVU_MOCK_CLOCK", None)
        assert _parser().parse_args(["serve"]).clock == "real"
        assert _parser().parse_args(["serve", "--clock", "virtual"]).clock == "virtual"
        os.environ["NOVU_MOCK_CLOCK"] = "virtual"
        assert _parser().parse_args(["serve"]).clock == "virtual"
        assert _parser().parse_args(["serve", "--clock", "real"]).clock == "real"
        os.environ["NOVU_MOCK_CLOCK"] = "lunar"
        with pytest.raises(SystemExit, match="NOVU_MOCK_CLOCK: expected one of real, virtual"):
            _parser()
    finally:
        os.environ.clear()
        os.environ.update(env)


def test_serve_virtual_clock_over_http(tmp_path: Path) -> None:
    from test_cli import serve, stop

    fixture = tmp_path / "soon.yaml"
    fixture.write_text(SECOND_DELAY)
    headers = {"Authorization": "ApiKey v-key"}
    env = {"NOVU_MOCK_CLOCK": "virtual"}
    with serve("--fixtures", str(fixture), env=env) as (process, url):
        httpx.post(url + "/v1/events/trigger", json={"name": "soon", "to": "ada"}, headers=headers)
        time.sleep(1.2)
        assert httpx.get(url + "/_mock/messages", headers=headers).json()["data"] == []
        clock = httpx.post(url + "/_mock/clock", json={"advance": "1s"}, headers=headers)
        assert clock.json()["data"]["mode"] == "virtual"
        assert clock.json()["data"]["pending"] == 0
        assert len(httpx.get(url + "/_mock/messages", headers=headers).json()["data"]) == 1
        assert stop(process, signal.SIGTERM)[0] == 0
