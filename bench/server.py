"""Row 4: requests per second against `novu-mock serve` ÷ a bare Starlette app on the same
uvicorn, with one load generator (wrk when installed, else bench._loadgen) in its own process."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from novu_mock import bundled
from novu_mock._core.engine import Engine
from novu_mock._delivery.run import MAX_QUEUED

from ._config import Sizes
from ._report import Row, Spread
from ._workloads import (
    bulk_body,
    bulk_call,
    default_fixtures,
    seed_doc,
    single_body,
    single_call,
    subscriber_ids,
)

_URL = re.compile(r"(http://127\.0\.0\.1:\d+)")
_PRISM_READY = re.compile(r"Prism is listening on (http://127\.0\.0\.1:\d+)")
ROOT = Path(__file__).resolve().parent.parent
OPENAPI = ROOT / "tests" / "openapi" / "novu-openapi.json"
PRISM = "@stoplight/prism-cli@5.16"
# Outside the repository: npm's tree of Prism is large and no part of the project.
PRISM_DIR = Path.home() / ".cache" / "novu-mock-bench" / "prism"


@contextmanager
def _process(args: list[str], ready: re.Pattern[str] = _URL) -> Iterator[tuple[str, int]]:
    """A server subprocess; yields the base URL of the first output matching `ready` and the
    process id.
    Its output goes to a file: Prism logs every request, and an unread pipe would block it."""
    with tempfile.TemporaryFile("w+b") as log:
        proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            url = None
            while url is None and time.monotonic() < deadline:
                found = ready.search(_written(log.fileno()))
                url = found.group(1) if found else None
                if url is None:
                    if proc.poll() is not None:
                        break
                    time.sleep(0.1)
            if url is None:
                status = "still running" if proc.poll() is None else f"exit {proc.returncode}"
                raise RuntimeError(
                    f"server did not start ({status}): {' '.join(args)}\n"
                    f"its output:\n{_written(log.fileno())[-3000:]}"
                )
            time.sleep(0.3)  # uvicorn prints nothing when ready; the socket is already bound
            yield url, proc.pid
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _written(fd: int) -> str:
    """All a child has written to the file `fd` so far.
    pread, not seek and read: the child writes at the file offset it shares with us, so a seek
    here would make its next lines overwrite the first."""
    return os.pread(fd, os.fstat(fd).st_size, 0).decode("utf-8", "replace")


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _load(
    tool: str,
    url: str,
    path: str,
    body: Path,
    folder: Path,
    seconds: float,
    connections: int,
) -> tuple[float, float]:
    """(requests per second, p99 latency in ms) of `connections` keep-alive connections."""
    if tool == "wrk":
        script = folder / f"{body.stem}.lua"
        script.write_text(
            'wrk.method = "POST"\n'
            'wrk.headers["Content-Type"] = "application/json"\n'
            'wrk.headers["Authorization"] = "ApiKey bench-key"\n'
            f'local f = io.open("{body}", "rb")\nwrk.body = f:read("*a")\nf:close()\n',
            encoding="utf-8",
        )
        done = subprocess.run(
            [
                "wrk",
                "-t1",
                f"-c{connections}",
                f"-d{max(1, round(seconds))}s",
                "--latency",
                "-s",
                str(script),
                url + path,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        if "Non-2xx" in done.stdout or "Socket errors" in done.stdout:
            raise RuntimeError(f"errors under load:\n{done.stdout}")
        found = re.search(r"Requests/sec:\s+([\d.]+)", done.stdout)
        p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", done.stdout)
        assert found and p99, done.stdout
        return float(found.group(1)), float(p99.group(1)) * _UNITS[p99.group(2)]
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench._loadgen",
            url,
            path,
            str(body),
            str(connections),
            str(seconds),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(out.stdout)
    if result["errors"]:
        raise RuntimeError(f"errors under load: {result}")
    return float(result["requests"] / result["seconds"]), float(result["p99_ms"])


def _prism() -> list[str] | str:
    """The command of Prism's mock on Novu's OpenAPI document, or why there is none."""
    if shutil.which("node") is None:
        return "Node.js not installed"
    if not OPENAPI.is_file():
        return f"{OPENAPI} missing"
    binary = PRISM_DIR / "node_modules" / ".bin" / "prism"
    if not binary.exists():
        npm = shutil.which("npm")
        if npm is None:
            return "npm not installed"
        PRISM_DIR.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            [npm, "install", "--prefix", str(PRISM_DIR), "--no-audit", "--no-fund", PRISM],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0 or not binary.exists():
            return f"npm install {PRISM} failed: {done.stderr.strip()[-200:]}"
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return [str(binary), "mock", "-h", "127.0.0.1", "-p", str(port), str(OPENAPI)]


def _rounds(
    tool: str,
    urls: dict[str, str],
    path: str,
    body: Path,
    folder: Path,
    sizes: Sizes,
    connections: int,
) -> dict[str, list[tuple[float, float]]]:
    """Per side, one (req/s, p99 ms) per round; the sides alternate their order every round."""
    sides = list(urls)
    for side in sides:  # warm-up
        _load(tool, urls[side], path, body, folder, 1.0 if not sizes.smoke else 0.2, connections)
    got: dict[str, list[tuple[float, float]]] = {side: [] for side in sides}
    for n in range(sizes.server_rounds):
        for side in sides if n % 2 == 0 else reversed(sides):
            got[side].append(
                _load(tool, urls[side], path, body, folder, sizes.server_seconds, connections)
            )
    return got


def server_rows(sizes: Sizes, loadgen: str = "auto") -> list[Row]:
    tool = "wrk" if loadgen == "wrk" or (loadgen == "auto" and shutil.which("wrk")) else "python"
    ids = subscriber_ids(300)
    kinds = {
        "bulk": ("/v1/events/trigger/bulk", bulk_body(100, 3, ids), bulk_call),
        "single": ("/v1/events/trigger", single_body(ids[0]), single_call),
    }
    prism = _prism() if not sizes.smoke else "smoke mode: Prism runs in full runs only"
    rows = []
    with tempfile.TemporaryDirectory(prefix="novu-mock-bench-") as tmp:
        folder = Path(tmp)
        seed = folder / "seed.json"
        seed.write_text(json.dumps(seed_doc(len(ids))), encoding="utf-8")
        engine = Engine([*default_fixtures(), seed_doc(len(ids))])
        bodies: dict[str, Path] = {}
        canned: dict[str, Path] = {}
        for kind, (_, body, make_call) in kinds.items():
            bodies[kind] = folder / f"{kind}.json"
            bodies[kind].write_bytes(body)
            reply = engine.handle(make_call(body))
            assert reply.status == 201, reply.body
            canned[kind] = folder / f"{kind}-reply.json"
            canned[kind].write_bytes(reply.body)
        mock_cmd = [
            sys.executable,
            "-m",
            "novu_mock",
            "serve",
            "--quiet",  # the access log would cost time
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--fixtures",
            str(bundled()),
            "--fixtures",
            str(seed),
        ]
        for kind, (path, _, _) in kinds.items():
            # Fresh servers per kind, so the journal of one does not weigh on the other.
            bare_cmd = [sys.executable, "-m", "bench._bare_app", str(canned[kind])]
            with ExitStack() as stack:
                urls = {
                    "mock": stack.enter_context(_process(mock_cmd))[0],
                    "bare": stack.enter_context(_process(bare_cmd))[0],
                }
                if kind == "bulk" and isinstance(prism, list):
                    urls["prism"] = stack.enter_context(_process(prism, _PRISM_READY))[0]
                got = _rounds(tool, urls, path, bodies[kind], folder, sizes, sizes.concurrency)
                latency = (
                    _rounds(tool, {"mock": urls["mock"]}, path, bodies[kind], folder, sizes, 16)
                    if kind == "single"
                    else None
                )
            rows += _kind_rows(kind, got, sizes, tool)
            if kind == "bulk":
                rows.append(_prism_row(got, prism, tool, sizes))
            if latency is not None:
                p99 = Spread.of([p for _, p in latency["mock"]])
                rows.append(
                    Row(
                        "server_single_p99_ms",
                        "4. novu-mock serve, single trigger p99 latency at 16 connections",
                        "ms",
                        p99,
                        target="≤ 10 ms",
                        met=p99.median <= 10.0,
                        context=f"{'wrk --latency' if tool == 'wrk' else tool}, 16 keep-alive "
                        "connections on one "
                        "worker (each call waits for the 15 ahead of it: p99 ≈ 16 times the time "
                        f"per call, plus any queue run), {sizes.server_seconds:g} s per "
                        "round; p99 per round",
                    )
                )
    return rows


def _kind_rows(
    kind: str, got: dict[str, list[tuple[float, float]]], sizes: Sizes, tool: str
) -> list[Row]:
    label = {"bulk": "100-event bulk", "single": "single trigger"}[kind]
    mock = [r for r, _ in got["mock"]]
    bare = [r for r, _ in got["bare"]]
    ratio = Spread.of([m / b for m, b in zip(mock, bare, strict=True)])
    return [
        Row(
            f"server_{kind}_rps",
            f"4. novu-mock serve, {label} requests/s",
            "req/s",
            Spread.of(mock),
            context=f"bare app {Spread.of(bare).median:,.0f} req/s; "
            f"{tool}, {sizes.concurrency} connections, "
            f"{sizes.server_seconds:g} s per side per round"
            + (
                "; the mock's figure includes delivery (`welcome`: in_app + email, 600 messages "
                f"per bulk), run in-stream once {MAX_QUEUED:,} triggers are queued"
                if kind == "bulk"
                else ""
            ),
        ),
        Row(
            f"server_{kind}_ratio",
            f"4. {label}: novu-mock ÷ bare Starlette, req/s",
            "x",
            ratio,
            target="≥ 0.40" if kind == "bulk" else "",
            met=ratio.median >= 0.40 if kind == "bulk" else None,
            context="one uvicorn worker each, the same settings (uvicorn_config: h11, the "
            "mock's protocol class, no access log); the bare app reads the body, parses its JSON "
            "and answers a canned reply of the mock's size; ratio per round",
        ),
    ]


def _prism_row(
    got: dict[str, list[tuple[float, float]]], prism: list[str] | str, tool: str, sizes: Sizes
) -> Row:
    measure = "4. 100-event bulk: novu-mock ÷ Prism 5.16 mock on Novu's OpenAPI, req/s"
    if isinstance(prism, str):
        return Row("server_prism_ratio", measure, "x", None, target="≥ 3.0", context=prism)
    mock = [r for r, _ in got["mock"]]
    theirs = [r for r, _ in got["prism"]]
    ratio = Spread.of([m / p for m, p in zip(mock, theirs, strict=True)])
    return Row(
        "server_prism_ratio",
        measure,
        "x",
        ratio,
        target="≥ 3.0",
        met=ratio.median >= 3.0,
        context=f"Prism {Spread.of(theirs).median:,.0f} req/s (`prism mock` on "
        f"tests/openapi/novu-openapi.json, one Node process); {tool}, "
        f"{sizes.concurrency} connections; ratio per round",
    )
