"""`novu-mock proxy` (DESIGN section 11): the caller gets the upstream's answer, the shadow's
differences land in the drift report, recordings extract into fixtures, keys stay masked.

The upstream is a second novu-mock over loopback HTTP, with other fixtures where drift must be
real; the proxy is driven by novu-py (and by @novu/api in test_proxy_node.py)."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from novu_py import models
from proxy_support import (
    closed_port,
    new_key,
    novu,
    proxy_to,
    sdk_session,
    silent_upstream,
    tenant_session,
    upstream,
)

from novu_mock import bundled
from novu_mock._fixtures import load
from novu_mock._proxy.extract import extract, read_recording

FIXTURES: list[Any] = [bundled("default.yaml"), bundled("statuses.yaml")]
INACTIVE = {"workflows": [{"workflowId": "status-processed", "active": False}]}


def _drift(url: str, key: str | None = None) -> list[dict[str, Any]]:
    headers = {"Authorization": f"ApiKey {key}"} if key else {}
    response = httpx.get(f"{url}/_mock/drift", headers=headers)
    assert response.status_code == 200, response.text
    data: list[dict[str, Any]] = response.json()["data"]
    return data


def _difference(entry: dict[str, Any], at: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [d for d in entry["differences"] if d["at"] == at]
    assert found, f"no difference at {at}: {entry['differences']}"
    return found[0]


def test_inactive_upstream_active_shadow_single_trigger() -> None:
    key = new_key()
    with upstream(*FIXTURES, INACTIVE) as up, proxy_to(up.url, *FIXTURES) as (proxy, _):
        result = (
            novu(proxy.url, key)
            .trigger(
                trigger_event_request_dto={"workflow_id": "status-processed", "to": "status-user"}
            )
            .result
        )
        assert result.status == "trigger_not_active"  # the upstream's answer, not the shadow's
        (entry,) = _drift(proxy.url, key)
    assert (entry["method"], entry["path"]) == ("POST", "/v1/events/trigger")
    assert (entry["upstreamStatus"], entry["mockStatus"]) == (201, 201)
    assert _difference(entry, "$.data.status") == {
        "at": "$.data.status",
        "upstream": "trigger_not_active",
        "mock": "processed",
    }


def test_inactive_upstream_active_shadow_bulk_names_each_event() -> None:
    key = new_key()
    events: Any = [
        {"workflow_id": "status-inactive", "to": "status-user"},
        {"workflow_id": "status-processed", "to": "status-user"},
    ]
    with upstream(*FIXTURES, INACTIVE) as up, proxy_to(up.url, *FIXTURES) as (proxy, _):
        results = (
            novu(proxy.url, key).trigger_bulk(bulk_trigger_event_dto={"events": events}).result
        )
        assert [r.status for r in results] == ["trigger_not_active", "trigger_not_active"]
        (entry,) = _drift(proxy.url, key)
    statuses = [d for d in entry["differences"] if d["at"].endswith(".status")]
    # Event 0 is inactive on both sides: only event 1 drifts.
    assert statuses == [
        {"at": "$.data[1].status", "upstream": "trigger_not_active", "mock": "processed"}
    ]


def test_identical_setups_have_no_drift_over_the_sdk_matrix() -> None:
    key = new_key()
    with upstream(*FIXTURES) as up, proxy_to(up.url, *FIXTURES) as (proxy, state):
        sdk_session(novu(proxy.url, key))
        tenant_session(proxy.url, key)
        assert _drift(proxy.url) == []
        # Every call went through both sides (none was skipped or short-circuited).
        assert state.drift.calls == len(up.requests) >= 40
        assert len(state.shadow.request_records()) == state.drift.calls


def test_answers_pass_through_unchanged() -> None:
    """Status, headers and body bytes as the upstream sent them (the Date header included)."""
    key = new_key()
    calls = [
        ("POST", "/v1/events/trigger", {"name": "status-processed", "to": "status-user"}),
        ("POST", "/v1/events/trigger/bulk", {"events": "nope"}),
        ("GET", "/v2/subscribers/nobody", None),
        ("GET", "/v1/no-such-route?x=1", None),
        ("DELETE", "/v1/events/trigger/none", None),
    ]
    with upstream(*FIXTURES) as up, proxy_to(up.url, *FIXTURES) as (proxy, _):
        for method, path, body in calls:
            headers = {"Authorization": f"ApiKey {key}", "Idempotency-Key": f"k-{path}"}
            via = httpx.request(method, proxy.url + path, json=body, headers=headers)
            # Same call again, straight to the upstream: an idempotent replay of the same answer
            # for POSTs; the other calls answer the same anyway.
            direct = httpx.request(method, up.url + path, json=body, headers=headers)
            assert via.status_code == direct.status_code, path
            skip = {"date", "idempotency-replay", "ratelimit-remaining", "ratelimit-reset"}
            strip = {"timestamp"}
            assert {k: v for k, v in via.headers.items() if k not in skip} == {
                k: v for k, v in direct.headers.items() if k not in skip
            }, path
            assert "date" in via.headers
            mine, theirs = via.json(), direct.json()
            if isinstance(mine, dict) and "timestamp" in mine:
                mine = {k: v for k, v in mine.items() if k not in strip}
                theirs = {k: v for k, v in theirs.items() if k not in strip}
            assert mine == theirs, path


def test_the_key_goes_to_the_upstream_only() -> None:
    key = new_key()
    with (
        upstream(*FIXTURES, api_keys=[key]) as up,
        proxy_to(up.url, *FIXTURES) as (proxy, _),
    ):
        client = novu(proxy.url, key)
        assert (
            client.trigger(
                trigger_event_request_dto={"workflow_id": "status-processed", "to": "status-user"}
            ).result.status
            == "processed"
        )
        with pytest.raises(models.ErrorDto) as error:
            novu(proxy.url, "other-key-not-known").subscribers.retrieve(subscriber_id="user-1")
        assert error.value.data.status_code == 401
        (request,) = [r for r in up.requests if r["status"] == 201]
        assert request["headers"]["authorization"].endswith(key[-4:])
        assert len(up.triggers) == 1


def test_shadow_rate_limits_never_change_the_answer() -> None:
    """A shadow that refuses (its own rate limits): the caller still gets the upstream's 201,
    and the refusal is drift."""
    key = new_key()
    tight = {"rateLimits": {"trigger": 0.1}}
    with upstream(*FIXTURES) as up, proxy_to(up.url, *FIXTURES, tight) as (proxy, _):
        client = novu(proxy.url, key)
        for _ in range(3):
            result = client.trigger(
                trigger_event_request_dto={"workflow_id": "status-processed", "to": "status-user"}
            ).result
            assert result.status == "processed"
        entries = _drift(proxy.url, key)
    assert [e["mockStatus"] for e in entries] == [429] * len(entries) and entries
    assert _difference(entries[0], "status") == {"at": "status", "upstream": 201, "mock": 429}
    assert len(up.triggers) == 3


def test_an_upstream_that_never_answers_is_a_502_within_the_timeout() -> None:
    with silent_upstream() as url, proxy_to(url, *FIXTURES, timeout=0.5) as (proxy, state):
        started = time.monotonic()
        with pytest.raises(models.APIError) as error:  # novu-py's error for any 5XX but 500
            novu(proxy.url, new_key(), timeout_ms=10_000).trigger(
                trigger_event_request_dto={"workflow_id": "status-processed", "to": "status-user"}
            )
        elapsed = time.monotonic() - started
        assert 0.5 <= elapsed < 2.0
        assert error.value.status_code == 502
        raw = httpx.post(
            f"{proxy.url}/v1/events/trigger?x=1",
            json={},
            headers={"Authorization": "ApiKey some-key-1234"},
        )
        assert state.drift.select() == []  # no upstream answer: nothing to compare
    body = raw.json()
    assert raw.status_code == 502
    assert set(body) == {"statusCode", "timestamp", "path", "message", "error"}
    assert (body["statusCode"], body["path"], body["error"]) == (
        502,
        "/v1/events/trigger?x=1",
        "Bad Gateway",
    )
    assert "did not answer within 0.5 s" in body["message"]


def test_an_unreachable_upstream_is_a_502_at_once() -> None:
    with proxy_to(closed_port(), *FIXTURES, timeout=5) as (proxy, _):
        started = time.monotonic()
        response = httpx.get(
            f"{proxy.url}/v2/subscribers/user-1", headers={"Authorization": "ApiKey k-123456789"}
        )
        assert time.monotonic() - started < 2
    assert response.status_code == 502
    assert "could not be reached" in response.json()["message"]


def _recorded_session(url: str, key: str) -> None:
    """Calls that show the upstream's workflows, subscribers, tenants and topics."""
    client = novu(url, key)
    for workflow in ("welcome", "paused", "status-processed"):
        # No such workflow upstream: an answer that novu-py cannot parse (it raises).
        with contextlib.suppress(Exception):
            client.trigger(
                trigger_event_request_dto={"workflow_id": workflow, "to": "ada", "tenant": "acme"}
            )
    client.trigger_bulk(
        bulk_trigger_event_dto={
            "events": [
                {"workflow_id": "welcome", "to": "ada"},
                {"workflow_id": "quiet", "to": "ada"},
                {"workflow_id": "gated", "to": "ada", "tenant": "acme"},
                {"workflow_id": "gated", "to": "ada"},
            ]
        }
    )
    client.subscribers.retrieve(subscriber_id="ada")
    client.topics.get(topic_key="team")
    client.topics.subscriptions.list(request={"topic_key": "team"})
    client.subscribers.create(create_subscriber_request_dto={"subscriber_id": "new-one"})
    client.subscribers.retrieve(subscriber_id="new-one")
    with httpx.Client(base_url=url, headers={"Authorization": f"ApiKey {key}"}) as http:
        http.get("/v1/tenants/acme")
        http.get("/v1/topics/team")
    client.workflows.get(workflow_id="welcome")


