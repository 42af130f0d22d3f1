"""NovuMock's Python API: interception, recording, state from a test, assertions."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from respx.models import AllMockedAssertionError

from novu_mock import NovuMock, bundled

DEFAULT = bundled("default.yaml")
AUTH = {"Authorization": "ApiKey test-key"}
TRIGGER = "/v1/events/trigger"


def trigger(client: httpx.Client, base: str = "https://api.novu.co", **body: Any) -> httpx.Response:
    return client.post(f"{base}{TRIGGER}", json=body, headers=AUTH)


@pytest.fixture
def mock() -> NovuMock:
    return NovuMock([DEFAULT])


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client() as c:
        yield c


def test_sync_client_created_before_intercept_reaches_the_mock(
    mock: NovuMock, client: httpx.Client
) -> None:
    with mock.intercept() as active:
        assert active is mock
        response = trigger(client, name="welcome", to="user-1", payload={"name": "Ada"})
    assert response.status_code == 201
    assert response.json()["data"]["status"] == "processed"
    mock.assert_triggered("welcome", to="user-1", payload={"name": "Ada"})


def test_sync_client_needs_no_event_loop(mock: NovuMock, client: httpx.Client) -> None:
    with pytest.raises(RuntimeError):
        asyncio.get_running_loop()
    with mock.intercept():
        assert trigger(client, name="welcome", to="user-1").status_code == 201


def test_async_client_and_async_context_manager(mock: NovuMock) -> None:
    async def run() -> int:
        async with httpx.AsyncClient() as client, mock.intercept():
            response = await client.post(
                "https://eu.api.novu.co/v1/events/trigger",
                json={"name": "welcome", "to": "user-2"},
                headers=AUTH,
            )
            return response.status_code

    assert asyncio.run(run()) == 201
    mock.assert_triggered("welcome", to="user-2", times=1)


def test_decorator_on_sync_and_async_functions(mock: NovuMock, client: httpx.Client) -> None:
    @mock.intercept()
    def sync_call() -> int:
        return trigger(client, name="welcome", to="user-1").status_code

    @mock.intercept()
    async def async_call() -> int:
        async with httpx.AsyncClient() as aclient:
            response = await aclient.post(
                f"https://api.novu.co{TRIGGER}",
                json={"name": "welcome", "to": "user-3"},
                headers=AUTH,
            )
            return response.status_code

    assert sync_call() == 201
    assert asyncio.run(async_call()) == 201
    mock.assert_triggered("welcome", to="user-1")
    mock.assert_triggered("welcome", to="user-3")


def test_decorated_async_function_runs_concurrently(mock: NovuMock) -> None:
    interception = mock.intercept()

    @interception
    async def call(to: str) -> int:
        await asyncio.sleep(0)
        async with httpx.AsyncClient() as aclient:
            response = await aclient.post(
                f"https://api.novu.co{TRIGGER}", json={"name": "welcome", "to": to}, headers=AUTH
            )
            return response.status_code

    async def both() -> list[int]:
        return list(await asyncio.gather(call("user-1"), call("user-2")))

    assert asyncio.run(both()) == [201, 201]
    assert len(mock.triggers) == 2


def test_interception_ends_with_the_block(mock: NovuMock) -> None:
    from respx.mocks import HTTPCoreMocker

    with mock.intercept():
        assert HTTPCoreMocker._patches
    assert not HTTPCoreMocker.routers
    assert not HTTPCoreMocker._patches


def test_interception_restores_httpcore_exactly(mock: NovuMock) -> None:
    """The fixture's own patching (not respx's mock.patch) leaves httpcore as it found it,
    inherited methods included, also when the test's own respx router leaves last."""
    import httpcore
    import respx
    from respx.mocks import HTTPCoreMocker

    classes = [httpcore.ConnectionPool, httpcore.HTTPProxy, httpcore.AsyncConnectionPool]
    before = [dict(vars(c)) for c in classes]
    for _ in range(2):
        with mock.intercept():
            assert httpcore.HTTPProxy.handle_request is not before[0]["handle_request"]
        assert [dict(vars(c)) for c in classes] == before
    theirs = respx.mock(assert_all_called=False)
    theirs.get("https://example.test/").respond(204)
    interception = mock.intercept()
    interception.__enter__()
    theirs.start()
    interception.__exit__(None, None, None)  # ours leaves first: respx keeps the patches
    assert HTTPCoreMocker._patches
    assert httpx.get("https://example.test/").status_code == 204
    theirs.stop()
    assert not HTTPCoreMocker._patches
    assert [dict(vars(c)) for c in classes] == before


