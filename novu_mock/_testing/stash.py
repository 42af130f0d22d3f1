"""What the plugin records on a test item for the fixture's teardown to read."""

from __future__ import annotations

import pytest

CALL_FAILED = pytest.StashKey[bool]()
