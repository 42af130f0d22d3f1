"""The pytest plugin as a user meets it: a test suite run with pytester."""

from __future__ import annotations

import re
import textwrap

import pytest

pytest_plugins = ["pytester"]

INI = """
[pytest]
novu_mock_fixtures = fixtures/suite.yaml
filterwarnings = error
"""

SUITE = """
workflows:
  - workflowId: suite-flow
    steps: [{type: delay, amount: 1, unit: hours}, {type: in_app}]
subscribers:
  - {subscriberId: suite-user, email: s@example.com}
"""

EXTRA = """
workflows:
  - workflowId: extra-flow
    steps: [{type: email}]
"""

# Every test of the user's module records the sockets it connects; none may leave loopback.
GUARD = """
import socket

import pytest

CONNECTED = []


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    real_connect = socket.socket.connect
    real_create = socket.create_connection

    def connect(self, address):
        CONNECTED.append(address)
        return real_connect(self, address)

    def create_connection(address, *args, **kwargs):
        CONNECTED.append(address)
        return real_create(address, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    yield
    outside = [a for a in CONNECTED if a[0] not in ("127.0.0.1", "::1", "localhost")]
    assert not outside, f"connected outside loopback: {outside}"
"""


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini(INI)
    pytester.mkdir("fixtures")
    pytester.path.joinpath("fixtures", "suite.yaml").write_text(SUITE)
    tests = pytester.mkdir("tests")
    tests.joinpath("extra.yaml").write_text(EXTRA)
    tests.joinpath("conftest.py").write_text(GUARD)
    return pytester


def write_test(pytester: pytest.Pytester, name: str, source: str) -> None:
    pytester.path.joinpath("tests", name).write_text(textwrap.dedent(source))


def test_fixture_ini_option_and_marker(suite: pytest.Pytester) -> None:
    write_test(
        suite,
        "test_user.py",
        """
        import httpx
        import pytest

        AUTH = {"Authorization": "ApiKey k"}

        def trigger(name, base="https://api.novu.co", headers=AUTH):
            return httpx.post(base + "/v1/events/trigger", json={"name": name, "to": "suite-user"},
                              headers=headers)

        def test_ini_fixtures_replace_the_bundled_defaults(novu_mock):
            assert trigger("suite-flow").json()["data"]["status"] == "processed"
            assert trigger("welcome").status_code == 422  # not in suite.yaml
            novu_mock.assert_triggered("suite-flow", to="suite-user", times=1)

        @pytest.mark.novu_mock(fixtures=["extra.yaml"], base_urls=["http://novu.local:8080/api"])
        def test_marker_adds_fixtures_next_to_the_test_and_base_urls(novu_mock):
            response = trigger("extra-flow", base="http://novu.local:8080/api")
            assert response.json()["data"]["status"] == "processed"
            assert trigger("suite-flow").status_code == 201
            novu_mock.assert_triggered("extra-flow")

        @pytest.mark.novu_mock(api_keys=["only-this-key"], rate_limits={"trigger": 5})
        def test_marker_api_keys_and_rate_limits(novu_mock):
            assert trigger("suite-flow").status_code == 401
            ok = trigger("suite-flow", headers={"Authorization": "ApiKey only-this-key"})
            assert ok.status_code == 201
            assert novu_mock.engine.environment("only-this-key").rate_limits == {"trigger": 5}

        @pytest.mark.novu_mock(strict=True)
        def test_strict_refuses_other_hosts(novu_mock):
            from respx.models import AllMockedAssertionError
            with pytest.raises(AllMockedAssertionError):
                httpx.get("https://example.com/")

        def test_each_test_gets_a_fresh_mock(novu_mock):
            assert novu_mock.triggers == []
            assert novu_mock.requests == []

        def test_a_failed_assertion_reads_well(novu_mock):
            trigger("suite-flow")
            novu_mock.assert_triggered("suite-flow", to="someone-else")
        """,
    )
    result = suite.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=5, failed=1)
    result.stdout.re_match_lines(
        [
            "E +"
            + re.escape(
                "AssertionError: Expected a trigger of 'suite-flow', to=['someone-else']; "
                "0 of the 1 recorded trigger(s) matched."
            ),
            "E +Closest recorded triggers:",
            "E +"
            + re.escape("- transactionId 'txn_")
            + r"\w+"
            + re.escape("' (workflow 'suite-flow', status 'processed', source 'trigger'):"),
            "E +" + re.escape("to: expected ['someone-else'], recorded ['suite-user']"),
        ],
        consecutive=True,
    )
    # The plugin's own frames are hidden: the user's line is the last one shown.
    assert "check_triggered" not in result.stdout.str()


