"""`python -m bench --smoke` runs end to end (tiny sizes) so that the benchmark cannot rot.

The figures of a smoke run mean nothing; only that every section runs and reports. It takes
longer than the rest of a test file should (marker `bench`, deselected by default; .ci/run
runs `pytest -m bench` as its own step)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.bench
@pytest.mark.skipif(not (ROOT / "bench").is_dir(), reason="bench/ ships with the source tree only")
def test_bench_smoke_writes_every_row(tmp_path: Path) -> None:
    out = tmp_path / "latest.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke", "--loadgen", "python", "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "| measure | median |" in done.stdout
    report = json.loads(out.read_text(encoding="utf-8"))
    keys = {row["key"] for row in report["rows"]}
    for key in (
        "engine_bulk_ms",
        "engine_bulk_first_ms",
        "inprocess_ratio",
        "fixture_cycle_ms",
        "fixture_pytest_per_test_ms",
        "server_bulk_ratio",
        "server_single_rps",
        "peer_moto_ratio",
        "peer_moto_growth",
        "collect_plugin_ms",
        "collect_plugin_cpu_ms",
        "bounded_fresh_keys_mb",
        "bounded_big_bodies_mb",
        "bounded_throwaway_keys_mb",
        "memory_bytes_per_trigger",
        "scaling_flat_ratio",
        "topic_linear_ratio",
        "delivery_engine_bulk_ms",
        "delivery_inprocess_ratio",
        "delivery_memory_bytes_per_message",
        "time_deliver_10k_s",
        "time_heap_flat_x",
        "time_per_job_flat_x",
        "time_delay_trigger_ratio",
        "time_delay_pipeline_ratio",
        "proxy_overhead_ms",
    ):
        assert key in keys, key
    medians = {row["key"]: row["spread"]["median"] for row in report["rows"] if row["spread"]}
    assert medians["engine_bulk_ms"] > 0 and medians["server_bulk_rps"] > 0
    assert all(m == m for m in medians.values())  # no NaN
    assert report["context"]["smoke"] is True
