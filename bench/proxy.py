"""Row 9: what `novu-mock proxy` adds to a call, over calling its upstream directly.

The upstream is `novu-mock serve` and the proxy `novu-mock proxy` in front of it, each in its own
process; one keep-alive client here sends the same single trigger straight to the upstream and
through the proxy, alternating call by call (interleaved, so drift in machine load hits both
sides alike). The overhead is the median of the per-pair differences. The target is 2 ms plus
the shadow's engine time, so the row shows the overhead minus that time against 2 ms. The
shadow's engine time is what the proxy's own shadow engine measured for these calls (its request
journal's `durationMs`), in the proxy process and under the same load. The proxy answers before
it runs the shadow, so that time is mostly off the caller's path now; it still competes for the
CPU. The CPU time per call of both processes is given too: on a shared machine the wall-clock
figures are at the mercy of the other processes, CPU time much less so.
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

from ._config import Sizes
from ._report import Row, Spread
from ._workloads import HEADERS, single_body

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
            client.delete(f"{via}/_mock/drift")
            shadowed_before = len(_shadow_durations(client, via))
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
            # The drift read waits for the shadow runs still to come: their CPU time counts.
            drift = client.get(f"{via}/_mock/drift").json()["data"]
            assert drift == [], drift  # same fixtures on both sides: no drift, nothing skipped
            # The upstream answers two calls per pair, the proxy one.
            upstream_cpu = (_cpu_seconds(upstream_pid) - cpu_before[0]) * 1000 / (2 * pairs)
            proxy_cpu = (_cpu_seconds(proxy_pid) - cpu_before[1]) * 1000 / pairs
            # The shadow's engine time per call, as the proxy's shadow engine timed it (its
            # request journal), in the same process and under the same load as the calls above.
            shadow = _shadow_durations(client, via)[shadowed_before:]
            assert len(shadow) == pairs, (len(shadow), pairs)
    overhead = Spread.of(diffs)
    shadow_ms = median(shadow)
    added = overhead.median - shadow_ms
    return [
        Row(
            "proxy_overhead_ms",
            "9. novu-mock proxy: added time per single trigger over calling the upstream "
            "directly, minus the shadow's engine time",
            "ms",
            Spread.of([d - shadow_ms for d in diffs]),
            target="≤ 2 ms",
            met=added <= 2.0,
            context=f"added {overhead.median:.2f} ms (p25-p75 {overhead.p25:.2f}-"
            f"{overhead.p75:.2f}) - shadow engine {shadow_ms:.3f} ms; direct "
            f"{median(directs):.2f} ms, via proxy {median(vias):.2f} ms; CPU per call: proxy "
            f"process {proxy_cpu:.2f} ms (shadow, comparison and HTTP both ways included), "
            f"upstream {upstream_cpu:.2f} ms; {pairs} interleaved pairs, same request, "
            "upstream = novu-mock serve, keep-alive httpx client; load average "
            + ", ".join(f"{x:.1f}" for x in os.getloadavg()),
            extra={
                "overhead_ms": overhead.median,
                "shadow_engine_ms": shadow_ms,
                "proxy_cpu_ms": proxy_cpu,
                "upstream_cpu_ms": upstream_cpu,
            },
        ),
        Row(
            "proxy_cpu_ms",
            "9b. novu-mock proxy: CPU time of the proxy process per call, minus the shadow's "
            "engine time (the wall-clock row's evidence on a busy machine)",
            "ms",
            Spread.of([proxy_cpu - shadow_ms]),
            target="≤ 2 ms",
            met=proxy_cpu - shadow_ms <= 2.0,
            context=f"proxy process {proxy_cpu:.2f} ms CPU per call (receiving, forwarding, "
            f"answering, comparing, journals) - shadow engine {shadow_ms:.3f} ms; the "
            f"upstream (novu-mock serve) spends {upstream_cpu:.2f} ms CPU per call; "
            f"{pairs} calls",
        ),
    ]


def _shadow_durations(client: httpx.Client, via: str) -> list[float]:
    """The shadow engine's `durationMs` of each call so far (oldest first)."""
    records = client.get(f"{via}/_mock/requests").json()["data"]
    return [r["durationMs"] for r in records if r["path"] == "/v1/events/trigger"]
