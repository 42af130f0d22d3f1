"""The whole SDK matrix through `novu-mock proxy` (issue 16: identical setups, no drift over
every operation of the SDK matrix).

The operations are the matrix's own: tests/sdk/test_sdk_python.py (novu-py sync and async, the
legacy `novu`) and tests/sdk/test_sdk_node.py (@novu/api, @novu/node, every case of
tests/sdk/node/matrix.mjs) run unchanged in a pytest of their own, pointed at a proxy
(NOVU_MOCK_SDK_PROXY) in front of a `novu-mock serve` with the same fixtures
(NOVU_MOCK_SDK_UPSTREAM). Their assertions must hold on the answers the proxy passes back, and
the proxy must have compared every call the upstream answered and found no drift. Only the
unknown-key cases stay on a server of their own (a keyed `serve`): the shadow takes any key.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
from sdk.cli import FIXTURE_ARGS, CliServer

ROOT = Path(__file__).resolve().parent.parent
MATRIX = ["tests/sdk/test_sdk_python.py", "tests/sdk/test_sdk_node.py"]
BANNER = re.compile(r"proxying the Novu API at (http://\S+) to ")


def test_identical_setups_have_no_drift_over_the_whole_sdk_matrix(
    node_sdks: Path, tmp_path: Path
) -> None:
    recording = tmp_path / "matrix.jsonl"
    upstream = CliServer()
    try:
        proxy = subprocess.Popen(
            [
                *(sys.executable, "-m", "novu_mock", "proxy", "--port", "0"),
                *("--upstream", upstream.url, "--record", str(recording), *FIXTURE_ARGS),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert proxy.stdout is not None
            found = BANNER.search(proxy.stdout.readline())
            assert found, proxy.stderr.read() if proxy.stderr else ""
            url = found.group(1)
            env = {
                **os.environ,
                "NOVU_MOCK_SDK_PROXY": url,
                "NOVU_MOCK_SDK_UPSTREAM": upstream.url,
            }
            matrix = subprocess.run(
                [sys.executable, "-m", "pytest", *MATRIX, "-q", "-p", "no:cacheprovider"],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=600,
            )
            drift = httpx.get(f"{url}/_mock/drift").json()["data"]
            answered = httpx.get(f"{upstream.url}/_mock/requests").json()["data"]
        finally:
            proxy.send_signal(signal.SIGTERM)
            out, err = proxy.communicate(timeout=30)
    finally:
        upstream.stop()
    summary = matrix.stdout.strip().splitlines()[-1] if matrix.stdout.strip() else ""
    assert matrix.returncode == 0, matrix.stdout[-4000:] + matrix.stderr[-2000:]
    # Every test of the matrix ran (none skipped for want of Node or a browser).
    assert re.fullmatch(r"\d+ passed in .*", summary.strip("= ")), summary
    assert drift == [], json.dumps(drift, indent=1)[:4000]
    # Every call the upstream answered came through the proxy and was compared.
    lines = recording.read_text().splitlines()
    assert len(lines) == len(answered)
    assert f"{len(answered)} calls, 0 with drift" in out.splitlines(), out + err
    # What the matrix covers today (it decides; this only guards against running nothing).
    routes = {(r["method"], re.sub(r"/[0-9a-f]{24}", "/{id}", r["path"])) for r in answered}
    assert {
        ("POST", "/v1/events/trigger/bulk"),
        ("DELETE", "/v1/events/trigger/to-cancel"),
        ("POST", "/v1/integrations/{id}/set-primary"),  # ids of the upstream's, in paths
        ("GET", "/v1/notifications/{id}"),
        ("POST", "/v1/subscribers/sam/messages/mark-as"),  # ... and in bodies
        ("GET", "/v1/messages"),  # ... and in query strings
    } <= routes
