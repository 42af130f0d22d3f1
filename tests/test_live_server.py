"""The live server under hostile conditions (issue 12): signals while a fault holds a call,
impossible ports, slow connections, foreign Origins and Hosts."""

from __future__ import annotations

import http.client
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from conftest import FIXTURES
from test_cli import serve as _serve

from novu_mock import MockServer, NovuMock
from novu_mock._transports.server import OneSend


@contextmanager
def serve(*args: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """`novu-mock serve` (test_cli's helper) with its pipes closed however the test ends."""
    with _serve(*args) as (process, url):
        try:
            yield process, url
        finally:
            if process.poll() is None:
                process.kill()
            process.communicate(timeout=10)


HOLD_FAULTS = [
    {"latency": 120, "when": {"path": "/v1/events/trigger"}},
    {"connection": "timeout", "when": {"path": "/v1/events/trigger"}},
]


def _held_call(url: str, outcome: list[str]) -> threading.Thread:
    def call() -> None:
        try:
            httpx.post(
                url + "/v1/events/trigger",
                json={"name": "welcome", "to": "user-1"},
                headers={"Authorization": "ApiKey held-key-123456"},
                timeout=30,
            )
            outcome.append("answered")
        except httpx.HTTPError as exc:
            outcome.append(type(exc).__name__)

    thread = threading.Thread(target=call)
    thread.start()
    return thread


# -- 5. signals while a fault holds a call --------------------------------------------------


@pytest.mark.parametrize("fault", HOLD_FAULTS, ids=["latency", "timeout"])
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_stops_the_server_at_once_with_a_held_fault(
    fault: dict[str, object], sig: int
) -> None:
    with serve() as (process, url):
        armed = httpx.post(url + "/_mock/faults", json=fault)
        assert armed.status_code == 201, armed.text
        outcome: list[str] = []
        thread = _held_call(url, outcome)
        time.sleep(0.5)
        started = time.monotonic()
        process.send_signal(sig)
        out, err = process.communicate(timeout=10)
        elapsed = time.monotonic() - started
        thread.join(10)
        assert process.returncode == 0, err
        assert elapsed < 2.0, elapsed
        assert "Traceback" not in err, err
        assert out.count("novu-mock stopped") == 1, out
        assert outcome and outcome[0] != "answered", outcome


def test_a_second_signal_prints_no_traceback() -> None:
    with serve() as (process, url):
        assert httpx.post(url + "/_mock/faults", json=HOLD_FAULTS[0]).status_code == 201
        outcome: list[str] = []
        thread = _held_call(url, outcome)
        time.sleep(0.5)
        process.send_signal(signal.SIGTERM)
        time.sleep(0.05)
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=10)
        thread.join(10)
        assert process.returncode == 0, err
        assert "Traceback" not in err and "CancelledError" not in err, err
        assert out.count("novu-mock stopped") == 1, out


def test_mock_server_stop_ends_held_faults() -> None:
    server = MockServer(NovuMock(FIXTURES))
    server.start()
    assert httpx.post(server.url + "/_mock/faults", json=HOLD_FAULTS[1]).status_code == 201
    outcome: list[str] = []
    thread = _held_call(server.url, outcome)
    time.sleep(0.5)
    started = time.monotonic()
    server.stop()
    thread.join(10)
    assert time.monotonic() - started < 2.0
    assert outcome and outcome[0] != "answered"


# -- 6. impossible ports ----------------------------------------------------------------------


@pytest.mark.parametrize("port", ["70000", "-1"])
def test_an_impossible_port_is_the_clean_cannot_listen_line(port: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "novu_mock", "serve", "--port", port],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert result.stderr == (
        f"novu-mock: cannot listen on 127.0.0.1:{port}: the port must be a number from 0 to 65535\n"
    )


# -- 8. header-read timeout and connection cap -----------------------------------------------


def _slow(host: str, port: int) -> socket.socket:
    sock = socket.create_connection((host, port))
    sock.sendall(b"GET /_mock/health HTTP/1.1\r\n")
    return sock


def test_a_connection_that_sends_no_head_in_time_is_closed() -> None:
    with serve("--header-timeout", "0.5") as (_, url):
        parts = httpx.URL(url)
        sock = _slow(parts.host, parts.port or 80)
        sock.settimeout(5)
        started = time.monotonic()
        assert sock.recv(100) == b""  # closed by the server
        assert 0.3 < time.monotonic() - started < 3
        sock.close()


