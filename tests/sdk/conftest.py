"""Fixtures of the SDK matrix: live `novu-mock serve` subprocesses and a key per test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import cast

import pytest

from .cli import KNOWN_KEY, VIA_PROXY, Admin, CliServer, RunningServer


def _run(*args: str) -> Iterator[CliServer]:
    server = CliServer(*args)
    try:
        yield server
    finally:
        code = server.process.poll()
        output = server.stderr() if code is None or code != 0 else ""
        assert server.stop() == 0, f"novu-mock serve did not stop cleanly: {output}"


@pytest.fixture(scope="session")
def cli_server() -> Iterator[CliServer]:
    """Any key accepted, one environment per key: every test uses its own key. Under
    tests/test_proxy_matrix.py, the proxy that test started instead."""
    if VIA_PROXY:
        yield cast(CliServer, RunningServer(VIA_PROXY))  # the tests use its `url` only
        return
    yield from _run()


@pytest.fixture(scope="session")
def keyed_cli_server() -> Iterator[CliServer]:
    """Only KNOWN_KEY accepted, for the 401 cases."""
    yield from _run("--api-key", KNOWN_KEY)


@pytest.fixture
def key() -> str:
    return f"sdk-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def admin(cli_server: CliServer, key: str) -> Admin:
    return Admin(cli_server.url, key)
