"""@novu/api (and the legacy @novu/node) through `novu-mock proxy`: tests/sdk/node/matrix.mjs
runs every operation of the Node SDK matrix against the proxy in front of a second novu-mock."""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from proxy_support import proxy_to, upstream
from sdk.sdk_cases import NODE_INPUT, PAYLOAD
from sdk.test_sdk_node import CASES, DELIVERY_FIXTURES, INTEGRATION

from novu_mock import bundled

NODE_DIR = Path(__file__).parent / "sdk" / "node"
FIXTURES: list[Any] = [bundled("default.yaml"), bundled("statuses.yaml")]
INACTIVE = {"workflows": [{"workflowId": "status-processed", "active": False}]}


def _matrix(sdk: str, url: str, upstream_url: str) -> tuple[dict[str, Any], dict[str, str]]:
    keys = {case: f"node-proxy-{case}-{uuid.uuid4().hex[:8]}" for case in CASES}
    # The matrix seeds its delivery case through /_mock/fixtures, which on a proxy reaches the
    # shadow only: the same document goes to the upstream first, so both sides start equal.
    seeded = httpx.post(
        f"{upstream_url}/_mock/fixtures",
        json=DELIVERY_FIXTURES,
        headers={"Authorization": f"ApiKey {keys['delivery']}"},
    )
    assert seeded.status_code == 201, seeded.text
    # Cancel answers true only while there is pending delayed work (D10 revised): the cancel
    # case's workflow waits an hour, on the upstream and in the proxy's shadow alike.
    from sdk.sdk_cases import DELAYED_PROCESSED

    for side in (upstream_url, url):
        later = httpx.post(
            f"{side}/_mock/fixtures",
            json=DELAYED_PROCESSED,
            headers={"Authorization": f"ApiKey {keys['cancel']}"},
        )
        assert later.status_code == 201, later.text
    data = {
        "sdk": sdk,
        "url": url,
        "keyedUrl": url,
        "badKey": f"node-proxy-other-{uuid.uuid4().hex[:8]}",
        "keys": keys,
        "cases": {
            **NODE_INPUT,
            "delivery": DELIVERY_FIXTURES,
            "integration": INTEGRATION,
            "trigger": {"name": "status-processed", "to": "status-user", "payload": PAYLOAD},
            "subscriberIdMissing": {
                "name": "status-subscriber-id-missing",
                "to": "status-user",
                "transactionId": "sim-1",
            },
        },
    }
    done = subprocess.run(
        ["node", "matrix.mjs"],
        cwd=NODE_DIR,
        input=json.dumps(data),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    results: dict[str, Any] = json.loads(done.stdout)
    return results, keys


@pytest.mark.parametrize("sdk", ["@novu/api", "@novu/node"])
def test_identical_setups_have_no_drift_over_the_node_matrix(sdk: str, node_sdks: Path) -> None:
    with upstream(*FIXTURES) as up, proxy_to(up.url, *FIXTURES) as (proxy, state):
        results, _ = _matrix(sdk, proxy.url, up.url)
        assert results["trigger"]["value"]["status"] == "processed"
        assert results["cancel"]["value"] == [True, False]
        assert results["integrations"]["ok"], results["integrations"]
        assert results["delivery"]["ok"], results["delivery"]
        # Messages, notifications and integrations are addressed by the upstream's ids (in
        # paths, query strings and bodies): the shadow reaches its own through the id map.
        assert state.drift.select() == []
        assert state.drift.calls == len(up.requests) >= 14  # every call of the matrix


def test_node_caller_gets_the_upstream_answer_and_the_drift_names_it(node_sdks: Path) -> None:
    with upstream(*FIXTURES, INACTIVE) as up, proxy_to(up.url, *FIXTURES) as (proxy, state):
        results, keys = _matrix("@novu/api", proxy.url, up.url)
        assert results["trigger"]["value"]["status"] == "trigger_not_active"
        entries = state.drift.select()
    single = [e for e in entries if e["path"] == "/v1/events/trigger"]
    assert single and all(
        {"at": "$.data.status", "upstream": "trigger_not_active", "mock": "processed"}
        in e["differences"]
        for e in single
    )
    bulk = next(e for e in entries if e["path"] == "/v1/events/trigger/bulk")
    assert {"at": "$.data[0].status", "upstream": "trigger_not_active", "mock": "processed"} in (
        bulk["differences"]
    )
    masked = {e["environment"] for e in entries}
    assert all(key not in json.dumps(entries) for key in keys.values())
    assert all(m.startswith("****") for m in masked)