def test_base_urls_with_a_path_prefix(client: httpx.Client) -> None:
    mock = NovuMock([DEFAULT], base_urls=["http://novu.internal:3000/proxy/novu/"])
    with mock.intercept(base_urls="https://self-hosted.example"):
        prefixed = trigger(
            client, "http://novu.internal:3000/proxy/novu", name="welcome", to="user-1"
        )
        self_hosted = trigger(client, "https://self-hosted.example", name="welcome", to="user-2")
    assert prefixed.status_code == 201
    assert self_hosted.status_code == 201
    assert [r["path"] for r in mock.requests] == [TRIGGER, TRIGGER]
    mock.assert_triggered("welcome", to=["user-1"])
    mock.assert_triggered("welcome", to="user-2")


def test_a_prefix_only_matches_whole_segments(client: httpx.Client) -> None:
    mock = NovuMock([DEFAULT], base_urls=["https://gw.example/novu"])
    unknown = "https://gw.example/novu-other is not intercepted"
    with mock.intercept(strict=True), pytest.raises(AllMockedAssertionError, match=unknown):
        client.post("https://gw.example/novu-other/v1/events/trigger", headers=AUTH)
    with mock.intercept(strict=True), pytest.raises(AllMockedAssertionError, match="not a Novu"):
        client.get("https://gw.example/novu-other/health", headers=AUTH)
    assert mock.requests == []


def test_invalid_base_url_is_refused() -> None:
    with (
        pytest.raises(ValueError, match="base URL"),
        NovuMock([DEFAULT]).intercept(["api.novu.co"]),
    ):
        pass


def test_other_hosts_pass_through_unless_strict(mock: NovuMock, client: httpx.Client) -> None:
    with mock.serve() as server:  # a loopback server stands in for "another host"
        with mock.intercept():
            passed = client.get(f"{server.url}/_mock/health")
        assert passed.status_code == 200
        with mock.intercept(strict=True), pytest.raises(AllMockedAssertionError):
            client.get(f"{server.url}/_mock/health")


def test_the_innermost_interception_answers(client: httpx.Client) -> None:
    outer, inner = NovuMock([DEFAULT]), NovuMock([DEFAULT])
    with outer.intercept():
        with inner.intercept():
            trigger(client, name="welcome", to="user-1")
        trigger(client, name="welcome", to="user-2")
    assert [t["to"] for t in inner.triggers] == ["user-1"]
    assert [t["to"] for t in outer.triggers] == ["user-2"]


def test_app_is_built_only_when_used(mock: NovuMock) -> None:
    assert mock._app is None
    with mock.intercept():
        pass
    assert mock._app is None
    assert mock.app is mock.app


def test_the_engine_of_fixture_files_is_built_on_first_use(
    tmp_path: Any, client: httpx.Client
) -> None:
    from novu_mock import Engine, FixtureError
    from novu_mock._testing import mock as mock_module

    assert Engine(()).max_environments == mock_module.DEFAULT_MAX_ENVIRONMENTS
    lazy = NovuMock([bundled()])
    with lazy.intercept():
        pass  # no request: no engine
    assert lazy._engine is None and lazy.unused() == []
    with lazy.intercept():
        assert trigger(client, name="welcome", to="u").is_success
    assert lazy._engine is lazy.engine and lazy.clock.mode == "virtual"
    lazy.assert_triggered("welcome", to="u")
    # A broken file still fails when the mock is made, not at its first use.
    broken = tmp_path / "broken.yaml"
    broken.write_text("workflows: [{steps: 3}]\n", encoding="utf-8")
    with pytest.raises(FixtureError):
        NovuMock([bundled(), broken])
    with pytest.raises(ValueError, match="journal_limit"):
        NovuMock([bundled()], journal_limit=0)


