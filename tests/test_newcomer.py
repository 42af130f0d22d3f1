"""A newcomer's mistakes, as their own test suite meets them (pytester, under a 30-second
timeout, novu-py with its DEFAULT retry settings): each must fail fast and say why."""

from __future__ import annotations

import signal
import textwrap

import pytest
from conftest import Api

from novu_mock._testing.retries import RetryLoopError

pytest_plugins = ["pytester"]

TIMEOUT = 30  # seconds; novu-py's default retries would otherwise run for up to an hour


class Hung(Exception):
    pass


def _hung(signum: int, frame: object) -> None:
    raise Hung(f"the user's test run did not finish within {TIMEOUT} s")


def run(pytester: pytest.Pytester, source: str, *args: str) -> pytest.RunResult:
    """The user's suite, in this process (no interpreter start-up to wait for), stopped by a
    real 30-second alarm: a test that hangs in novu-py's retries fails here, it does not wait."""
    pytester.makepyfile(test_user=textwrap.dedent(source))
    previous = signal.signal(signal.SIGALRM, _hung)
    signal.setitimer(signal.ITIMER_REAL, TIMEOUT)
    try:
        return pytester.runpytest("-p", "no:cacheprovider", *args)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# -- 1. a fault armed while the SDK keeps its default retries ----------------------------------


def test_retry_loop_under_a_fault_fails_fast_with_how_to_turn_retries_off(
    pytester: pytest.Pytester,
) -> None:
    result = run(
        pytester,
        """
        from novu_py import Novu

        def test_default_retries_meet_a_fault(novu_mock):
            novu_mock.fail_next(503, times=1000)
            Novu(secret_key="k").trigger(
                trigger_event_request_dto={"workflow_id": "welcome", "to": "user-1"})
        """,
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*RetryLoopError: novu-mock: POST /v1/events/trigger was sent 4 times in *"
            "each answered 503 by an armed fault*",
        ]
    )
    assert 'RetryConfig("none"' in result.stdout.str()


def test_retry_loop_swallowed_by_the_app_still_fails_the_test(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        from novu_py import Novu

        def test_swallowed(novu_mock):
            novu_mock.fail_next(500, times=1000)
            try:
                Novu(secret_key="k").trigger(
                    trigger_event_request_dto={"workflow_id": "welcome", "to": "user-1"})
            except Exception:
                pass  # an app that logs and carries on
        """,
    )
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*ERROR at teardown of test_swallowed*"])
    result.stdout.fnmatch_lines(["*was sent 4 times*answered 500*"])


def test_a_quick_loop_of_the_same_call_is_not_a_retry_loop(pytester: pytest.Pytester) -> None:
    """A circuit-breaker test sends the same call on purpose, with retries off: no alarm."""
    result = run(
        pytester,
        """
        import httpx

        def test_five_quick_refusals(novu_mock):
            novu_mock.fail_next(503, times=5)
            for _ in range(5):
                response = httpx.post("https://api.novu.co/v1/events/trigger",
                                      json={"name": "welcome", "to": "user-1"},
                                      headers={"Authorization": "ApiKey k"})
                assert response.status_code == 503
        """,
    )
    result.assert_outcomes(passed=1)


def test_retry_loop_is_journaled_by_the_server(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        import httpx

        def test_same_key_again_and_again(novu_mock_server):
            headers = {"Authorization": "ApiKey k", "Idempotency-Key": "same"}
            httpx.post(novu_mock_server.url + "/_mock/faults", json={"status": 502},
                       headers={"Authorization": "ApiKey k"})
            for _ in range(4):
                response = httpx.post(novu_mock_server.url + "/v1/events/trigger",
                                      json={"name": "welcome", "to": "user-1"}, headers=headers)
                assert response.status_code == 502
            loops = httpx.get(novu_mock_server.url + "/_mock/warnings").json()["data"]
            assert [(w["kind"], w["attempts"], w["status"]) for w in loops] == [
                ("retry-loop", 4, 502)]
        """,
    )
    result.assert_outcomes(passed=1)


# -- 2. a Novu-shaped call on a base URL nothing intercepts ------------------------------------


