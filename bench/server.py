"""Row 4: requests per second against `novu-mock serve` ÷ a bare Starlette app on the same
uvicorn, with one load generator (wrk when installed, else bench._loadgen) in its own process."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from novu_mock import bundled
from novu_mock._core.engine import Engine

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


@contextmanager
def _process(args: list[str]) -> Iterator[tuple[str, int]]:
    """A server subprocess; yields the base URL it prints and its process id."""
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 30
        url = None
        while url is None and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line and proc.poll() is not None:
                break
            found = _URL.search(line)
            url = found.group(1) if found else None
        if url is None:
            raise RuntimeError(f"server did not start: {' '.join(args)}")
        time.sleep(0.3)  # uvicorn prints nothing when ready; the socket is already bound
        yield url, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


def _load(
    tool: str, url: str, path: str, body: Path, folder: Path, sizes: Sizes, seconds: float
) -> float:
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
                f"-c{sizes.concurrency}",
                f"-d{max(1, round(seconds))}s",
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
        assert found, done.stdout
        return float(found.group(1))
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench._loadgen",
            url,
            path,
            str(body),
            str(sizes.concurrency),
            str(seconds),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(out.stdout)
    if result["errors"]:
        raise RuntimeError(f"errors under load: {result}")
    return float(result["requests"] / result["seconds"])


def server_rows(sizes: Sizes, loadgen: str = "auto") -> list[Row]:
    tool = "wrk" if loadgen == "wrk" or (loadgen == "auto" and shutil.which("wrk")) else "python"
    ids = subscriber_ids(300)
    kinds = {
        "bulk": ("/v1/events/trigger/bulk", bulk_body(100, 3, ids), bulk_call),
        "single": ("/v1/events/trigger", single_body(ids[0]), single_call),
    }
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
            "--quiet",  # the access log would cost time, and fill the unread pipe
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--fixtures",
            str(bundled()),
            "--fixtures",
            str(seed),
        ]
        results: dict[str, dict[str, list[float]]] = {k: {"mock": [], "bare": []} for k in kinds}
        ratios: dict[str, list[float]] = {k: [] for k in kinds}
        for kind, (path, _, _) in kinds.items():
            # One pair of fresh servers per kind, so the journal of one does not weigh on the other.
            bare_cmd = [sys.executable, "-m", "bench._bare_app", str(canned[kind])]
            with _process(mock_cmd) as (mock_url, _), _process(bare_cmd) as (bare_url, _):
                urls = {"mock": mock_url, "bare": bare_url}
                for side in ("mock", "bare"):  # warm-up
                    _load(
                        tool,
                        urls[side],
                        path,
                        bodies[kind],
                        folder,
                        sizes,
                        1.0 if not sizes.smoke else 0.2,
                    )
                for n in range(sizes.server_rounds):
                    order = ("mock", "bare") if n % 2 == 0 else ("bare", "mock")
                    got = {}
                    for side in order:
                        got[side] = _load(
                            tool,
                            urls[side],
                            path,
                            bodies[kind],
                            folder,
                            sizes,
                            sizes.server_seconds,
                        )
                        results[kind][side].append(got[side])
                    ratios[kind].append(got["mock"] / got["bare"])
    rows = []
    for kind, label in (("bulk", "100-event bulk"), ("single", "single trigger")):
        mock_rps = Spread.of(results[kind]["mock"])
        ratio = Spread.of(ratios[kind])
        rows.append(
            Row(
                f"server_{kind}_rps",
                f"4. novu-mock serve, {label} requests/s",
                "req/s",
                mock_rps,
                context=f"bare app {Spread.of(results[kind]['bare']).median:,.0f} req/s; "
                f"{tool}, {sizes.concurrency} connections, "
                f"{sizes.server_seconds:g} s per side per round",
            )
        )
        rows.append(
            Row(
                f"server_{kind}_ratio",
                f"4. {label}: novu-mock ÷ bare Starlette, req/s",
                "x",
                ratio,
                target="≥ 0.8" if kind == "bulk" else "",
                met=ratio.median >= 0.8 if kind == "bulk" else None,
                context="single uvicorn worker each; ratio per round",
            )
        )
    return rows
