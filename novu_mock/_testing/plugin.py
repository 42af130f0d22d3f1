"""The pytest plugin (entry point `novu_mock`): fixtures `novu_mock`, `novu_mock_server`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .stash import CALL_FAILED, SUITE_FIXTURES

if TYPE_CHECKING:
    from .._transports.server import MockServer
    from .mock import NovuMock

# Importing this module (pytest does in every session) loads nothing of novu-mock beyond it:
# the engine, httpx, respx, starlette and uvicorn load when a fixture first runs.


_MARKER_OPTIONS = (
    "fixtures",
    "api_keys",
    "base_urls",
    "rate_limits",
    "strict",
    "assert_all_faults_were_used",
    "clock",
)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "novu_mock_fixtures",
        type="paths",
        default=[],
        help="novu-mock fixture files (YAML or JSON) for every test; default: the bundled "
        "default.yaml",
    )
    parser.addini(
        "novu_mock_assert_all_faults_were_used",
        type="bool",
        default=True,
        help="fail a test whose faults or forced outcomes (armed from Python or its marker) "
        "were never used; default: true",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "novu_mock(fixtures=None, api_keys=None, base_urls=None, rate_limits=None, strict=False, "
        "assert_all_faults_were_used=True, clock='virtual'): configure the novu_mock fixture "
        "for this test",
    )


def _suite_fixtures(config: pytest.Config) -> list[Any]:
    """The ini option's files, or the bundled defaults when it is not set."""
    cached = config.stash.get(SUITE_FIXTURES, None)
    if cached is not None:  # every test of the session names the same files: look once
        return list(cached)
    from .._fixtures import bundled

    paths = [Path(p) for p in config.getini("novu_mock_fixtures")]
    for path in paths:
        if not path.exists():
            where = config.inipath or "the ini file"
            pytest.fail(
                f"novu-mock: fixture file {path.name!r} of novu_mock_fixtures not found; looked "
                f"in:\n- {path} (relative to {where})",
                pytrace=False,
            )
    found: list[Any] = paths if paths else [bundled("default.yaml")]
    config.stash[SUITE_FIXTURES] = tuple(found)  # once all exist: a missing one fails each test
    return list(found)


def _resolve(item: Any, test_dir: Path | None) -> Any:
    """A relative path names a file next to the test module, else in the working directory;
    a file in neither fails the test with every place looked."""
    if not isinstance(item, (str, Path)):
        return item
    path = Path(item)
    if path.is_absolute():
        places = [(path, "absolute path")]
    else:
        places = [(Path.cwd() / path, "the working directory")]
        if test_dir is not None:
            places.insert(0, (test_dir / path, "next to the test module"))
    for candidate, _ in places:
        if candidate.exists():
            return candidate
    looked = "\n".join(f"- {candidate} ({why})" for candidate, why in places)
    pytest.fail(
        f"novu-mock: fixture file {str(item)!r} of @pytest.mark.novu_mock not found; looked "
        f"in:\n{looked}",
        pytrace=False,
    )


def _marker_options(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The `novu_mock` markers of the module, the class and the test, merged: fixtures add up
    (module first), every other option is the closest level's."""
    options: dict[str, Any] = {}
    fixtures: list[Any] = []
    for marker in reversed(list(request.node.iter_markers("novu_mock"))):
        unknown = sorted(set(marker.kwargs) - set(_MARKER_OPTIONS))
        if unknown:
            raise pytest.UsageError(
                f"@pytest.mark.novu_mock: unknown option(s) {', '.join(unknown)}; "
                f"expected {', '.join(_MARKER_OPTIONS)}"
            )
        # @pytest.mark.novu_mock("a.yaml", "b.yaml") is fixtures=[...]
        fixtures.extend([*marker.args, *_as_list(marker.kwargs.get("fixtures"))])
        options.update(marker.kwargs)
    if fixtures:
        options["fixtures"] = fixtures
    return options


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (str, Path, dict)):
        return [value]
    return list(value)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep the call phase's report: teardown checks stay quiet when the test already failed."""
    report = yield
    if report.when == "call":
        item.stash[CALL_FAILED] = report.failed
    return report


@pytest.fixture
def novu_mock(request: pytest.FixtureRequest) -> Iterator[NovuMock]:
    """A fresh NovuMock with httpx interception active for the test.

    Fixtures: the ini option `novu_mock_fixtures` (default: the bundled default.yaml) plus the
    `@pytest.mark.novu_mock(fixtures=...)` ones; see the marker for the other options.
    """
    from .mock import NovuMock

    options = _marker_options(request)
    module = getattr(request.node, "path", None)
    test_dir = module.parent if isinstance(module, Path) else None
    suite_fixtures = _suite_fixtures(request.config)
    fixtures: list[Any] = [
        *suite_fixtures,
        *(_resolve(item, test_dir) for item in _as_list(options.get("fixtures"))),
    ]
    rate_limits = options.get("rate_limits")
    if rate_limits:
        fixtures.append({"rateLimits": dict(rate_limits)})
    from .._model.clock import CLOCK_MODES

    clock = options.get("clock", "virtual")
    if clock not in CLOCK_MODES:
        raise pytest.UsageError(
            f"@pytest.mark.novu_mock: clock: expected one of {', '.join(CLOCK_MODES)}; "
            f"got {clock!r}"
        )
    mock = NovuMock(
        fixtures, options.get("api_keys"), _as_list(options.get("base_urls")), clock=clock
    )
    # The marker's own faults and outcomes:
    for document in mock._documents[len(suite_fixtures) :]:
        mock._armed.extend(("fault", dict(f)) for f in document.get("faults") or [])
        mock._armed.extend(("outcome", dict(o)) for o in document.get("outcomes") or [])
    interception = mock.intercept(strict=bool(options.get("strict", False)))
    with interception:
        if "httpx_mock" in request.fixturenames:  # pytest-httpx answers first: bridge to us
            from .together import answer_through_httpx_mock

            answer_through_httpx_mock(request.getfixturevalue("httpx_mock"), interception.router)
        yield mock
    from .teardown import check_after_test

    check_after_test(request, mock, options)


class _SessionServer:
    """The session's server and what a reset must bring back."""

    def __init__(self, mock: NovuMock, server: MockServer) -> None:
        self.mock = mock
        self.server = server
        self.documents = mock.engine.documents

    def fresh(self) -> MockServer:
        from .._model.clock import Clock

        engine = self.mock.engine
        # Fixtures a previous test added (add_workflow, ...) do not outlive it; nor does the
        # clock a test moved (a fresh one of the same mode) or its pending work.
        engine.restart(self.documents, Clock.of_mode(engine.clock.mode))
        return self.server


@pytest.fixture(scope="session")
def _novu_mock_session_server(request: pytest.FixtureRequest) -> Iterator[_SessionServer]:
    from .mock import NovuMock

    mock = NovuMock(_suite_fixtures(request.config))
    with mock.serve() as server:
        yield _SessionServer(mock, server)


@pytest.fixture
def novu_mock_server(_novu_mock_session_server: _SessionServer) -> MockServer:
    """The session's live novu-mock server (loopback, free port), reset for this test.

    For clients that do not use httpx, e.g. the legacy `novu` SDK: give them `.url`.
    """
    return _novu_mock_session_server.fresh()