def test_an_idle_keep_alive_connection_is_closed_a_timeout_after_its_last_response() -> None:
    # The timer set when the connection opened fires before then: it must wait out the rest.
    with serve("--header-timeout", "1") as (_, url):
        parts = httpx.URL(url)
        sock = socket.create_connection((parts.host, parts.port or 80))
        sock.settimeout(8)
        time.sleep(0.6)
        sock.sendall(
            f"GET /_mock/health HTTP/1.1\r\nHost: {parts.netloc.decode()}\r\n\r\n".encode()
        )
        assert sock.recv(65536).startswith(b"HTTP/1.1 200 ")
        answered = time.monotonic()
        assert sock.recv(100) == b""  # closed by the server, not by uvicorn's 5 s keep-alive
        assert 0.8 < time.monotonic() - answered < 4
        sock.close()


def test_an_idle_keep_alive_connection_is_closed_after_uvicorns_keep_alive_timeout() -> None:
    # uvicorn's 5 s keep-alive rides on the head timer (one timer per connection, not one per
    # response): a connection that sends nothing after a response is closed then, not later.
    with serve() as (_, url):
        parts = httpx.URL(url)
        sock = socket.create_connection((parts.host, parts.port or 80))
        sock.settimeout(12)
        for _ in range(2):  # the second response re-arms the timer that the first one set
            sock.sendall(
                f"GET /_mock/health HTTP/1.1\r\nHost: {parts.netloc.decode()}\r\n\r\n".encode()
            )
            assert sock.recv(65536).startswith(b"HTTP/1.1 200 ")
            answered = time.monotonic()
            time.sleep(0.3)
        assert sock.recv(100) == b""
        assert 4.5 < time.monotonic() - answered < 8
        sock.close()


def test_health_answers_when_slow_connections_fill_the_cap() -> None:
    with serve("--max-connections", "50") as (_, url):
        parts = httpx.URL(url)
        slow = [_slow(parts.host, parts.port or 80) for _ in range(120)]
        try:
            started = time.monotonic()
            response = httpx.get(url + "/_mock/health", timeout=5)
            assert response.status_code == 200
            assert time.monotonic() - started < 1.0
        finally:
            for sock in slow:
                sock.close()


# -- 9. Host and Origin guard -------------------------------------------------------------------


def _raw(url: str, method: str, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
    parts = httpx.URL(url)
    connection = http.client.HTTPConnection(parts.host, parts.port, timeout=5)
    try:
        connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.endheaders(b"" if method != "GET" else None)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Origin": "https://evil.example", "Content-Type": "text/plain"}, 403),
        ({"Origin": "http://evil.example"}, 403),
        ({"Origin": "null"}, 403),
        ({"Content-Type": "text/plain"}, 415),
        ({"Content-Type": "application/x-www-form-urlencoded"}, 415),
        ({"Content-Type": "multipart/form-data; boundary=x"}, 415),
        ({"Content-Type": "Text/Plain; charset=utf-8"}, 415),
    ],
)
def test_cross_site_admin_calls_are_refused(headers: dict[str, str], status: int) -> None:
    mock = NovuMock(FIXTURES)
    with mock.serve() as server:
        key = {"Authorization": "ApiKey guard-key-123456"}
        httpx.post(
            server.url + "/v1/events/trigger", json={"name": "welcome", "to": "u"}, headers=key
        )
        host = server.url.removeprefix("http://")
        code, body = _raw(
            server.url, "POST", "/_mock/reset", {"Host": host, "Content-Length": "0", **headers}
        )
        assert code == status, body
        assert b'"statusCode":%d' % status in body
        assert len(mock.triggers) == 1  # nothing was reset
        # the same call from the mock's own page, or from a tool without an Origin, works
        own = {"Host": host, "Origin": server.url, "Content-Length": "0"}
        assert _raw(server.url, "POST", "/_mock/reset", own)[0] == 204
        assert len(mock.triggers) == 0


