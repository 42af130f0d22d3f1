"""What the plugin records on a test item for the fixture's teardown to read."""

from __future__ import annotations

from typing import Any

import pytest

CALL_FAILED = pytest.StashKey[bool]()

SUITE_FIXTURES = pytest.StashKey[tuple[Any, ...]]()
"""On the config: the session's suite fixture files (the ini option's or the bundled one)."""

FAULTS_CHECK = pytest.StashKey[bool]()
"""On the config: the ini option novu_mock_assert_all_faults_were_used, read once."""
