"""Shared test fixtures: the same contract tests run in-process (respx) and over real HTTP."""

from __future__ import annotations

import fcntl
import http.client
import itertools
import json as jsonlib
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import httpx
import pytest

from novu_mock import NOVU_BASE_URLS, MockServer, NovuMock, bundled

FIXTURES: list[Any] = [bundled("default.yaml"), bundled("statuses.yaml")]
TRANSPORTS = ("inprocess", "http")
HERE = Path(__file__).parent


class Api:
    """A small client for one transport and one API key (its own isolated environment)."""

    def __init__(self, client: httpx.Client, key: str, mock: NovuMock, transport: str) -> None:
        self.client = client
        self.key = key
        self.mock = mock
        self.transport = transport

    def auth(self, key: str | None = None) -> dict[str, str]:
        return {"Authorization": f"ApiKey {key or self.key}"}

    def request(
        self,
        method: str,
        path: str,
        json: Any = None,
        *,
        headers: dict[str, str] | None = None,
        content: bytes | str | None = None,
        key: str | None = None,
        params: dict[str, Any] | None = None,
    ) -> httpx.Response:
        merged = {**self.auth(key), **(headers or {})}
        # A full URL keeps `//v1/...` paths as sent; httpx would read them as a host.
        url = str(self.client.base_url).rstrip("/") + path
        return self.client.request(
            method, url, json=json, content=content, headers=merged, params=params
        )

    def raw_post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, Any]:
        """POST with headers httpx refuses to send (e.g. a trailing space), over either transport."""
        if self.transport == "inprocess":
            from novu_mock import Call

            call = Call("POST", path, "", {k.lower(): v for k, v in headers.items()}, body)
            reply = self.mock.engine.handle(call)
            return reply.status, jsonlib.loads(reply.body)
        parts = httpx.URL(str(self.client.base_url))
        connection = http.client.HTTPConnection(parts.host, parts.port, timeout=5)
        try:
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, jsonlib.loads(response.read())
        finally:
            connection.close()

    def post(self, path: str, json: Any = None, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, json, **kwargs)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def delete(self, path: str, json: Any = None, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", path, json, **kwargs)

    def patch(self, path: str, json: Any = None, **kwargs: Any) -> httpx.Response:
        return self.request("PATCH", path, json, **kwargs)

    def put(self, path: str, json: Any = None, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", path, json, **kwargs)

    def seed(self, document: dict[str, Any]) -> None:
        """Merge a fixture document into this key's environment (POST /_mock/fixtures)."""
        response = self.post("/_mock/fixtures", document)
        assert response.status_code == 201, response.text

    def triggers(self, **filters: str) -> list[dict[str, Any]]:
        response = self.get("/_mock/triggers", params=filters)
        assert response.status_code == 200, response.text
        data: list[dict[str, Any]] = response.json()["data"]
        return data

    def state(self) -> dict[str, Any]:
        response = self.get("/_mock/state")
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()["data"]
        return data


@pytest.fixture(scope="session")
def live_server() -> Iterator[MockServer]:
    """One live server for the session; tests stay apart by using distinct API keys."""
    with NovuMock(FIXTURES).serve() as server:
        yield server


# Masks show a key's last four characters, and a server numbers the keys that share them
# (`****abcd~2`): on the session's live server, random tails collided now and then.
_KEY_TAILS = itertools.count(1)


@pytest.fixture
def api_key() -> str:
    """A key of its own for the test; its last four characters are unique in this process."""
    return f"test-key-{uuid.uuid4().hex[:8]}{next(_KEY_TAILS) % 0x10000:04x}"


@pytest.fixture(params=TRANSPORTS)
def api(request: pytest.FixtureRequest, api_key: str) -> Iterator[Api]:
    """The contract-test client, once per transport: in-process (respx) and over real HTTP."""
    if request.param == "inprocess":
        mock = NovuMock(FIXTURES)
        with mock.intercept(), httpx.Client(base_url=NOVU_BASE_URLS[0]) as client:
            yield Api(client, api_key, mock, "inprocess")
    else:
        server: MockServer = request.getfixturevalue("live_server")
        with httpx.Client(base_url=server.url) as client:
            yield Api(client, api_key, cast(NovuMock, server.mock), "http")


NODE_SDK_DIR = HERE / "sdk" / "node"


@pytest.fixture(scope="session")
def node_sdks() -> Path:
    """tests/sdk/node with its locked packages installed (`npm ci` on a fresh clone)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        # CI has Node: there a missing toolchain is a failure, not a skip.
        if os.environ.get("CI") == "true":
            pytest.fail("node and npm are needed for the Node SDK matrix (Node 20+)")
        pytest.skip(
            "Node 20+ and npm are not on PATH, so the Node SDKs (@novu/api, @novu/node) were not "
            "tested; install Node to run them (under CI=true this fails instead)"
        )
    # xdist workers share the directory: one installs while the others wait on the lock.
    with (NODE_SDK_DIR / "package-lock.json").open() as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (NODE_SDK_DIR / "node_modules" / "@novu" / "node").is_dir():
            done = subprocess.run(
                [npm, "ci", "--no-audit", "--no-fund"],
                cwd=NODE_SDK_DIR,
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert done.returncode == 0, f"npm ci failed:\n{done.stdout}\n{done.stderr}"
    return NODE_SDK_DIR
