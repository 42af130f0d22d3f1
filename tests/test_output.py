"""What the servers write while they serve (novu_mock/_transports/output.py): log handlers on
stdout and stderr are swapped for ones that cannot block a request."""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from novu_mock._transports.output import LineWriter, WriterHandler, unblock_logging


@pytest.fixture
def restore_logging() -> Iterator[None]:
    last_resort = logging.lastResort
    yield
    logging.lastResort = last_resort


@pytest.mark.usefixtures("restore_logging")
def test_stream_handlers_on_stdout_and_stderr_are_swapped_keeping_level_and_format(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake_out, fake_err = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stdout", fake_out)
    monkeypatch.setattr(sys, "stderr", fake_err)
    logger = logging.getLogger("novu-mock-test-output")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    on_err = logging.StreamHandler(sys.stderr)
    on_err.setLevel(logging.WARNING)
    on_err.setFormatter(logging.Formatter("E %(levelname)s %(message)s"))
    on_out = logging.StreamHandler(sys.stdout)
    on_out.setFormatter(logging.Formatter("O %(message)s"))
    to_file = logging.FileHandler(tmp_path / "log.txt")
    for handler in (on_err, on_out, to_file):
        logger.addHandler(handler)
    try:
        out_text, err_text = io.StringIO(), io.StringIO()
        out = LineWriter("stdout", stream=out_text)
        err = LineWriter("stderr", stream=err_text)
        unblock_logging(out, err)
        kinds = sorted(type(h).__name__ for h in logger.handlers)
        assert kinds == ["FileHandler", "WriterHandler", "WriterHandler"]
        logger.info("hidden from stderr")
        logger.warning("seen")
        alone = logging.getLogger("novu-mock-test-no-handler")
        alone.propagate = False  # no handler anywhere up its chain: the last resort's
        alone.warning("through the last resort")
        out.close()
        err.close()
        assert out_text.getvalue() == "O hidden from stderr\nO seen\n"
        assert err_text.getvalue() == "E WARNING seen\nthrough the last resort\n"
        assert fake_out.getvalue() == fake_err.getvalue() == ""
        assert "seen" in (tmp_path / "log.txt").read_text()
    finally:
        for left in list(logger.handlers):
            logger.removeHandler(left)
            left.close()


def test_a_failing_format_is_reported_as_logging_does_not_raised() -> None:
    text = io.StringIO()
    writer = LineWriter("stderr", stream=text)
    handler = WriterHandler(writer)
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "%d", ("not a number",), None)
    previous = logging.raiseExceptions
    logging.raiseExceptions = False  # handleError then stays silent
    try:
        handler.emit(record)
    finally:
        logging.raiseExceptions = previous
    writer.close()
    assert text.getvalue() == ""
