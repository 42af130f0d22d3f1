"""docs/*.md examples and claims that a reader copies: they run as written."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _push_override_snippet() -> str:
    text = (DOCS / "endpoints.md").read_text("utf-8")
    found = re.search(r"\*\*What novu-py 3\.19 can send\*\*.*?```python\n(.*?)```", text, re.S)
    assert found is not None, "docs/endpoints.md lost its novu-py overrides example"
    return found.group(1)


def test_endpoints_push_title_override_example_passes(pytester: pytest.Pytester) -> None:
    body = textwrap.indent(_push_override_snippet(), "    ")
    pytester.makepyfile(test_push=f"import httpx\n\n\ndef test_push_title(novu_mock):\n{body}")
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-W", "error")
    result.assert_outcomes(passed=1)


def test_novu_py_drops_provider_keyed_overrides_as_the_docs_say(novu_mock: object) -> None:
    import novu_py
    from novu_py.utils import BackoffStrategy, RetryConfig

    from novu_mock import NovuMock

    assert isinstance(novu_mock, NovuMock)
    novu = novu_py.Novu(
        secret_key="test", retry_config=RetryConfig("none", BackoffStrategy(0, 0, 0, 0), False)
    )
    overrides = {
        "fcm": {"title": "dropped by novu-py"},
        "push": {"title": "sent, not read for push"},
        "providers": {"fcm": {"title": "sent, passthrough only"}},
    }
    novu.trigger(
        trigger_event_request_dto={
            "workflow_id": "order-shipped",
            "to": "user-3",
            "payload": {"orderId": "A-17"},
            "overrides": overrides,
        }  # type: ignore[arg-type]
    )
    [push] = [m for m in novu_mock.messages if m["channel"] == "push"]
    assert push["providerId"] == "fcm"
    assert "fcm" not in push["overrides"]
    assert set(push["overrides"]) == {"push", "providers"}
    assert push["subject"] == "Order A-17 shipped"


def test_novu_py_sets_a_push_title_through_the_fcm_provider_layer(novu_mock: object) -> None:
    # Novu's FCM provider merges `overrides.providers.fcm` into the message it sends, whose
    # texts sit under `notification`: the one push title novu-py can set (docs/endpoints.md).
    import novu_py
    from novu_py.utils import BackoffStrategy, RetryConfig

    from novu_mock import NovuMock

    assert isinstance(novu_mock, NovuMock)
    novu = novu_py.Novu(
        secret_key="test", retry_config=RetryConfig("none", BackoffStrategy(0, 0, 0, 0), False)
    )
    novu.trigger(
        trigger_event_request_dto={
            "workflow_id": "order-shipped",
            "to": "user-3",
            "payload": {"orderId": "A-17"},
            "overrides": {
                "providers": {"fcm": {"notification": {"title": "Shipped!", "body": "Soon"}}}
            },
        }
    )
    novu_mock.assert_notified("user-3", channel="push", subject="Shipped!", content="Soon")
