"""`novu-mock proxy` and `novu-mock extract` as users run them: real processes on loopback."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from proxy_support import new_key, upstream

from novu_mock import bundled
from novu_mock._cli import main

BANNER = re.compile(r"proxying the Novu API at (http://\S+) to (\S+)")
FIXTURES = [str(bundled("default.yaml")), str(bundled("statuses.yaml"))]


@contextmanager
def proxy_process(*args: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "novu_mock", "proxy", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        found = BANNER.search(first)
        assert found, first + (process.stderr.read() if process.stderr else "")
        yield process, found.group(1)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _stop(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=15)
    return process.returncode, out, err


def test_proxy_reports_drift_on_exit_and_never_shows_the_key(tmp_path: Path) -> None:
    key = new_key()
    recording = tmp_path / "run.jsonl"
    inactive = {"workflows": [{"workflowId": "status-processed", "active": False}]}
    with (
        upstream(*FIXTURES, inactive) as up,
        proxy_process(
            "--upstream",
            up.url,
            *[arg for f in FIXTURES for arg in ("--fixtures", f)],
            "--record",
            str(recording),
        ) as (process, url),
    ):
        auth = {"Authorization": f"ApiKey {key}"}
        event = {"name": "status-processed", "to": "status-user", "payload": {"k": key}}
        assert (
            httpx.post(f"{url}/v1/events/trigger", json=event, headers=auth).json()["data"][
                "status"
            ]
            == "trigger_not_active"
        )
        assert httpx.get(f"{url}/v2/subscribers/status-user", headers=auth).status_code == 200
        # Keys in other shapes: no scheme (the upstream's 401 echoes it), Bearer.
        httpx.get(f"{url}/v2/subscribers/status-user", headers={"Authorization": key})
        httpx.get(f"{url}/v2/subscribers/status-user", headers={"Authorization": f"Bearer {key}"})
        drift = httpx.get(f"{url}/_mock/drift").text
        code, out, err = _stop(process)
    assert code == 0, err
    assert "4 calls, 1 with drift" in out.splitlines()
    assert out.endswith("4 calls, 1 with drift\nnovu-mock proxy stopped\n")
    assert json.loads(drift)["data"][0]["differences"][0]["at"] == "$.data.status"
    for text in (out, err, drift, recording.read_text()):
        assert key not in text
    assert len(recording.read_text().splitlines()) == 4


def test_proxy_refuses_bad_flags() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "novu_mock", "proxy", "--upstream", "api.novu.co"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2 and "expected the upstream's base URL" in done.stderr
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "novu_mock",
            "proxy",
            "--upstream",
            "https://x",
            "--upstream-timeout",
            "0",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2 and "expected a number of seconds" in done.stderr


def test_extract_prints_fixtures_that_serve_and_check_accept(
    tmp_path: Path, capsys: object
) -> None:
    recording = tmp_path / "run.jsonl"
    with (
        upstream(*FIXTURES) as up,
        proxy_process("--upstream", up.url, "--record", str(recording)) as (process, url),
    ):
        auth = {"Authorization": f"ApiKey {new_key()}"}
        httpx.post(
            f"{url}/v1/events/trigger/bulk",
            json={
                "events": [
                    {"name": "status-inactive", "to": "status-user"},
                    {"name": "status-processed", "to": "status-user", "tenant": "paused-tenant"},
                ]
            },
            headers=auth,
        )
        httpx.get(f"{url}/v1/tenants/paused-tenant", headers=auth)
        _stop(process)
    # A proxy killed mid-line leaves a torn last line: extract still reads the rest.
    with recording.open("a") as file:
        file.write('{"method": "POST", "pa')
    done = subprocess.run(
        [sys.executable, "-m", "novu_mock", "extract", str(recording)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("# Extracted by `novu-mock extract` from run.jsonl")
    fixture = tmp_path / "extracted.yaml"
    fixture.write_text(done.stdout)
    assert main(["check", str(fixture)]) == 0
    assert "status-inactive" in done.stdout and "paused-tenant" in done.stdout


def test_extract_names_a_broken_line(tmp_path: Path) -> None:
    recording = tmp_path / "bad.jsonl"
    recording.write_text('not json\n{"method": "GET"}\n')
    done = subprocess.run(
        [sys.executable, "-m", "novu_mock", "extract", str(recording)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 1
    assert f"{recording}:1: expected a JSON object" in done.stderr
    missing = subprocess.run(
        [sys.executable, "-m", "novu_mock", "extract", str(tmp_path / "none.jsonl")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert missing.returncode == 1 and "cannot read" in missing.stderr
    # Only a last line that starts as a JSON object passes for one cut short.
    recording.write_text('{"method": "GET", "path": "/v1/tenants"}\nnot json either\n')
    done = subprocess.run(
        [sys.executable, "-m", "novu_mock", "extract", str(recording)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 1 and f"{recording}:2: expected a JSON object" in done.stderr