UPSTREAM_STATE = {
    "workflows": [
        {"workflowId": "welcome", "name": "Welcome", "steps": [{"type": "email"}]},
        {"workflowId": "paused", "active": False},
        {"workflowId": "quiet", "steps": []},
        {"workflowId": "gated", "tenantOverrides": {"acme": {"active": False}}},
    ],
    "subscribers": [
        {"subscriberId": "ada", "email": "ada@example.com", "firstName": "Ada"},
        {"subscriberId": "bob"},
    ],
    "tenants": [{"identifier": "acme", "name": "Acme", "data": {"tier": "gold"}}],
    "topics": [{"key": "team", "name": "Team", "subscribers": ["ada", "bob"]}],
}


def test_a_recording_extracts_into_fixtures_that_make_the_shadow_agree(tmp_path: Path) -> None:
    recording = tmp_path / "session.jsonl"
    with upstream(UPSTREAM_STATE) as up:
        with proxy_to(up.url, record=recording) as (proxy, state):
            _recorded_session(proxy.url, new_key())
            state.drift.wait()  # the shadow runs after each answer: its last comparisons
            assert state.drift.drifted > 5  # an empty shadow knows none of it
        doc = extract(read_recording(recording))
        load([doc])  # a valid fixture document
        workflows = {w["workflowId"]: w for w in doc["workflows"]}
        assert workflows["paused"]["active"] is False
        assert workflows["quiet"]["steps"] == []
        assert workflows["gated"]["tenantOverrides"] == {"acme": {"active": False}}
        assert workflows["welcome"]["steps"] == [{"type": "email", "stepId": "email-step"}]
        assert "status-processed" not in workflows  # the upstream said it does not exist
        subscribers = {s["subscriberId"]: s for s in doc["subscribers"]}
        assert subscribers["ada"]["email"] == "ada@example.com"
        assert "new-one" not in subscribers  # created by the recorded calls themselves
        assert {"ada", "bob"} <= subscribers.keys()
        assert doc["tenants"] == [{"identifier": "acme", "name": "Acme", "data": {"tier": "gold"}}]
        (topic,) = doc["topics"]
        assert (topic["key"], topic["name"], sorted(topic["subscribers"])) == (
            "team",
            "Team",
            ["ada", "bob"],
        )
        fixture = tmp_path / "extracted.yaml"
        fixture.write_text(yaml.safe_dump(doc))
        with proxy_to(up.url, fixture) as (proxy, state):
            _recorded_session(proxy.url, new_key())
            assert _drift(proxy.url) == []
            assert state.drift.calls > 10