def test_novu_path_on_an_unknown_host_names_the_intercepted_base_urls(
    pytester: pytest.Pytester,
) -> None:
    result = run(
        pytester,
        """
        import httpx
        import pytest
        from novu_py import Novu

        def test_unknown_server_url(novu_mock):
            novu = Novu(secret_key="k", server_url="https://novu.internal.example/api")
            novu.trigger(trigger_event_request_dto={"workflow_id": "welcome", "to": "user-1"})

        @pytest.mark.novu_mock(base_urls=["https://novu.internal.example/api"])
        def test_added_it_works(novu_mock):
            novu = Novu(secret_key="k", server_url="https://novu.internal.example/api")
            res = novu.trigger(trigger_event_request_dto={"workflow_id": "welcome", "to": "u"})
            assert res.result.status == "processed"
        """,
    )
    result.assert_outcomes(failed=1, passed=1)
    expected = (
        "UnmatchedNovuRequest: novu-mock: POST https://novu.internal.example/api/v1/events/"
        "trigger looks like Novu's API (/v1/events/trigger) but "
        "https://novu.internal.example/api is not intercepted (intercepted: "
        "https://api.novu.co, https://eu.api.novu.co). Add it: "
        '@pytest.mark.novu_mock(base_urls=["https://novu.internal.example/api"])'
    )
    assert expected in result.stdout.str()


# -- 3. pytest-httpx's httpx_mock in the same test ----------------------------------------------


def test_httpx_mock_and_novu_mock_work_together(pytester: pytest.Pytester) -> None:
    pytest.importorskip("pytest_httpx")
    result = run(
        pytester,
        """
        import asyncio

        import httpx
        from novu_py import Novu

        def test_both(httpx_mock, novu_mock):
            httpx_mock.add_response(url="https://payments.example/charge", json={"ok": True})
            assert httpx.post("https://payments.example/charge").json() == {"ok": True}
            res = Novu(secret_key="k").trigger(
                trigger_event_request_dto={"workflow_id": "welcome", "to": "user-1"})
            assert res.result.status == "processed"
            novu_mock.assert_triggered("welcome", to="user-1")

        def test_both_async(novu_mock, httpx_mock):
            async def go():
                return await Novu(secret_key="k").trigger_async(
                    trigger_event_request_dto={"workflow_id": "welcome", "to": "user-2"})
            assert asyncio.run(go()).result.status == "processed"

        def test_other_hosts_still_belong_to_httpx_mock(novu_mock, httpx_mock):
            httpx_mock.add_response(url="https://payments.example/charge", json={"ok": True})
            assert httpx.post("https://payments.example/charge").json() == {"ok": True}
        """,
    )
    result.assert_outcomes(passed=3)


# -- 4. armed faults and forced outcomes that never fire ---------------------------------------


def test_unused_faults_and_outcomes_are_reported_at_teardown(pytester: pytest.Pytester) -> None:
    pytester.makefile(
        ".yaml",
        marker="""
        outcomes:
          - when: {workflowId: order-shipped}
            status: trigger_not_active
        """,
    )
    result = run(
        pytester,
        """
        import httpx
        import pytest

        def trigger(name):
            return httpx.post("https://api.novu.co/v1/events/trigger",
                              json={"name": name, "to": "user-1"},
                              headers={"Authorization": "ApiKey k"})

        def test_fault_never_met(novu_mock):
            novu_mock.fail_next(503, workflow_id="password-reset")
            trigger("welcome")

        def test_outcome_never_met(novu_mock):
            novu_mock.add_outcome("no_tenant_found", workflow_id="comment-added")
            trigger("welcome")

        @pytest.mark.novu_mock("marker.yaml")
        def test_marker_outcome_never_met(novu_mock):
            trigger("welcome")

        def test_used_ones_are_fine(novu_mock):
            novu_mock.fail_next(503, workflow_id="welcome")
            novu_mock.add_outcome("no_tenant_found", workflow_id="comment-added")
            assert trigger("welcome").status_code == 503
            assert trigger("comment-added").json()["data"]["status"] == "no_tenant_found"

        @pytest.mark.novu_mock(assert_all_faults_were_used=False)
        def test_opt_out(novu_mock):
            novu_mock.fail_next(503, workflow_id="password-reset")
        """,
    )
    result.assert_outcomes(passed=5, errors=3)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_fault_never_met*",
            "novu-mock: armed but never used by any request of this test:",
            '- fault {"status": 503, "times": 1, "when": {"workflowId": "password-reset"}}',
            "If that is expected, use @pytest.mark.novu_mock(assert_all_faults_were_used=False)*",
        ]
    )
    result.stdout.fnmatch_lines(
        ['- outcome {"status": "no_tenant_found", "when": {"workflowId": "comment-added"}}']
    )
    result.stdout.fnmatch_lines(
        ['- outcome {"status": "trigger_not_active", "when": {"workflowId": "order-shipped"}}']
    )