@pytest.mark.parametrize("name", ["127.0.0.1", "localhost", "LOCALHOST"])
def test_loopback_hosts_with_the_port_are_accepted(name: str) -> None:
    with NovuMock(FIXTURES).serve() as server:
        port = httpx.URL(server.url).port
        code, _ = _raw(server.url, "GET", "/_mock/health", {"Host": f"{name}:{port}"})
        assert code == 200


@pytest.mark.parametrize(
    "host", ["evil.example", "evil.example:{port}", "127.0.0.1:1", "localhost", "attacker:{port}"]
)
def test_foreign_hosts_are_refused(host: str) -> None:
    mock = NovuMock(FIXTURES)
    with mock.serve() as server:
        port = httpx.URL(server.url).port
        shown = host.format(port=port)
        for method, path in (("GET", "/_mock/state"), ("GET", "/v2/subscribers")):
            code, body = _raw(
                server.url, method, path, {"Host": shown, "Authorization": "ApiKey a-key-123456"}
            )
            assert code == 403, body
            assert b"is not an address this mock listens on" in body
        assert mock.requests == []


def test_allow_host_flag_accepts_more_names() -> None:
    with serve("--allow-host", "novu-mock") as (_, url):
        port = httpx.URL(url).port
        assert _raw(url, "GET", "/_mock/health", {"Host": f"novu-mock:{port}"})[0] == 200
        assert _raw(url, "GET", "/_mock/health", {"Host": f"other:{port}"})[0] == 403


def test_ipv6_loopback_host_is_accepted() -> None:
    try:
        probe = socket.socket(socket.AF_INET6)
        probe.bind(("::1", 0))
        probe.close()
    except OSError:
        # No IPv6 loopback here: serve must say so plainly, not start or print a traceback.
        done = subprocess.run(
            [sys.executable, "-m", "novu_mock", "serve", "--host", "::1", "--port", "0"],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert done.returncode == 1, done
        assert "novu-mock: cannot listen on ::1:0" in done.stderr
        assert "Traceback" not in done.stderr
        return
    with serve("--host", "::1") as (_, url):
        port = httpx.URL(url).port
        assert _raw(url, "GET", "/_mock/health", {"Host": f"[::1]:{port}"})[0] == 200
        assert _raw(url, "GET", "/_mock/health", {"Host": f"evil:{port}"})[0] == 403


# -- 10. one send() per response ----------------------------------------------------------------


class _Transport:
    def __init__(self) -> None:
        self.sent: list[bytes] = []
        self.closed = self.aborted = False

    def write(self, data: bytes) -> None:
        if data:
            self.sent.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.aborted = True


class _Cycle:
    response_started = False
    response_complete = False


class _Protocol:
    cycle: _Cycle | None = None


def _one_send() -> tuple[OneSend, _Transport, _Protocol]:
    transport, protocol = _Transport(), _Protocol()
    return OneSend(transport, protocol), transport, protocol  # type: ignore[arg-type]


def test_a_response_head_leaves_with_its_body() -> None:
    sender, transport, protocol = _one_send()
    protocol.cycle = _Cycle()
    sender.write(b"HTTP/1.1 100 Continue\r\n\r\n")  # before the response: not held
    assert transport.sent == [b"HTTP/1.1 100 Continue\r\n\r\n"]
    protocol.cycle.response_started = True
    sender.write(b"HTTP/1.1 201 \r\n\r\n")
    assert len(transport.sent) == 1  # held for its body
    sender.write(b"{}")
    sender.write(b"more")  # a streamed body's next chunk is not held
    assert transport.sent[1:] == [b"HTTP/1.1 201 \r\n\r\n{}", b"more"]


def test_a_held_head_is_sent_at_the_response_end_or_close_and_dropped_on_abort() -> None:
    sender, transport, protocol = _one_send()
    for end in ("empty body", "close", "abort"):
        protocol.cycle = _Cycle()  # one per request
        protocol.cycle.response_started = True
        sender.write(f"HTTP/1.1 {end}\r\n\r\n".encode())
        if end == "empty body":
            protocol.cycle.response_complete = True
            sender.write(b"")  # the end of a response without a body (204, HEAD)
        elif end == "close":
            sender.close()
        else:
            sender.abort()
    assert transport.sent == [b"HTTP/1.1 empty body\r\n\r\n", b"HTTP/1.1 close\r\n\r\n"]
    assert transport.closed and transport.aborted