def test_recording_lines_hold_both_answers_and_mask_the_key(tmp_path: Path) -> None:
    recording = tmp_path / "r.jsonl"
    key = new_key()
    with (
        upstream(*FIXTURES, INACTIVE) as up,
        proxy_to(up.url, *FIXTURES, record=recording) as (
            proxy,
            _,
        ),
    ):
        body = {"name": "status-processed", "to": "status-user", "payload": {"echo": key}}
        httpx.post(
            f"{proxy.url}/v1/events/trigger?a=1&a=2",
            json=body,
            headers={"Authorization": f"ApiKey {key}"},
        )
        # A key without a scheme: the upstream's 401 message echoes it.
        httpx.get(f"{proxy.url}/v2/subscribers/user-1", headers={"Authorization": key})
        drift = json.dumps(_drift(proxy.url))  # read after the last line was written
        lines = list(read_recording(recording))
    assert key not in recording.read_text() and key not in drift
    first, second = lines
    assert {
        "method",
        "path",
        "query",
        "headers",
        "body",
        "status",
        "response",
        "receivedAt",
        "durationMs",
        "environment",
        "upstreamStatus",
        "upstreamHeaders",
        "upstreamBody",
    } <= first.keys()
    assert first["query"] == {"a": ["1", "2"]}
    assert first["headers"]["authorization"] == f"ApiKey ****{key[-4:]}"
    assert first["environment"] == f"****{key[-4:]}"
    assert first["upstreamBody"]["data"]["status"] == "trigger_not_active"
    assert first["response"]["data"]["status"] == "processed"
    assert first["upstreamHeaders"]["ratelimit-limit"]
    assert (
        second["upstreamStatus"] == 401 and second["headers"]["authorization"] == "****" + key[-4:]
    )


