"""Row 9: what `novu-mock proxy` adds to a call, over calling its upstream directly.

The upstream is `novu-mock serve` and the proxy `novu-mock proxy` in front of it, each in its own
process; one keep-alive client here sends the same single trigger straight to the upstream and
through the proxy, alternating call by call (interleaved, so drift in machine load hits both
sides alike). The overhead is the median of the per-pair differences. The target is 2 ms plus
the shadow's engine time: the proxy runs each call on its shadow engine before answering, and
that time (measured here on an Engine in this process, same call, same fixtures) is the mock's
own cost, not the proxy's.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from statistics import median

import httpx

from novu_mock._core.engine import Engine

from ._config import Sizes
from ._report import Row, Spread
from ._timing import samples_ms
from ._workloads import HEADERS, default_fixtures, single_body, single_call

_URL = re.compile(r"(http://127\.0\.0\.1:\d+)")


@contextmanager
def _started(args: list[str]) -> Iterator[tuple[int, str]]:
    """A server subprocess: its pid and the base URL it prints."""
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout is not None
        found = _URL.search(proc.stdout.readline())
        if found is None:
            raise RuntimeError(f"server did not start: {' '.join(args)}")
        # Nobody reads the rest: a server that logs would fill the pipe and stall.
        threading.Thread(target=proc.stdout.read, daemon=True).start()
        yield proc.pid, found.group(1)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc), or NaN elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _pairs(sizes: Sizes) -> int:
    return 40 if sizes.smoke else 2000


def proxy_rows(sizes: Sizes) -> list[Row]:
    from novu_mock import bundled

    fixtures = str(bundled())
    body = single_body("user-1")
    serve = [
        *(sys.executable, "-m", "novu_mock", "serve", "--port", "0", "--quiet"),
        *("--fixtures", fixtures),
    ]
    with _started(serve) as (upstream_pid, upstream):
        proxy = [
            sys.executable,
            *("-m", "novu_mock", "proxy", "--port", "0", "--upstream", upstream),
            *("--fixtures", fixtures),
        ]
        with _started(proxy) as (proxy_pid, via), httpx.Client(headers=HEADERS) as client:
            direct_url = f"{upstream}/v1/events/trigger"
            proxy_url = f"{via}/v1/events/trigger"
            for _ in range(50):  # warm both connections and both servers
                client.post(direct_url, content=body)
                client.post(proxy_url, content=body)
            directs, vias, diffs = [], [], []
            clock = time.perf_counter
            cpu_before = _cpu_seconds(upstream_pid), _cpu_seconds(proxy_pid)
            for i in range(_pairs(sizes)):
                order = (direct_url, proxy_url) if i % 2 else (proxy_url, direct_url)
                took = {}
                for url in order:
                    start = clock()
                    response = client.post(url, content=body)
                    took[url] = (clock() - start) * 1000.0
                    assert response.status_code == 201, response.text
                directs.append(took[direct_url])
                vias.append(took[proxy_url])
                diffs.append(took[proxy_url] - took[direct_url])
            pairs = len(diffs)
            # The upstream answers two calls per pair, the proxy one.
            upstream_cpu = (_cpu_seconds(upstream_pid) - cpu_before[0]) * 1000 / (2 * pairs)
            proxy_cpu = (_cpu_seconds(proxy_pid) - cpu_before[1]) * 1000 / pairs
    engine = Engine(default_fixtures())
    call = single_call(body)
    shadow = samples_ms(lambda: engine.handle(call), 20 if sizes.smoke else 2000, warmup=50)
    overhead = Spread.of(diffs)
    budget = 2.0 + median(shadow)
    return [
        Row(
            "proxy_overhead_ms",
            "9. novu-mock proxy: added time per single trigger over calling the upstream directly",
            "ms",
            overhead,
            target=f"≤ 2 ms + shadow ({budget:.2f} ms)",
            met=overhead.median <= budget,
            context=f"direct {median(directs):.2f} ms, via proxy {median(vias):.2f} ms, "
            f"shadow engine {median(shadow):.3f} ms; CPU per call: proxy process "
            f"{proxy_cpu:.2f} ms, upstream {upstream_cpu:.2f} ms; {pairs} interleaved pairs, "
            "upstream = novu-mock serve, keep-alive httpx client; load average "
            + ", ".join(f"{x:.1f}" for x in os.getloadavg()),
        ),
    ]