def test_unused_check_off_for_the_suite_by_ini(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nnovu_mock_assert_all_faults_were_used = false\n")
    result = run(
        pytester,
        """
        def test_fault_never_met(novu_mock):
            novu_mock.fail_next(503)
        """,
    )
    result.assert_outcomes(passed=1)


# -- 5. forcing a trigger status from Python ----------------------------------------------------


def test_add_outcome_forces_a_status_for_novu_py(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        from novu_py import Novu
        from novu_py.utils import BackoffStrategy, RetryConfig

        NO_RETRY = RetryConfig("none", BackoffStrategy(0, 0, 0, 0), False)

        def test_forced(novu_mock):
            novu_mock.add_outcome("error", workflow_id="welcome", error=["simulated failure"])
            novu_mock.add_outcome("trigger_not_active", subscriber_id="user-2")
            novu = Novu(secret_key="k", retry_config=NO_RETRY)
            first = novu.trigger(trigger_event_request_dto={"workflow_id": "welcome", "to": "u"})
            assert first.result.status == "error"
            assert first.result.error == ["simulated failure"]
            second = novu.trigger(
                trigger_event_request_dto={"workflow_id": "comment-added", "to": "user-2"})
            assert second.result.status == "trigger_not_active"
            novu_mock.assert_triggered("welcome", status="error")
        """,
    )
    result.assert_outcomes(passed=1)


# -- 7. a marker fixture file that is nowhere ----------------------------------------------------


def test_missing_marker_fixture_file_names_every_place_looked(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        import pytest

        @pytest.mark.novu_mock("missing.yaml")
        def test_it(novu_mock):
            pass
        """,
    )
    result.assert_outcomes(errors=1)
    here = pytester.path
    result.stdout.fnmatch_lines(
        [
            "novu-mock: fixture file 'missing.yaml' of @pytest.mark.novu_mock not found; looked in:",
            f"- {here / 'missing.yaml'} (next to the test module)",
            f"- {here / 'missing.yaml'} (the working directory)",
        ]
    )


# -- 1. the same call refused again and again, at any pace --------------------------------------


def test_a_burst_of_refusals_is_a_loop_on_both_transports(api: Api) -> None:
    """A client honouring a tiny Retry-After retries without pausing: 50 refusals in a row of
    one call are a loop too (in-process: RetryLoopError; over HTTP: /_mock/warnings)."""
    assert api.post("/_mock/faults", {"status": 503, "retryAfter": 0.001}).status_code == 201
    event = {"name": "welcome", "to": "user-1"}
    for _ in range(50):
        assert api.post("/v1/events/trigger", event).status_code == 503
    assert api.get("/_mock/warnings").json()["data"] == []
    if api.transport == "inprocess":
        with pytest.raises(RetryLoopError, match="was sent 51 times"):
            api.post("/v1/events/trigger", event)
    else:
        assert api.post("/v1/events/trigger", event).status_code == 503
    warnings = api.get("/_mock/warnings").json()["data"]
    assert [(w["kind"], w["attempts"], w["status"]) for w in warnings] == [("retry-loop", 51, 503)]


# -- 6. the README's first test runs as written -------------------------------------------------


def test_the_readmes_first_test_passes_as_written(pytester: pytest.Pytester) -> None:
    import re
    from pathlib import Path

    readme = (Path(__file__).parents[1] / "README.md").read_text("utf-8")
    found = re.search(r"```python\n(# test_welcome.py\n.*?)```", readme, re.S)
    assert found is not None, "README.md lost its first test (# test_welcome.py)"
    result = run(pytester, found.group(1))
    result.assert_outcomes(passed=1)


def test_a_retry_loop_under_the_rate_limit_on_both_transports(api: Api) -> None:
    """@novu/api keeps its Idempotency-Key across retries: four 429s of one call in a row."""
    api.seed({"rateLimits": {"trigger": 0.2}})  # one trigger per 5 s window
    event = {"name": "welcome", "to": "user-1"}
    same = {"Idempotency-Key": "one-call"}
    assert api.post("/v1/events/trigger", event, headers=same).status_code == 201
    for _ in range(3):
        assert api.post("/v1/events/trigger", event, headers=same).status_code == 429
    if api.transport == "inprocess":
        with pytest.raises(RetryLoopError, match="each answered 429 by the rate limit"):
            api.post("/v1/events/trigger", event, headers=same)
    else:
        assert api.post("/v1/events/trigger", event, headers=same).status_code == 429
    warnings = api.get("/_mock/warnings").json()["data"]
    assert [(w["attempts"], w["status"], w["by"]) for w in warnings] == [(4, 429, "the rate limit")]
