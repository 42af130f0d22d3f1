"""Sizes of a full run and of the smoke run (`--smoke`, for CI: seconds, not minutes)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sizes:
    smoke: bool
    engine_calls: int  # steady-state samples of the 100-event bulk
    first_calls: int  # fresh engines for the first-call cost
    rounds: int  # interleaved rounds of every ratio
    sdk_calls: int  # SDK calls per side per round
    fixture_cycles: int  # fixture setup+teardown samples
    pytest_tests: int  # tiny tests per generated file
    pytest_runs: int  # pytest subprocess runs per file
    server_seconds: float  # load per side per round
    server_rounds: int
    concurrency: int
    memory_triggers: int
    memory_traced: int  # triggers measured with tracemalloc for the breakdown
    store_sizes: tuple[int, ...]
    topic_sizes: tuple[int, ...]
    scaling_calls: int
    moto_queue_sizes: tuple[int, ...]  # messages queued when moto's growth is sampled
    collect_runs: int  # pytest --collect-only runs per side
    fresh_key_calls: int  # bulk(100) calls with a fresh Idempotency-Key against serve
    body_mb: int  # size of each oversized body sent to serve
    throwaway_keys: int  # API keys used once, then a reset without a key


FULL = Sizes(
    smoke=False,
    engine_calls=400,
    first_calls=15,
    rounds=7,
    sdk_calls=40,
    fixture_cycles=2000,
    pytest_tests=1000,
    pytest_runs=3,
    server_seconds=2.0,
    server_rounds=5,
    concurrency=8,
    memory_triggers=1_000_000,
    memory_traced=50_000,
    store_sizes=(10, 10_000, 1_000_000),
    topic_sizes=(10_000, 100_000),
    scaling_calls=60,
    moto_queue_sizes=(0, 1_000, 3_200),
    collect_runs=10,
    fresh_key_calls=2_000,
    body_mb=100,
    throwaway_keys=5_000,
)

SMOKE = Sizes(
    smoke=True,
    engine_calls=10,
    first_calls=2,
    rounds=2,
    sdk_calls=3,
    fixture_cycles=20,
    pytest_tests=5,
    pytest_runs=1,
    server_seconds=0.3,
    server_rounds=1,
    concurrency=2,
    memory_triggers=2_000,
    memory_traced=1_000,
    store_sizes=(10, 1_000),
    topic_sizes=(100, 1_000),
    scaling_calls=3,
    moto_queue_sizes=(0, 100),
    collect_runs=2,
    fresh_key_calls=20,
    body_mb=2,
    throwaway_keys=50,
)
