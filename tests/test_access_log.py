"""The server's access log (novu_mock/_transports/access_log.py): its lines, and that a reader
that falls behind never holds up the requests being logged."""

from __future__ import annotations

import io
import os
import re
import select
import threading
import time

from novu_mock._core.http import Call, Reply
from novu_mock._transports.access_log import AccessLog, workflows_of

TRIGGER = Call("POST", "/v1/events/trigger", body=b'{"name": "welcome", "to": "u"}')


def _read_until(fd: int, end: bytes, timeout: float = 10.0) -> bytes:
    data = b""
    deadline = time.monotonic() + timeout
    while not data.endswith(end) and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            data += os.read(fd, 1 << 16)
    return data


def test_lines_name_method_path_status_workflows_and_time() -> None:
    stream = io.StringIO()
    log = AccessLog(stream=stream)
    log(TRIGGER, Reply.data(201, {}), 0.42)
    bulk = b'{"events": [{"name": "a"}, {"name": "b"}, {"name": "a"}]}'
    log(Call("POST", "/v1/events/trigger/bulk", body=bulk), Reply.data(201, {}), 1.0)
    log(Call("GET", "/v2/subscribers/x", query="a=1"), Reply.data(404, {}), 0.2)
    log(TRIGGER, Reply(429, [], b"", warning="stuck in a retry loop"), 0.1)
    log(TRIGGER, Reply(201, [], b"", connection="drop"), 0.1)
    log.close("novu-mock stopped")
    assert stream.getvalue().splitlines() == [
        "POST /v1/events/trigger 201 welcome 0.4ms",
        "POST /v1/events/trigger/bulk 201 a,b 1.0ms",
        "GET /v2/subscribers/x?a=1 404 - 0.2ms",
        "POST /v1/events/trigger 429 welcome 0.1ms",
        "WARNING stuck in a retry loop",
        "POST /v1/events/trigger dropped welcome 0.1ms",
        "novu-mock stopped",
    ]


def test_quiet_writes_warnings_only() -> None:
    stream = io.StringIO()
    log = AccessLog(quiet=True, stream=stream)
    log(TRIGGER, Reply.data(201, {}), 0.1)
    log(TRIGGER, Reply(429, [], b"", warning="loop"), 0.1)
    log.close()
    assert stream.getvalue() == "WARNING loop\n"


def test_workflows_of_anything_but_a_trigger_body_is_a_dash() -> None:
    assert workflows_of(Call("POST", "/v1/events/trigger", body=b"[1]")) == "-"
    assert workflows_of(Call("POST", "/v1/events/trigger", body=b"{bad")) == "-"
    assert workflows_of(Call("GET", "/v1/events/trigger", body=TRIGGER.body)) == "-"


def test_a_pipe_nobody_reads_holds_no_request_up_and_the_dropped_lines_are_counted() -> None:
    read_end, write_end = os.pipe()
    stream = os.fdopen(write_end, "w")
    try:
        log = AccessLog(stream=stream, backlog=200)
        # About 40 bytes a line: far more than a pipe (64 KB by default) and the backlog hold.
        calls = 5_000
        done = threading.Event()

        def work() -> None:
            for _ in range(calls):
                log(TRIGGER, Reply.data(201, {}), 0.1)
            done.set()

        threading.Thread(target=work, daemon=True).start()
        assert done.wait(30), "logging blocked on the full pipe"
        closer = threading.Thread(target=log.close, args=("novu-mock stopped",))
        closer.start()
        text = _read_until(read_end, b"novu-mock stopped\n").decode()
        closer.join(10)
    finally:
        stream.close()
        os.close(read_end)
    written = text.count("POST /v1/events/trigger 201 welcome")
    dropped = sum(int(n) for n in re.findall(r"novu-mock: (\d+) log lines not written", text))
    assert dropped > 0 and written + dropped == calls
    assert "(read it, or pass --quiet)" in text
    assert text.endswith("novu-mock stopped\n")


def test_close_gives_up_on_a_reader_that_never_reads() -> None:
    read_end, write_end = os.pipe()
    stream = os.fdopen(write_end, "w")
    try:
        log = AccessLog(stream=stream, backlog=100_000)
        for _ in range(5_000):  # more than the pipe holds: the writer blocks
            log(TRIGGER, Reply.data(201, {}), 0.1)
        started = time.monotonic()
        log.close("novu-mock stopped", timeout=0.5)
        assert time.monotonic() - started < 5
    finally:
        os.close(read_end)  # the blocked write now fails (EPIPE) and the writer stops
        if log.lines._thread is not None:
            log.lines._thread.join(5)  # before its descriptor is closed (and its number reused)
        stream.close()


def test_a_reader_that_went_away_ends_the_log_quietly() -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)
    stream = os.fdopen(write_end, "w")
    try:
        log = AccessLog(stream=stream)
        log(TRIGGER, Reply.data(201, {}), 0.1)
        log.close("novu-mock stopped")
        log(TRIGGER, Reply.data(201, {}), 0.1)  # after EPIPE: nothing written, nothing raised
    finally:
        stream.close()