def test_bundled_defaults_without_the_ini_option(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_defaults="""
        import httpx

        def test_welcome_is_there(novu_mock):
            r = httpx.post("https://api.novu.co/v1/events/trigger",
                           json={"name": "welcome", "to": "user-1"},
                           headers={"Authorization": "ApiKey k"})
            assert r.json()["data"]["status"] == "processed"
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_unknown_marker_option_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_typo="""
        import pytest

        @pytest.mark.novu_mock(fixture=["x.yaml"])
        def test_typo(novu_mock):
            pass
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*unknown option(s) fixture; expected fixtures, api_keys*"])


def test_novu_py_sync_and_async_without_a_server(suite: pytest.Pytester) -> None:
    write_test(
        suite,
        "test_sdk.py",
        """
        import asyncio

        import pytest
        from novu_py import Novu, models
        from novu_py.utils import BackoffStrategy, RetryConfig

        NO_RETRY = RetryConfig("none", BackoffStrategy(0, 0, 0, 0), False)

        @pytest.fixture
        def novu():
            return Novu(secret_key="test-secret", retry_config=NO_RETRY)

        def test_sync(novu_mock, novu):
            res = novu.trigger(trigger_event_request_dto={
                "workflow_id": "suite-flow", "to": "suite-user", "payload": {"n": {"m": 1}},
                "transaction_id": "tx-sync"})
            assert res.result.status == "processed"
            assert res.result.transaction_id == "tx-sync"
            novu_mock.assert_triggered("suite-flow", to="suite-user", payload={"n": {"m": 1}},
                                       transaction_id="tx-sync", times=1)

        def test_async(novu_mock, novu):
            async def run():
                bulk = await novu.trigger_bulk_async(bulk_trigger_event_dto={"events": [
                    {"workflow_id": "suite-flow", "to": "suite-user"},
                    {"workflow_id": "suite-flow", "to": ["suite-user", "new-one"]},
                ]})
                cancel = await novu.cancel_async(transaction_id=bulk.result[0].transaction_id)
                return bulk, cancel
            bulk, cancel = asyncio.run(run())
            assert [r.status for r in bulk.result] == ["processed", "processed"]
            assert cancel.result is True  # its delay was pending
            novu_mock.assert_triggered("suite-flow", times=2)
            novu_mock.assert_triggered("suite-flow", to="new-one", times=1)

        @pytest.mark.novu_mock(api_keys=["right-key"])
        def test_sdk_errors_are_typed(novu_mock):
            wrong = Novu(secret_key="wrong-key", retry_config=NO_RETRY)
            with pytest.raises(models.ErrorDto) as info:
                wrong.trigger(trigger_event_request_dto={"workflow_id": "suite-flow", "to": "x"})
            assert info.value.data.status_code == 401
            assert info.value.data.message == "API Key not found"

        @pytest.mark.novu_mock(base_urls=["http://novu.test:4000"])
        def test_server_url_and_base_urls(novu_mock):
            novu = Novu(secret_key="k", server_url="http://novu.test:4000", retry_config=NO_RETRY)
            res = novu.trigger(trigger_event_request_dto={"workflow_id": "suite-flow", "to": "a"})
            assert res.result.status == "processed"
            assert novu_mock.requests[0]["path"] == "/v1/events/trigger"
        """,
    )
    result = suite.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=4)


