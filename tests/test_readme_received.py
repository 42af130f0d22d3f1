"""The README's "What did they receive?" example runs as written, as a user's test file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

README = Path(__file__).resolve().parents[1] / "README.md"
_EXAMPLE = re.compile(
    r"<!-- received-example:start -->\n```python\n(.*?)```\n<!-- received-example:end -->", re.S
)


def test_readme_example_passes(pytester: pytest.Pytester) -> None:
    found = _EXAMPLE.search(README.read_text("utf-8"))
    assert found is not None, "README.md lacks the received-example markers"
    pytester.makepyfile(test_notifications=found.group(1))
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-W", "error")
    result.assert_outcomes(passed=1)


def test_readme_example_fails_when_sms_still_goes_out(pytester: pytest.Pytester) -> None:
    found = _EXAMPLE.search(README.read_text("utf-8"))
    assert found is not None
    # Without the opt-out, the SMS is sent and the assertion names it.
    source = found.group(1).replace('{"channels": {"sms": False}}', '{"channels": {"sms": True}}')
    pytester.makepyfile(test_notifications=source)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*Expected no message to 'user-3', channel='sms'; 1 matched:*"])
