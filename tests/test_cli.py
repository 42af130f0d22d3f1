"""`novu-mock serve` as users run it: a real process on a loopback port."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from novu_mock import __version__

URL = re.compile(r"serving the Novu API at (http://\S+)")


@contextmanager
def serve(
    *args: str, env: dict[str, str] | None = None
) -> Iterator[tuple[subprocess.Popen[str], str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "novu_mock", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        found = URL.search(first)
        assert found, first + (process.stderr.read() if process.stderr else "")
        yield process, found.group(1)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(10)


def stop(process: subprocess.Popen[str], sig: int) -> tuple[int, str]:
    process.send_signal(sig)
    _, err = process.communicate(timeout=10)
    return process.returncode, err


def test_serves_bundled_fixtures_on_loopback_and_stops_cleanly_on_sigterm() -> None:
    with serve() as (process, url):
        assert url.startswith("http://127.0.0.1:")
        response = httpx.post(
            url + "/v1/events/trigger",
            json={"name": "welcome", "to": "user-1"},
            headers={"Authorization": "ApiKey any-key"},
        )
        assert response.status_code == 201
        assert response.json()["data"]["status"] == "processed"
        assert "server" not in response.headers
        code, err = stop(process, signal.SIGTERM)
    assert code == 0
    assert "Traceback" not in err


def test_ctrl_c_exits_zero_without_traceback() -> None:
    with serve() as (process, url):
        assert httpx.get(url + "/_mock/health").json() == {"status": "ok"}
        code, err = stop(process, signal.SIGINT)
    assert code == 0
    assert "Traceback" not in err


def test_flags_and_environment_variables(tmp_path: Path) -> None:
    fixture = tmp_path / "f.yaml"
    fixture.write_text("workflows: [{workflowId: only-here}]\n", encoding="utf-8")
    env = {"NOVU_MOCK_FIXTURES": str(fixture), "NOVU_MOCK_API_KEYS": "k1, k2"}
    with serve(env=env) as (process, url):
        ok = httpx.post(
            url + "/v1/events/trigger",
            json={"name": "only-here", "to": "u"},
            headers={"Authorization": "ApiKey k2"},
        )
        assert ok.json()["data"]["status"] == "processed"
        bad = httpx.post(
            url + "/v1/events/trigger",
            json={"name": "only-here", "to": "u"},
            headers={"Authorization": "ApiKey k3"},
        )
        assert bad.json()["message"] == "API Key not found"
        stop(process, signal.SIGTERM)


def test_invalid_fixture_file_exits_1_with_the_problem(tmp_path: Path) -> None:
    fixture = tmp_path / "bad.yaml"
    fixture.write_text("workflows: [{workflowId: w, steps: [{type: mail}]}]\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "novu_mock", "serve", "--port", "0", "--fixtures", str(fixture)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert f"{fixture}: workflows[0].steps[0].type: expected one of" in result.stderr


def test_version() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "novu_mock", "--version"], capture_output=True, text=True, timeout=30
    )
    assert result.stdout.strip() == f"novu-mock {__version__}"


def test_port_in_use_is_a_clear_error() -> None:
    host = "127.0.0.1"
    with serve() as (process, url):
        port = url.rsplit(":", 1)[1]
        result = subprocess.run(
            [sys.executable, "-m", "novu_mock", "serve", "--host", host, "--port", port],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert result.returncode == 1
        assert f"cannot listen on {host}:{port}" in result.stderr
        assert "--port 0 for a free one" in result.stderr
        stop(process, signal.SIGTERM)


AUTH = {"Authorization": "ApiKey any-key"}


def _rest_of_stdout(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGTERM)
    out, _ = process.communicate(timeout=10)
    assert process.returncode == 0
    return out


def test_one_log_line_per_request_and_quiet() -> None:
    with serve() as (process, url):
        httpx.post(url + "/v1/events/trigger", json={"name": "welcome", "to": "u"}, headers=AUTH)
        events = {"events": [{"name": "welcome", "to": "u"}, {"name": "comment-added", "to": "u"}]}
        httpx.post(url + "/v1/events/trigger/bulk", json=events, headers=AUTH)
        httpx.get(url + "/v2/subscribers/nobody", headers=AUTH)
        out = _rest_of_stdout(process)
    assert re.search(r"^POST /v1/events/trigger 201 welcome \d+\.\dms$", out, re.M), out
    assert re.search(
        r"^POST /v1/events/trigger/bulk 201 welcome,comment-added [\d.]+ms$", out, re.M
    )
    assert re.search(r"^GET /v2/subscribers/nobody 404 - [\d.]+ms$", out, re.M)
    with serve("--quiet") as (process, url):
        httpx.post(url + "/v1/events/trigger", json={"name": "welcome", "to": "u"}, headers=AUTH)
        out = _rest_of_stdout(process)
    assert "/v1/events/trigger" not in out


def test_a_log_nobody_reads_holds_up_no_request() -> None:
    # The way a harness often starts the server: stdout on a pipe, only the URL line read. The
    # log of 3,000 requests is far more than a pipe holds (64 KB by default).
    with serve() as (process, url):
        statuses = set()
        with httpx.Client(base_url=url, headers=AUTH, timeout=30) as client:
            for i in range(3_000):
                body = {"name": "welcome", "to": "u", "transactionId": f"t-{i}"}
                statuses.add(client.post("/v1/events/trigger", json=body).status_code)
        assert statuses == {201}
        out = _rest_of_stdout(process)
    assert out.count("POST /v1/events/trigger 201 welcome") == 3_000
    assert out.endswith("novu-mock stopped\n")


def test_warnings_on_a_stderr_nobody_reads_hold_up_no_request() -> None:
    # uvicorn warns on stderr about each malformed request (`Invalid HTTP request received.`):
    # 2,500 of them are more than a pipe holds.
    with serve("--quiet") as (process, url):
        host, port = url.removeprefix("http://").rsplit(":", 1)
        for _ in range(2_500):
            with socket.create_connection((host, int(port)), timeout=30) as sock:
                sock.sendall(b"NOT HTTP\r\n\r\n")
                assert sock.recv(100).startswith(b"HTTP/1.1 400")
        assert httpx.get(url + "/_mock/health", timeout=30).status_code == 200
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=10)
    assert process.returncode == 0
    assert err.count("Invalid HTTP request received.") == 2_500
    assert out.endswith("novu-mock stopped\n")


def test_root_yaml_fixtures_and_bearer_hint_over_http() -> None:
    with serve() as (process, url):
        root = httpx.get(url + "/")
        assert root.status_code == 200 and root.json()["data"]["dashboard"] == "/_mock/"
        yaml_doc = "workflows:\n  - workflowId: from-yaml\n"
        added = httpx.post(
            url + "/_mock/fixtures",
            content=yaml_doc,
            headers={"Content-Type": "application/yaml"},
        )
        assert added.status_code == 201 and added.json()["data"]["workflows"] == 1
        ok = httpx.post(
            url + "/v1/events/trigger", json={"name": "from-yaml", "to": "u"}, headers=AUTH
        )
        assert ok.json()["data"]["status"] == "processed"
        bad = httpx.post(
            url + "/_mock/fixtures", content="a: [", headers={"Content-Type": "text/yaml"}
        )
        assert bad.status_code == 400 and bad.json()["message"].startswith("Invalid YAML body")
        bearer = httpx.post(
            url + "/v1/events/trigger",
            json={"name": "welcome", "to": "u"},
            headers={"Authorization": "Bearer eyJ.x.y"},
        )
        assert bearer.status_code == 401 and bearer.json()["message"] == "Unauthorized"
        assert "ApiKey" in bearer.json()["hint"]
        stop(process, signal.SIGTERM)