def test_app_serves_the_same_engine(mock: NovuMock) -> None:
    transport = httpx.ASGITransport(app=mock.app)

    async def run() -> int:
        async with httpx.AsyncClient(transport=transport, base_url="http://mock") as c:
            r = await c.post(TRIGGER, json={"name": "welcome", "to": "user-1"}, headers=AUTH)
            return r.status_code

    assert asyncio.run(run()) == 201
    mock.assert_triggered("welcome", to="user-1")


def test_one_path_or_document_is_accepted_as_fixtures(client: httpx.Client) -> None:
    mock = NovuMock({"workflows": [{"workflowId": "solo"}]})
    with mock.intercept():
        assert trigger(client, name="solo", to="x").json()["data"]["status"] == "processed"
    assert NovuMock(DEFAULT).engine.documents[0]["workflows"]


def test_add_workflow_subscriber_tenant_topic(client: httpx.Client) -> None:
    mock = NovuMock()
    mock.add_workflow("digest", name="Digest", steps=[{"type": "email"}])
    mock.add_subscriber("sub-9", email="nine@example.com")
    mock.add_tenant("globex", name="Globex")
    mock.add_topic("nines", ["sub-9"], name="Nines")
    with mock.intercept():
        response = trigger(
            client, name="digest", to=[{"type": "Topic", "topicKey": "nines"}], tenant="globex"
        )
    assert response.status_code == 201
    assert response.json()["data"]["status"] == "processed"
    mock.assert_triggered("digest", to="sub-9", tenant="globex", status="processed")
    mock.reset()
    assert mock.triggers == []
    assert mock.requests == []
    with mock.intercept():
        assert trigger(client, name="digest", to="sub-9").json()["data"]["status"] == "processed"


def test_reset_restores_the_fixtures(mock: NovuMock, client: httpx.Client) -> None:
    with mock.intercept():
        trigger(client, name="welcome", to={"subscriberId": "new-1", "email": "n@example.com"})
    subscribers = mock.engine.environment("test-key").subscribers
    assert "new-1" in subscribers
    mock.reset()
    subscribers = mock.engine.environment("test-key").subscribers
    assert "new-1" not in subscribers
    assert "user-1" in subscribers
    assert mock.triggers == []
    assert mock.requests == []


def test_requests_are_recorded_with_the_key_masked(mock: NovuMock, client: httpx.Client) -> None:
    with mock.intercept():
        trigger(client, name="welcome", to="user-1")
        client.get("https://api.novu.co/v1/nope?a=1", headers=AUTH)
    first, second = mock.requests
    assert first["method"] == "POST"
    assert first["status"] == 201
    assert first["headers"]["authorization"] != AUTH["Authorization"]
    assert first["body"] == {"name": "welcome", "to": "user-1"}
    assert second["path"] == "/v1/nope"
    assert second["query"] == {"a": "1"}
    assert second["status"] == 404


# -- assertions ------------------------------------------------------------------------------


@pytest.fixture
def recorded(mock: NovuMock, client: httpx.Client) -> NovuMock:
    with mock.intercept():
        trigger(
            client,
            name="welcome",
            to=["user-1", {"subscriberId": "user-2"}],
            payload={"name": "Ada", "order": {"id": 7, "items": [1, 2]}},
            tenant={"identifier": "acme"},
            actor={"subscriberId": "user-3"},
            transactionId="tx-welcome",
        )
        trigger(
            client,
            name="welcome",
            to={"type": "Topic", "topicKey": "beta-users"},
            transactionId="tx-topic",
        )
        trigger(
            client,
            name="password-reset",
            to="user-1",
            payload={"resetUrl": "u"},
            transactionId="tx-reset",
        )
    return mock


