"""The pytest plugin (entry point `novu_mock`): fixtures `novu_mock`, `novu_mock_server`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ._mock import NovuMock
from ._server import MockServer


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "novu_mock_fixtures",
        type="paths",
        default=[],
        help="novu-mock fixture files (YAML or JSON) for every test",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "novu_mock(fixtures=None, api_keys=None, base_urls=None, rate_limits=None): "
        "configure the novu_mock fixture for this test",
    )


def _ini_fixtures(config: pytest.Config) -> list[Path]:
    return [Path(p) for p in config.getini("novu_mock_fixtures")]


@pytest.fixture
def novu_mock(request: pytest.FixtureRequest) -> Iterator[NovuMock]:
    """A fresh NovuMock with httpx interception active for the test."""
    marker = request.node.get_closest_marker("novu_mock")
    options: dict[str, Any] = dict(marker.kwargs) if marker else {}
    fixtures: list[Any] = [*_ini_fixtures(request.config), *(options.get("fixtures") or [])]
    rate_limits = options.get("rate_limits")
    if rate_limits:
        fixtures.append({"rateLimits": dict(rate_limits)})
    mock = NovuMock(fixtures, options.get("api_keys"), options.get("base_urls"))
    with mock.intercept():
        yield mock


@pytest.fixture(scope="session")
def _novu_mock_live_server(request: pytest.FixtureRequest) -> Iterator[MockServer]:
    mock = NovuMock(_ini_fixtures(request.config))
    with mock.serve() as server:
        yield server


@pytest.fixture
def novu_mock_server(_novu_mock_live_server: MockServer) -> MockServer:
    """The session's live novu-mock server (loopback, free port), reset for this test."""
    _novu_mock_live_server.reset()
    return _novu_mock_live_server