def test_live_server_for_the_legacy_sdk(suite: pytest.Pytester) -> None:
    write_test(
        suite,
        "test_legacy.py",
        """
        import httpx
        from novu.api import EventApi

        URLS = []

        def test_trigger_over_http(novu_mock_server):
            assert novu_mock_server.url.startswith("http://127.0.0.1:")
            assert not novu_mock_server.url.endswith("/")
            URLS.append(novu_mock_server.url)
            novu_mock_server.mock.add_workflow("added-in-a-test")
            novu_mock_server.mock.engine.clock.advance(3600)
            api = EventApi(url=novu_mock_server.url, api_key="legacy-key", requests_timeout=5)
            event = api.trigger("suite-flow", "suite-user", {"k": "v"}, transaction_id="tx-legacy")
            assert event.transaction_id == "tx-legacy"
            novu_mock_server.assert_triggered("suite-flow", to="suite-user", payload={"k": "v"})
            assert novu_mock_server.requests[0]["path"] == "/v1/events/trigger"

        def test_the_next_test_gets_it_reset(novu_mock_server):
            assert novu_mock_server.url == URLS[0]  # one server per session
            assert novu_mock_server.triggers == []
            assert novu_mock_server.requests == []
            api = EventApi(url=novu_mock_server.url, api_key="legacy-key", requests_timeout=5)
            api.trigger("suite-flow", "suite-user", {})
            novu_mock_server.assert_not_triggered("added-in-a-test")
            response = httpx.post(novu_mock_server.url + "/v1/events/trigger",
                                  json={"name": "added-in-a-test", "to": "x"},
                                  headers={"Authorization": "ApiKey legacy-key"})
            assert response.status_code == 422  # the workflow a previous test added is gone

        def test_alongside_the_in_process_mock(novu_mock, novu_mock_server):
            r = httpx.post(novu_mock_server.url + "/v1/events/trigger",
                           json={"name": "suite-flow", "to": "x"},
                           headers={"Authorization": "ApiKey k"})
            assert r.status_code == 201
            assert novu_mock.triggers == []
            novu_mock_server.assert_triggered("suite-flow", to="x")
        """,
    )
    result = suite.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)


def test_markers_merge_module_class_and_function_levels(suite: pytest.Pytester) -> None:
    write_test(
        suite,
        "test_levels.py",
        """
        import httpx
        import pytest

        AUTH = {"Authorization": "ApiKey k"}
        pytestmark = pytest.mark.novu_mock(fixtures=["extra.yaml"], rate_limits={"trigger": 1})

        def status(name):
            response = httpx.post("https://api.novu.co/v1/events/trigger",
                                  json={"name": name, "to": "suite-user"}, headers=AUTH)
            return response.status_code

        @pytest.mark.novu_mock({"workflows": [{"workflowId": "class-flow"}]})
        class TestLevels:
            @pytest.mark.novu_mock(rate_limits={"trigger": 50})
            def test_fixtures_add_up_and_the_closest_option_wins(self, novu_mock):
                assert status("extra-flow") == 201   # module
                assert status("class-flow") == 201   # class
                assert status("suite-flow") == 201   # ini
                assert novu_mock.engine.environment("k").rate_limits == {"trigger": 50}

            def test_the_class_keeps_the_module_options(self, novu_mock):
                assert status("class-flow") == 201
                assert novu_mock.engine.environment("k").rate_limits == {"trigger": 1}
        """,
    )
    suite.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_importing_the_plugin_loads_no_transport() -> None:
    import subprocess
    import sys

    heavy = ("uvicorn", "starlette", "respx", "httpx")
    code = (
        "import sys, novu_mock._testing.plugin\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {heavy!r}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
    public = subprocess.run(
        [sys.executable, "-c", "import novu_mock; print(novu_mock.NovuMock.__name__)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert public.strip() == "NovuMock"


def test_marker_clock_option(suite: pytest.Pytester) -> None:
    write_test(
        suite,
        "test_clock_marker.py",
        """
        import httpx
        import pytest

        def test_virtual_by_default_and_advancing_delivers(novu_mock):
            assert novu_mock.clock.mode == "virtual"
            httpx.post("https://api.novu.co/v1/events/trigger",
                       json={"name": "suite-flow", "to": "suite-user"},
                       headers={"Authorization": "ApiKey k"})
            assert novu_mock.messages == []  # suite-flow waits an hour first
            novu_mock.clock.advance(hours=1)
            novu_mock.assert_notified("suite-user", channel="in_app", times=1)

        @pytest.mark.novu_mock(clock="real")
        def test_real_on_request(novu_mock):
            assert novu_mock.clock.mode == "real"

        @pytest.mark.novu_mock(clock="lunar")
        def test_unknown_clock(novu_mock):
            pass
        """,
    )
    result = suite.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*clock: expected one of real, virtual; got 'lunar'*"])
