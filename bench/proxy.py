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

import sys
import time

import httpx

from novu_mock._core.engine import Engine

from ._config import Sizes
from ._report import Row, Spread
from ._timing import median, samples_ms
from ._workloads import HEADERS, default_fixtures, single_body, single_call
from .server import _process


def _pairs(sizes: Sizes) -> int:
    return 40 if sizes.smoke else 2000


def proxy_rows(sizes: Sizes) -> list[Row]:
    from novu_mock import bundled

    fixtures = str(bundled())
    body = single_body("user-1")
    serve = [sys.executable, "-m", "novu_mock", "serve", "--port", "0", "--fixtures", fixtures]
    with _process(serve) as upstream:
        proxy = [
            sys.executable,
            *("-m", "novu_mock", "proxy", "--port", "0", "--upstream", upstream),
            *("--fixtures", fixtures),
        ]
        with _process(proxy) as via, httpx.Client(headers=HEADERS) as client:
            direct_url = f"{upstream}/v1/events/trigger"
            proxy_url = f"{via}/v1/events/trigger"
            for _ in range(50):  # warm both connections and both servers
                client.post(direct_url, content=body)
                client.post(proxy_url, content=body)
            directs, vias, diffs = [], [], []
            clock = time.perf_counter
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
            f"shadow engine {median(shadow):.3f} ms; {len(diffs)} interleaved pairs, "
            "upstream = novu-mock serve, keep-alive httpx client",
        ),
    ]
