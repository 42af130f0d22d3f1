"""What the novu_mock fixture checks after its test: retry loops and unused faults/outcomes."""

from __future__ import annotations

from typing import Any

import pytest

from .mock import NovuMock
from .stash import CALL_FAILED, FAULTS_CHECK

OPTION = "assert_all_faults_were_used"


def _wanted(request: pytest.FixtureRequest, options: dict[str, Any]) -> bool:
    if OPTION in options:
        return bool(options[OPTION])
    config = request.config
    wanted = config.stash.get(FAULTS_CHECK, None)
    if wanted is None:  # the same for every test of the session: read the ini once
        wanted = config.stash[FAULTS_CHECK] = bool(config.getini(f"novu_mock_{OPTION}"))
    return wanted


def check_after_test(
    request: pytest.FixtureRequest, mock: NovuMock, options: dict[str, Any]
) -> None:
    """Fail the test's teardown, unless the test itself already failed."""
    __tracebackhide__ = True

    if request.node.stash.get(CALL_FAILED, True):
        return  # failed (its own error says more) or never ran
    # An engine never built (the test sent no request) noticed no retry loop.
    loops = mock._engine.warnings() if mock._engine is not None else []
    if loops:
        # The RetryLoopError was raised in the call, but the code under test swallowed it.
        pytest.fail(loops[0]["message"], pytrace=False)
    if not _wanted(request, options):
        return
    unused = mock.unused()
    if unused:
        listed = "\n".join(f"- {item}" for item in unused)
        pytest.fail(
            "novu-mock: armed but never used by any request of this test:\n"
            f"{listed}\n"
            "If that is expected, use @pytest.mark.novu_mock(assert_all_faults_were_used=False) "
            "(or the ini option novu_mock_assert_all_faults_were_used = false).",
            pytrace=False,
        )
