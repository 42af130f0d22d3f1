"""The README's runnable examples ("What did they receive?", "Delay and digest") run as written,
as a user's files (the first test, "# test_welcome.py", is run by test_newcomer.py)."""

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


_DELAY = re.compile(
    r"<!-- delay-example:start -->\n```yaml\n(.*?)```\n\n```python\n(.*?)```\n"
    r"<!-- delay-example:end -->",
    re.S,
)


def _delay_example() -> tuple[str, str]:
    found = _DELAY.search(README.read_text("utf-8"))
    assert found is not None, "README.md lacks the delay-example markers"
    return found.group(1), found.group(2)


def test_readme_delay_example_passes(pytester: pytest.Pytester) -> None:
    fixtures, source = _delay_example()
    pytester.makefile(".yaml", workflows=fixtures)
    pytester.makepyfile(test_reminder=source)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-W", "error")
    result.assert_outcomes(passed=2)


def test_readme_delay_example_fails_when_the_reminder_comes_early(
    pytester: pytest.Pytester,
) -> None:
    fixtures, source = _delay_example()
    # A delay of 4 minutes sends at 4:00, so "not yet at 4:59" fails and says what went out.
    pytester.makefile(".yaml", workflows=fixtures.replace("amount: 5,", "amount: 4,"))
    pytester.makepyfile(test_reminder=source)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*Expected no message to 'ada'*1 matched*"])
