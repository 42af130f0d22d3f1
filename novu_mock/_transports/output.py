"""What `novu-mock serve` and `novu-mock proxy` write while they serve, never holding a request
up: lines go to a thread that writes them (`LineWriter`), and every log handler of the process
that wrote to stdout or stderr is swapped for one that hands its lines to such a thread
(`unblock_logging`).

A process that starts the server with stdout or stderr on a pipe and never reads it is common
(a harness reads the URL line, nothing more). Written directly, about 64 KB of lines (a thousand
requests logged, or as many malformed ones warned about) fill the pipe, and the next write
freezes the whole server. Here, past `backlog` unwritten lines, lines are left out and counted,
and a note with the count stands where they would have been.
"""

from __future__ import annotations

import collections
import logging
import os
import sys
import threading
import time
from typing import TextIO

BACKLOG = 10_000  # unwritten lines kept (about 1 MB); more are left out and counted
# Seconds the writer waits once woken, so that a burst of lines leaves in one write.
BATCH = 0.01


class LineWriter:
    """Writes lines to `stream` (by default the process's `name`, stdout or stderr) from a
    daemon thread of its own; `put` never blocks. `close()` writes what is left within a
    timeout, also when nobody reads the stream."""

    def __init__(
        self,
        name: str = "stdout",
        hint: str = "read it",
        stream: TextIO | None = None,
        backlog: int = BACKLOG,
    ) -> None:
        self.name = name
        self.hint = hint
        self.stream = stream
        self.backlog = backlog
        # Lines to write, in order; None marks where lines began to be left out.
        self._lines: collections.deque[str | None] = collections.deque()
        self._dropped = 0
        self._lock = threading.Lock()  # the count of lines left out, and its mark
        self._wake = threading.Event()
        self._closing = False
        self._broken = False  # the reader went away (EPIPE): nothing more is written
        self._thread: threading.Thread | None = None

    def put(self, line: str, limit: int | None = None) -> None:
        """Queue `line` (ending in a newline), unless `limit` (the backlog by default) lines
        wait already: then it is counted as left out."""
        if self._broken:
            return
        if len(self._lines) >= (self.backlog if limit is None else limit):
            with self._lock:
                self._dropped += 1
                if self._dropped == 1:
                    self._lines.append(None)
            return
        self._lines.append(line)
        if not self._wake.is_set():
            self._wake.set()
        if self._thread is None:
            self._start()

    def _start(self) -> None:
        self._thread = threading.Thread(
            target=self._run, name=f"novu-mock-{self.name}", daemon=True
        )
        self._thread.start()

    def close(self, last: str | None = None, timeout: float = 2.0) -> None:
        """Write the lines left and then `last` (never left out), waiting at most `timeout`
        seconds for a reader."""
        if last is not None and not self._broken:
            self._lines.append(last + "\n")
            if self._thread is None:
                self._start()
        self._closing = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            self._wake.wait()
            if not self._closing:
                time.sleep(BATCH)
            self._wake.clear()
            self._write_pending()
            if self._broken or (self._closing and not self._lines):
                return

    def _write_pending(self) -> None:
        lines: list[str] = []
        take = self._lines.popleft
        while self._lines:
            line = take()
            if line is None:
                with self._lock:
                    dropped, self._dropped = self._dropped, 0
                line = (
                    f"novu-mock: {dropped} log lines not written: {self.name} was not read for "
                    f"a while ({self.hint})\n"
                )
            lines.append(line)
        if lines:
            self._write("".join(lines))

    def _write(self, text: str) -> None:
        stream = self.stream or (sys.stdout if self.name == "stdout" else sys.stderr)
        try:
            fd = stream.fileno()
        except (OSError, ValueError, AttributeError):
            fd = -1  # not a file (a test's StringIO): its own write, which cannot block
        try:
            if fd < 0:
                stream.write(text)
                stream.flush()
                return
            data = text.encode(getattr(stream, "encoding", None) or "utf-8", "backslashreplace")
            # os.write holds no lock of the stream's: a blocked write cannot block the
            # interpreter's own flush of the stream at exit.
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        except OSError:
            self._broken = True  # the reader closed the pipe: the server goes on, unlogged


class WriterHandler(logging.Handler):
    """A logging handler that hands its formatted records to a `LineWriter`."""

    def __init__(self, writer: LineWriter, level: int = logging.NOTSET) -> None:
        super().__init__(level)
        self.writer = writer

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.writer.put(self.format(record) + "\n")
        except Exception:  # as logging.StreamHandler does
            self.handleError(record)


def unblock_logging(out: LineWriter, err: LineWriter) -> None:
    """Swap every handler that writes to stdout or stderr (uvicorn's, once its config has set
    them up) for one that hands its lines to `out` or `err`; records of loggers without a
    handler (asyncio's, novu_mock's) go to `err` too."""
    loggers = [logging.getLogger()] + [
        logger
        for logger in list(logging.Logger.manager.loggerDict.values())
        if isinstance(logger, logging.Logger)
    ]
    for logger in loggers:
        for handler in list(logger.handlers):
            stream = getattr(handler, "stream", None)
            if stream is not sys.stdout and stream is not sys.stderr:
                continue
            swapped = WriterHandler(out if stream is sys.stdout else err, handler.level)
            swapped.setFormatter(handler.formatter)
            for one in handler.filters:
                swapped.addFilter(one)
            logger.removeHandler(handler)
            logger.addHandler(swapped)
    logging.lastResort = WriterHandler(err, logging.WARNING)
