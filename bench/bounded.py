"""Row 8: bounded memory of `novu-mock serve` under the traffic of a shared CI server (issue 11).

Each workload runs against a fresh server subprocess and reads the server's resident memory
(VmRSS) before and after: fresh `Idempotency-Key`s on every bulk (as novu-py sends them) under
`--journal-limit 100`, 100 MB bodies (refused before they are read), and thousands of throwaway
API keys followed by a reset without a key. tests/test_bounded_rss.py runs the same workloads at
smaller sizes with generous bounds.
"""

from __future__ import annotations

import gc
import os
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

from novu_mock import bundled

from ._config import Sizes
from ._report import Row, Spread
from ._workloads import HEADERS, bulk_body, single_body, subscriber_ids
from .server import _process

MB = 1024 * 1024


def rss(pid: int) -> int:
    """Resident memory of a process, in bytes (Linux)."""
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


@dataclass
class Server:
    url: str
    pid: int
    client: httpx.Client

    def rss(self) -> int:
        return rss(self.pid)


@contextmanager
def served(*flags: str, env: dict[str, str] | None = None) -> Iterator[Server]:
    """A `novu-mock serve` subprocess on a free loopback port, and a client for it; `env` is
    set in the environment the server starts with (PYTHONMALLOC=malloc, say)."""
    # --quiet: the access log (a line per request) would fill the pipe nobody reads, and the
    # server would block after about a thousand requests.
    args = [sys.executable, "-m", "novu_mock", "serve", "--port", "0", "--quiet"]
    args += ["--fixtures", str(bundled()), *flags]
    saved = {name: os.environ.get(name) for name in env or {}}
    os.environ.update(env or {})
    try:
        with _process(args) as (url, pid), httpx.Client(base_url=url, timeout=120) as client:
            yield Server(url, pid, client)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def fresh_keys(server: Server, calls: int, warmup: int = 100) -> tuple[int, int]:
    """RSS after `warmup` then after `calls` more bulk(100) calls, each with a fresh key."""
    body = bulk_body(100, 1, subscriber_ids(100))

    def send(n: int) -> None:
        for _ in range(n):
            headers = {**HEADERS, "idempotency-key": uuid.uuid4().hex}
            response = server.client.post("/v1/events/trigger/bulk", content=body, headers=headers)
            assert response.status_code == 201, response.text[:500]

    send(warmup)
    before = server.rss()
    send(calls)
    return before, server.rss()


def big_bodies(server: Server, size: int) -> dict[str, tuple[int, int, int]]:
    """Per path: (status, RSS before, RSS after) of one body of `size` bytes."""
    server.client.post("/v1/events/trigger", content=single_body("warm"), headers=HEADERS)
    blob = b"x" * size
    out = {}
    for path in ("/v1/events/trigger", "/v2/subscribers", "/v1/not-a-route"):
        before = server.rss()
        response = server.client.post(path, content=blob, headers=HEADERS)
        out[path] = (response.status_code, before, server.rss())
    del blob
    gc.collect()
    return out


def throwaway_keys(server: Server, keys: int, waves: int = 2, settle: float = 3.0) -> list[int]:
    """RSS at the start, then after each wave of one trigger with each of `keys` new keys and
    after the keyless reset that follows it: [start, wave 1, reset 1, wave 2, reset 2, ...].
    The start is read after a warm-up of 200 triggers with one key and a reset, so that what the
    process grows once to serve at all (its worker threads, their heaps, first-use caches) is
    not counted as what the throwaway environments left behind."""
    body = single_body("throwaway")
    headers = dict(HEADERS)
    for _ in range(200):
        server.client.post("/v1/events/trigger", content=body, headers=headers)
    assert server.client.post("/_mock/reset").status_code == 204
    time.sleep(settle)
    out = [server.rss()]
    for wave in range(waves):
        for n in range(keys):
            headers["authorization"] = f"ApiKey throwaway-{wave}-{n}"
            response = server.client.post("/v1/events/trigger", content=body, headers=headers)
            assert response.status_code == 201, response.text[:500]
        out.append(server.rss())
        assert server.client.post("/_mock/reset").status_code == 204
        assert server.client.get("/_mock/state").json()["data"] == {}
        # The server frees and trims during the reset; its worker threads hand back their
        # share of the heap a moment later, so read after a short settle.
        time.sleep(settle)
        out.append(server.rss())
    return out


def _mb(value: float) -> str:
    return f"{value / MB:+.1f} MB"


def bounded_rows(sizes: Sizes) -> list[Row]:
    with served("--journal-limit", "100") as server:
        before, after = fresh_keys(server, sizes.fresh_key_calls)
    grew = after - before
    with served() as server:
        bodies = big_bodies(server, sizes.body_mb * MB)
    worst = max(abs(a - b) for _, b, a in bodies.values())
    statuses = ", ".join(f"{p} {s} ({_mb(a - b)})" for p, (s, b, a) in bodies.items())
    with served() as server:
        start, grown, end, regrown, last = throwaway_keys(server, sizes.throwaway_keys)
    with served(env={"PYTHONMALLOC": "malloc"}) as server:
        m_start, m_grown, m_end, m_regrown, m_last = throwaway_keys(server, sizes.throwaway_keys)
    keys = sizes.throwaway_keys
    return [
        Row(
            "bounded_fresh_keys_mb",
            f"8. serve --journal-limit 100: RSS growth over {sizes.fresh_key_calls:,} bulk(100) "
            "calls, a fresh Idempotency-Key each",
            "MB",
            Spread.of([grew / MB]),
            target="≤ 10 MB",
            met=grew <= 10 * MB,
            context=f"after 100 warm-up calls (journals and idempotency entries full): "
            f"{before / MB:.0f} MB -> {after / MB:.0f} MB",
        ),
        Row(
            "bounded_big_bodies_mb",
            f"8. {sizes.body_mb} MB bodies to a trigger, POST /v2/subscribers and an unknown "
            "path: largest RSS change",
            "MB",
            Spread.of([worst / MB]),
            target="≤ 10 MB",
            met=worst <= 10 * MB,
            context=statuses,
        ),
        Row(
            "bounded_throwaway_keys_mb",
            f"8. {keys:,} throwaway API keys, then POST /_mock/reset without a key: RSS vs start",
            "MB",
            Spread.of([(end - start) / MB]),
            target="≤ 10 MB",
            met=end - start <= 10 * MB,
            context=f"{start / MB:.0f} MB -> {grown / MB:.0f} MB with {keys:,} environments "
            f"-> {end / MB:.0f} MB after the reset; a second wave: {regrown / MB:.0f} MB, "
            f"reset {last / MB:.0f} MB (RSS read 3 s after each reset)",
        ),
        Row(
            "bounded_throwaway_keys_malloc_mb",
            "8. same, the server started with PYTHONMALLOC=malloc: RSS vs start",
            "MB",
            Spread.of([(m_end - m_start) / MB]),
            target="≤ 10 MB",
            met=m_end - m_start <= 10 * MB,
            context=f"{m_start / MB:.0f} MB -> {m_grown / MB:.0f} MB -> {m_end / MB:.0f} MB after "
            f"the reset; a second wave: {m_regrown / MB:.0f} MB, reset {m_last / MB:.0f} MB "
            "(every object from the C library's allocator, which hands freed pages back)",
        ),
    ]
