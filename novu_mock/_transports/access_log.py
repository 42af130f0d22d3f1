"""`novu-mock serve`'s log: one line per request on stdout (`--quiet` turns it off).

    POST /v1/events/trigger 201 welcome 0.4ms
    GET /v2/subscribers/user-1 404 - 0.2ms

The workflow column is the trigger's `name` (several for a bulk, `-` when none). Warnings the
engine raises (a client stuck in a retry loop) are printed whether or not the log is quiet.

A thread of the log's own writes the lines, straight to the file descriptor, so a reader that
falls behind never holds the server up: a harness that starts `serve` with its stdout on a pipe
and reads only the first line (for the URL) once froze the server after about a thousand
requests, when the pipe was full. Past `backlog` unwritten lines, request lines are dropped and
counted, and the count is written as soon as the stream takes lines again.
"""

from __future__ import annotations

import collections
import json
import os
import sys
import threading
import time
from typing import TextIO

from .._core.http import Call, Reply

BACKLOG = 10_000  # unwritten request lines kept (about 1 MB); more are dropped and counted
# Seconds the writer waits once woken, so that a burst of requests leaves in one write.
BATCH = 0.01


def workflows_of(call: Call) -> str:
    """The workflowIds a trigger, bulk or broadcast names, comma-separated; `-` otherwise."""
    if call.method.upper() != "POST" or "/events/trigger" not in call.path or not call.body:
        return "-"
    try:
        body = json.loads(call.body)
    except (ValueError, RecursionError):
        return "-"
    if not isinstance(body, dict):
        return "-"
    names: list[str] = []
    if isinstance(body.get("name"), str):
        names.append(body["name"])
    events = body.get("events")
    if isinstance(events, list):
        for event in events:
            name = event.get("name") if isinstance(event, dict) else None
            if isinstance(name, str) and name not in names:
                names.append(name)
    return ",".join(names) if names else "-"


class AccessLog:
    """One line per request to `stream` (stdout by default) unless `quiet`, and every warning.

    The lines are written by a daemon thread, never by the caller; `close()` writes what is
    left (and a last line) within a timeout, also when nobody reads the stream.
    """

    def __init__(
        self, quiet: bool = False, stream: TextIO | None = None, backlog: int = BACKLOG
    ) -> None:
        self.quiet = quiet
        self.stream = stream
        self.backlog = backlog
        # Lines to write, in order; None marks where lines began to be dropped.
        self._lines: collections.deque[str | None] = collections.deque()
        self._dropped = 0
        self._lock = threading.Lock()  # the dropped count and its mark (both threads)
        self._wake = threading.Event()
        self._closing = False
        self._broken = False  # the reader went away (EPIPE): nothing more is written
        self._thread: threading.Thread | None = None

    def __call__(self, call: Call, reply: Reply, ms: float) -> None:
        if not self.quiet:
            status = {"drop": "dropped", "timeout": "stalled"}.get(reply.connection or "", "")
            shown = status or str(reply.status)
            self._put(
                f"{call.method.upper()} {call.url} {shown} {workflows_of(call)} {ms:.1f}ms\n",
                self.backlog,
            )
        if reply.warning:
            # A client in a retry loop is warned about on every refused attempt: bounded too.
            self._put(f"WARNING {reply.warning}\n", 2 * self.backlog)

    def close(self, last: str | None = None, timeout: float = 2.0) -> None:
        """Write the lines left and then `last`, waiting at most `timeout` seconds for a reader."""
        if last is not None:
            self._put(last + "\n", 2 * self.backlog + 1)
        self._closing = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _put(self, line: str, limit: int) -> None:
        if self._broken:
            return
        if len(self._lines) >= limit:
            with self._lock:
                self._dropped += 1
                if self._dropped == 1:
                    self._lines.append(None)
            return
        self._lines.append(line)
        if not self._wake.is_set():
            self._wake.set()
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="novu-mock-log", daemon=True)
            self._thread.start()

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
                    f"novu-mock: {dropped} log lines not written: stdout was not read for a while "
                    "(read it, or pass --quiet)\n"
                )
            lines.append(line)
        if lines:
            self._write("".join(lines))

    def _write(self, text: str) -> None:
        stream = self.stream or sys.stdout
        data = text.encode(getattr(stream, "encoding", None) or "utf-8", "backslashreplace")
        try:
            fd = stream.fileno()
        except (OSError, ValueError, AttributeError):
            fd = -1  # not a file (a test's StringIO): its own write, which cannot block
        try:
            if fd < 0:
                stream.write(text)
                stream.flush()
                return
            # os.write holds no lock of the stream's: a blocked write cannot block the
            # interpreter's own flush of stdout at exit.
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        except OSError:
            self._broken = True  # the reader closed the pipe: the server goes on, unlogged