def test_drift_is_per_key_and_can_be_emptied() -> None:
    one, two = new_key(), new_key()
    with upstream(*FIXTURES, INACTIVE) as up, proxy_to(up.url, *FIXTURES) as (proxy, _):
        for key in (one, two, two):
            httpx.post(
                f"{proxy.url}/v1/events/trigger",
                json={"name": "status-processed", "to": "status-user"},
                headers={"Authorization": f"ApiKey {key}"},
            )
        assert len(_drift(proxy.url)) == 3
        assert len(_drift(proxy.url, one)) == 1
        assert [e["environment"] for e in _drift(proxy.url, two)] == [f"****{two[-4:]}"] * 2
        assert httpx.delete(f"{proxy.url}/_mock/drift").status_code == 204
        assert _drift(proxy.url) == []
        # The shadow's own admin endpoints answer as on `serve`.
        shadow = httpx.get(
            f"{proxy.url}/_mock/requests", headers={"Authorization": f"ApiKey {one}"}
        )
        assert [r["path"] for r in shadow.json()["data"]] == ["/v1/events/trigger"]
        assert httpx.get(f"{proxy.url}/_mock/").status_code == 200


def test_a_compressed_upstream_answer_passes_through_and_is_still_compared() -> None:
    """An upstream that gzips (Novu's CDN does): the caller gets the bytes as sent, the proxy
    asks only for codings it can read, and the decoded body is compared."""
    from starlette.middleware.gzip import GZipMiddleware

    from novu_mock import NovuMock

    mock = NovuMock([*FIXTURES, INACTIVE])
    seen: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            seen.append(dict(scope["headers"]).get(b"accept-encoding", b"").decode())
        await GZipMiddleware(mock.app, minimum_size=0)(scope, receive, send)

    with _serve_asgi(app) as url, proxy_to(url, *FIXTURES) as (proxy, state):
        response = httpx.post(
            f"{proxy.url}/v1/events/trigger",
            json={"name": "status-processed", "to": "status-user"},
            headers={"Authorization": f"ApiKey {new_key()}", "Accept-Encoding": "br, gzip"},
        )
        assert response.headers["content-encoding"] == "gzip"
        assert response.json()["data"]["status"] == "trigger_not_active"
        assert seen == ["gzip"]
        (entry,) = state.drift.select()
    assert _difference(entry, "$.data.status")["upstream"] == "trigger_not_active"


@contextlib.contextmanager
def _serve_asgi(app: Any) -> Iterator[str]:
    import threading

    import uvicorn

    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def test_the_upstream_gets_the_callers_headers_and_no_others() -> None:
    """No User-Agent or Accept of the proxy's own; Host is the upstream's."""
    import http.client

    key = new_key()
    with upstream(*FIXTURES) as up, proxy_to(up.url, *FIXTURES) as (proxy, _):
        host, port = proxy.url.removeprefix("http://").split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=10)
        connection.request(
            "GET",
            "/v2/subscribers/user-1?a=1",
            headers={"Authorization": f"ApiKey {key}", "X-Trace": "t-1"},
        )
        assert connection.getresponse().status == 200
        connection.close()
        (request,) = up.requests
    # http.client sends Host and `Accept-Encoding: identity` itself.
    assert set(request["headers"]) == {"host", "accept-encoding", "authorization", "x-trace"}
    assert request["headers"]["host"] == up.url.removeprefix("http://")
    assert request["headers"]["x-trace"] == "t-1"
    assert request["query"] == {"a": "1"}