def test_assert_triggered_filters_match(recorded: NovuMock) -> None:
    recorded.assert_triggered("welcome")
    recorded.assert_triggered("welcome", times=2)
    recorded.assert_triggered("welcome", to=["user-1", "user-2"], times=2)
    recorded.assert_triggered("welcome", payload={"order": {"id": 7}}, times=1)
    recorded.assert_triggered("welcome", tenant="acme", actor="user-3", transaction_id="tx-welcome")
    recorded.assert_triggered("welcome", status="processed", times=2)
    recorded.assert_not_triggered("welcome", to="user-3")
    recorded.assert_not_triggered("welcome", payload={"order": {"id": 8}})
    recorded.assert_not_triggered("order-shipped")


def test_topic_keys_do_not_count_as_recipients(recorded: NovuMock) -> None:
    recorded.assert_not_triggered("welcome", to="beta-users")


def test_failure_names_the_near_miss_and_each_differing_filter(recorded: NovuMock) -> None:
    with pytest.raises(AssertionError) as info:
        recorded.assert_triggered(
            "welcome", to="user-1", payload={"name": "Bob", "order": {"id": 7}}
        )
    message = str(info.value)
    assert message.startswith(
        "Expected a trigger of 'welcome', to=['user-1'], "
        "payload={'name': 'Bob', 'order': {'id': 7}}"
    )
    assert "0 of the 3 recorded trigger(s) matched" in message
    lines = message.splitlines()
    first = lines.index("Closest recorded triggers:") + 1
    assert lines[first].startswith("  - transactionId 'tx-welcome' (workflow 'welcome'")
    assert (
        "payload: expected {'name': 'Bob', 'order': {'id': 7}}, recorded {'name': 'Ada'"
        in (lines[first + 1])
    )
    assert (
        lines[first + 2].strip()
        == "first difference at payload.name: expected 'Bob', recorded 'Ada'"
    )
    assert "tx-reset" not in lines[first]


def test_failure_for_a_missing_nested_key_and_several_filters(recorded: NovuMock) -> None:
    with pytest.raises(AssertionError) as info:
        recorded.assert_triggered(
            "password-reset", to="user-2", tenant="acme", payload={"user": {"id": 1}}
        )
    message = str(info.value)
    assert "  - transactionId 'tx-reset' (workflow 'password-reset', status 'processed'" in message
    assert "      to: expected ['user-2'], recorded ['user-1']" in message
    assert "      tenant: expected 'acme', recorded None" in message
    assert "first difference at payload.user: missing (expected {'id': 1})" in message


def test_failure_with_a_mistyped_workflow_shows_workflow_difference(recorded: NovuMock) -> None:
    with pytest.raises(AssertionError) as info:
        recorded.assert_triggered("welcom", transaction_id="tx-welcome")
    message = str(info.value)
    assert "transactionId 'tx-welcome'" in message
    assert "workflow_id: expected 'welcom', recorded 'welcome'" in message


def test_failure_on_times_lists_the_matches(recorded: NovuMock) -> None:
    with pytest.raises(AssertionError) as info:
        recorded.assert_triggered("welcome", times=1)
    message = str(info.value)
    assert (
        "Expected exactly 1 trigger(s) of 'welcome'; 2 of the 3 recorded trigger(s) matched."
        in (message)
    )
    assert message.endswith("Matching: tx-welcome, tx-topic")


def test_failure_when_nothing_was_triggered(mock: NovuMock) -> None:
    with pytest.raises(AssertionError, match="Nothing was triggered"):
        mock.assert_triggered("welcome")


def test_assert_not_triggered_failure_lists_matches(recorded: NovuMock) -> None:
    with pytest.raises(AssertionError) as info:
        recorded.assert_not_triggered("welcome", to="user-1")
    assert str(info.value) == (
        "Expected no trigger of 'welcome', to=['user-1']; 2 matched: "
        "tx-welcome (processed), tx-topic (processed)"
    )


def test_assertion_frames_are_hidden_from_pytest_tracebacks(recorded: NovuMock) -> None:
    with pytest.raises(AssertionError) as info:
        recorded.assert_triggered("nope")
    hidden = [
        entry
        for entry in info.traceback
        if entry.frame.code.name in ("assert_triggered", "check_triggered")
    ]
    assert hidden
    assert all(entry.ishidden(info) for entry in hidden)
