"""A live `novu-mock serve` (the real CLI, in a subprocess) and its /_mock endpoints."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from typing import IO, Any

import httpx

from novu_mock import bundled

FIXTURE_ARGS = [
    "--fixtures",
    str(bundled("default.yaml")),
    "--fixtures",
    str(bundled("statuses.yaml")),
]
#: The only key the keyed server accepts; any other key gets Novu's 401.
KNOWN_KEY = "contract-known-key"
_BANNER = re.compile(r"serving the Novu API at (http://\S+)$")
#: Set by tests/test_proxy_matrix.py, which runs this whole matrix through `novu-mock proxy`:
#: the proxy's URL (the SDKs call it instead of a `serve` of their own) and its upstream's (a
#: `serve` with the same fixtures). Seeds go to both sides; journals are read from the
#: upstream, whose answers the SDKs got.
VIA_PROXY = os.environ.get("NOVU_MOCK_SDK_PROXY", "")
UPSTREAM = os.environ.get("NOVU_MOCK_SDK_UPSTREAM", "")


def seed_urls(url: str) -> list[str]:
    """Where a fixture document for the server at `url` goes: the proxy's upstream too."""
    return [UPSTREAM, url] if VIA_PROXY and url == VIA_PROXY else [url]


def journal_url(url: str) -> str:
    """Where the journals of the server at `url` are read: a proxy's upstream."""
    return UPSTREAM if VIA_PROXY and url == VIA_PROXY else url


class CliServer:
    """`novu-mock serve --port 0 ...` as a subprocess; `url` is the base URL it printed."""

    def __init__(self, *args: str) -> None:
        self._stderr: IO[str] = tempfile.TemporaryFile("w+")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            # --quiet: nobody reads the pipe after the banner, and a full pipe would block.
            [
                sys.executable,
                "-m",
                "novu_mock",
                "serve",
                "--port",
                "0",
                "--quiet",
                *FIXTURE_ARGS,
                *args,
            ],
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
        )
        assert self.process.stdout is not None
        first = self.process.stdout.readline().strip()
        found = _BANNER.search(first)
        if found is None:
            self.stop()
            raise RuntimeError(f"novu-mock serve did not start: {first!r} {self.stderr()}")
        self.url: str = found.group(1)

    def stderr(self) -> str:
        # pread: a seek would move the offset the server writes at, and later lines would
        # overwrite the first.
        fd = self._stderr.fileno()
        return os.pread(fd, os.fstat(fd).st_size, 0).decode("utf-8", "replace")

    def stop(self) -> int:
        """SIGTERM, then the exit code (0 on a clean stop)."""
        if self.process.poll() is None:
            self.process.terminate()
        try:
            code = self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
        self._stderr.close()
        return code


class RunningServer:
    """A server someone else started and stops (VIA_PROXY): only its URL, as tests use it."""

    def __init__(self, url: str) -> None:
        self.url = url


class Admin:
    """The /_mock endpoints of a live server, for one key's environment."""

    def __init__(self, url: str, key: str) -> None:
        self.url = url
        self.key = key
        self.headers = {"Authorization": f"ApiKey {key}"}

    def seed(self, document: dict[str, Any]) -> None:
        for url in seed_urls(self.url):
            response = httpx.post(f"{url}/_mock/fixtures", json=document, headers=self.headers)
            assert response.status_code == 201, response.text

    def triggers(self, **filters: str) -> list[dict[str, Any]]:
        response = httpx.get(
            f"{journal_url(self.url)}/_mock/triggers", params=filters, headers=self.headers
        )
        assert response.status_code == 200, response.text
        data: list[dict[str, Any]] = response.json()["data"]
        return data

    def requests(self) -> list[dict[str, Any]]:
        response = httpx.get(f"{journal_url(self.url)}/_mock/requests", headers=self.headers)
        assert response.status_code == 200, response.text
        data: list[dict[str, Any]] = response.json()["data"]
        return data

    def state(self) -> dict[str, Any]:
        response = httpx.get(f"{journal_url(self.url)}/_mock/state", headers=self.headers)
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()["data"]
        return data