def test_a_failing_recording_never_breaks_the_callers_answer(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    key = new_key()
    with (
        upstream(*FIXTURES) as up,
        proxy_to(up.url, *FIXTURES, record=tmp_path / "r.jsonl") as (proxy, state),
    ):
        assert state.recorder is not None
        state.recorder.close()  # as a full disk would: every write now raises
        response = httpx.post(
            f"{proxy.url}/v1/events/trigger",
            json={"name": "status-processed", "to": "status-user"},
            headers={"Authorization": f"ApiKey {key}"},
        )
    assert response.status_code == 201
    assert response.json()["data"]["status"] == "processed"
    assert "recording of POST /v1/events/trigger failed" in caplog.text
    assert key not in caplog.text


def test_concurrent_callers_each_get_their_own_answer() -> None:
    from concurrent.futures import ThreadPoolExecutor

    keys = [new_key() for _ in range(4)]
    with upstream(*FIXTURES) as up, proxy_to(up.url, *FIXTURES) as (proxy, state):

        def session(key: str) -> list[str]:
            with httpx.Client(headers={"Authorization": f"ApiKey {key}"}) as http:
                return [
                    http.post(
                        f"{proxy.url}/v1/events/trigger",
                        json={
                            "name": "status-processed",
                            "to": "status-user",
                            "transactionId": f"{key}-{i}",
                        },
                    ).json()["data"]["transactionId"]
                    for i in range(15)
                ]

        with ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(session, keys))
        assert answers == [[f"{key}-{i}" for i in range(15)] for key in keys]
        assert state.drift.select() == []
        assert state.drift.calls == 60
        assert len(up.triggers) == 60


def test_keys_the_engine_would_refuse_get_no_shadow_environment() -> None:
    """A Bearer token or a key without a scheme: masked like any key, but no environment."""
    key = new_key()
    with upstream(*FIXTURES) as up, proxy_to(up.url, *FIXTURES) as (proxy, state):
        for header in (f"Bearer {key}", key, f"apikey {key}"):
            response = httpx.get(
                f"{proxy.url}/v2/subscribers/user-1", headers={"Authorization": header}
            )
            assert response.status_code == 401
        state.drift.wait()
        assert state.shadow.environment_names() == []
        assert state.drift.select() == []


def test_identical_setups_have_no_drift_for_the_legacy_python_sdk() -> None:
    from novu.api import EventApi
    from novu.dto.event import InputEventDto

    with upstream(*FIXTURES) as up, proxy_to(up.url, *FIXTURES) as (proxy, state):
        events = EventApi(url=proxy.url, api_key=new_key(), requests_timeout=10)
        assert events.trigger("status-processed", "status-user", {"a": 1}).status == "processed"
        bulk = [
            InputEventDto(e["name"], e["to"], {}, transaction_id=e["transactionId"])
            for e in (
                {"name": "status-inactive", "to": "status-user", "transactionId": "l-1"},
                {"name": "status-processed", "to": " ", "transactionId": "l-2"},
            )
        ]
        assert [e.status for e in events.trigger_bulk(bulk)] == [
            "trigger_not_active",
            "invalid_recipients",
        ]
        events.broadcast("status-processed", {"a": 1})
        events.trigger("status-processed", "status-user", {}, transaction_id="l-cancel")
        events.delete("l-cancel")
        legacy_slash = EventApi(url=proxy.url + "/", api_key=new_key(), requests_timeout=10)
        legacy_slash.trigger("status-processed", "status-user", {})
        assert state.drift.select() == []
        assert state.drift.calls == len(up.requests) == 6


def test_reads_right_after_the_calls_see_every_comparison() -> None:
    """The shadow runs after the caller got its answer; /_mock/drift and the shadow's journals
    read just after still show every call (they wait for the comparisons still to come)."""
    import asyncio

    key = new_key()
    auth = {"Authorization": f"ApiKey {key}"}
    event = {"name": "status-processed", "to": "status-user"}

    async def burst(url: str) -> tuple[int, int]:
        async with httpx.AsyncClient(base_url=url, headers=auth) as http:
            answers = await asyncio.gather(
                *[http.post("/v1/events/trigger", json=event) for _ in range(100)]
            )
            assert {a.status_code for a in answers} == {201}
            drift = (await http.get("/_mock/drift")).json()["data"]
            requests = (await http.get("/_mock/requests")).json()["data"]
        return len(drift), len(requests)

    with upstream(*FIXTURES, INACTIVE) as up, proxy_to(up.url, *FIXTURES) as (proxy, _):
        assert asyncio.run(burst(proxy.url)) == (100, 100)
