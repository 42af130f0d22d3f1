"""docs/endpoints.md's endpoint coverage table is the one novu_mock.coverage renders from ROUTES."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from novu_mock._core.routes import Route
from openapi.coverage import main, render

from .contract_view import SPEC_PATH, load_spec

README = Path(__file__).parents[2] / "docs" / "endpoints.md"  # linked from README.md
_TABLE = re.compile(r"<!-- coverage:start -->\n(.*?)<!-- coverage:end -->", re.S)


def test_readme_table_matches_the_route_table() -> None:
    found = _TABLE.search(README.read_text("utf-8"))
    assert found is not None, "docs/endpoints.md lacks the coverage markers"
    expected = render(load_spec())
    assert found.group(1) == expected, (
        "docs/endpoints.md endpoint coverage is stale: regenerate it with "
        "`python tests/openapi/coverage.py tests/openapi/novu-openapi.json`"
    )


def test_table_marks_implemented_routes_and_lists_undocumented_ones() -> None:
    def handler(req: object) -> object:
        raise AssertionError

    routes = [
        Route("POST", "/v1/events/trigger", handler),  # type: ignore[arg-type]
        Route("GET", "/v1/topics/{key}", handler),  # type: ignore[arg-type]
        Route("GET", "/v9/new", handler),  # type: ignore[arg-type]
        Route("GET", "/_mock/health", handler, admin=True),  # type: ignore[arg-type]
    ]
    table = render(load_spec(), routes)
    assert "| `POST /v1/events/trigger` | Trigger event | implemented |" in table
    assert "| `GET /v1/topics/{topicKey}` | Get topic | implemented |" in table
    assert "| `POST /v1/events/trigger/bulk` | Bulk trigger event | not implemented |" in table
    assert "| `GET /v9/new` | (not in Novu's OpenAPI document) | implemented |" in table
    assert "_mock" not in table
    assert "2 of 46 documented operations implemented." in table


def test_command_line_prints_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(SPEC_PATH)]) == 0
    assert capsys.readouterr().out == render(load_spec())
