"""Rows 2, 3 and 5: novu-py through the in-process mock against a bare respx route, the
`novu_mock` fixture's own cost, and moto (boto3 SQS) as a peer."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import respx

from novu_mock import NovuMock, bundled
from novu_mock._core.engine import Engine

from ._config import Sizes
from ._report import Row, Spread
from ._timing import batch_ms, samples_ms
from ._workloads import (
    bulk_body,
    bulk_call,
    default_fixtures,
    novu_client,
    sdk_events,
    seed_doc,
    subscriber_ids,
)

BULK_URL = "https://api.novu.co/v1/events/trigger/bulk"


def _sdk_ratio(sizes: Sizes, events: int) -> tuple[list[float], list[float], list[float]]:
    """Per round: (mock ms, bare ms, mock ÷ bare) for novu-py `trigger_bulk` of `events`."""
    ids = subscriber_ids(events * 3)
    dto: Any = {"events": sdk_events(events, 3, ids)}
    fixtures = [*default_fixtures(), seed_doc(len(ids))]
    # The canned answer is the mock's own answer to the same events, so both sides parse the
    # same bytes.
    canned = Engine(fixtures).handle(bulk_call(bulk_body(events, 3, ids)))
    client = novu_client()
    mock = NovuMock(fixtures)
    bare = respx.MockRouter(assert_all_called=False)
    bare.post(BULK_URL).mock(
        return_value=httpx.Response(canned.status, headers=canned.headers, content=canned.body)
    )

    def on_mock() -> None:
        with mock.intercept():
            for _ in range(sizes.sdk_calls):
                t0 = time.perf_counter()
                res = client.trigger_bulk(bulk_trigger_event_dto=dto)
                times_mock.append((time.perf_counter() - t0) * 1000)
        assert len(res.result) == events and res.result[0].status == "processed"

    def on_bare() -> None:
        with bare:
            for _ in range(sizes.sdk_calls):
                t0 = time.perf_counter()
                res = client.trigger_bulk(bulk_trigger_event_dto=dto)
                times_bare.append((time.perf_counter() - t0) * 1000)
        assert len(res.result) == events

    mocks, bares, ratios = [], [], []
    for n in range(sizes.rounds + 1):
        times_mock: list[float] = []
        times_bare: list[float] = []
        # Alternate which side goes first so that drift in machine load favours neither.
        for side in (on_mock, on_bare) if n % 2 else (on_bare, on_mock):
            side()
        if n == 0:
            continue  # warm-up round
        m, b = Spread.of(times_mock).median, Spread.of(times_bare).median
        mocks.append(m)
        bares.append(b)
        ratios.append(m / b)
    return mocks, bares, ratios


def overhead_rows(sizes: Sizes) -> list[Row]:
    mocks, bares, ratios = _sdk_ratio(sizes, 100)
    ratio = Spread.of(ratios)
    return [
        Row(
            "inprocess_ratio",
            "2. novu-py trigger_bulk(100) via NovuMock.intercept() ÷ via a bare respx route",
            "x",
            ratio,
            target="≤ 1.04",
            met=ratio.median <= 1.04,
            context=f"mock {Spread.of(mocks).median:.2f} ms vs bare "
            f"{Spread.of(bares).median:.2f} ms "
            f"per call (SDK's own cost); ratio per round, {sizes.sdk_calls} calls each",
        )
    ]


def _fixture_cycle() -> None:
    # What novu_mock/_testing/plugin.py does around a test, with the bundled default fixtures.
    mock = NovuMock([bundled()])
    with mock.intercept():
        pass


def _pytest_total(folder: Path, name: str) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one pytest process on `name`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", name],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0 or " passed" not in done.stdout:
        raise RuntimeError(f"pytest on {name} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def fixture_rows(sizes: Sizes) -> list[Row]:
    cycle = Spread.of(samples_ms(_fixture_cycle, sizes.fixture_cycles, warmup=20))
    n = sizes.pytest_tests
    with tempfile.TemporaryDirectory(prefix="novu-mock-bench-") as tmp:
        folder = Path(tmp)
        (folder / "pytest.ini").write_text(
            f"[pytest]\nnovu_mock_fixtures =\n    {bundled()}\n", encoding="utf-8"
        )
        with_lines = [f"def test_{i}(novu_mock):\n    assert novu_mock\n" for i in range(n)]
        without_lines = [f"def test_{i}():\n    assert True\n" for i in range(n)]
        (folder / "test_with_fixture.py").write_text("\n".join(with_lines), encoding="utf-8")
        (folder / "test_without_fixture.py").write_text("\n".join(without_lines), encoding="utf-8")
        withs, withouts, diffs, cpu_diffs = [], [], [], []
        for run in range(sizes.pytest_runs):
            # Alternate which file goes first, so that drift in machine load favours neither.
            order = ("without", "with") if run % 2 == 0 else ("with", "without")
            got = {side: _pytest_total(folder, f"test_{side}_fixture.py") for side in order}
            (a, a_cpu), (b, b_cpu) = got["with"], got["without"]
            withs.append(a)
            withouts.append(b)
            diffs.append((a - b) / n * 1000.0)
            cpu_diffs.append((a_cpu - b_cpu) / n * 1000.0)
    per_test, per_test_cpu = Spread.of(diffs), Spread.of(cpu_diffs)
    return [
        Row(
            "fixture_cycle_ms",
            "3. novu_mock fixture setup + teardown (NovuMock([bundled()]) + intercept enter/exit)",
            "ms",
            cycle,
            context="in-process loop",
        ),
        Row(
            "fixture_pytest_with_s",
            f"3. pytest, {n:,} empty tests using novu_mock (total wall time)",
            "s",
            Spread.of(withs),
            context="one pytest process each; ini loads the bundled fixtures",
        ),
        Row(
            "fixture_pytest_without_s",
            f"3. pytest, {n:,} empty tests without it (total wall time)",
            "s",
            Spread.of(withouts),
        ),
        Row(
            "fixture_pytest_per_test_ms",
            "3. fixture as a suite pays it: extra wall time per test ((with - without) ÷ tests)",
            "ms",
            per_test,
            target="≤ 0.10 ms",
            met=per_test.median <= 0.10,
            context="per pytest run pair, alternating; includes importing novu-mock once "
            "per process",
        ),
        Row(
            "fixture_pytest_per_test_cpu_ms",
            "3. same, extra CPU time per test (user + system of the pytest process)",
            "ms",
            per_test_cpu,
            context="less sensitive than wall time to other work on a shared machine",
        ),
    ]


def peer_rows(sizes: Sizes) -> list[Row]:
    try:
        import boto3
        from moto import mock_aws
    except ImportError:
        return [
            Row(
                "peer_moto_ratio",
                "5. moto SQS send_message_batch(10) ÷ novu-mock bulk(10)",
                "x",
                None,
                target="> 1 (faster than moto)",
                context="moto/boto3 not installed: pip install -e '.[bench]'",
            )
        ]
    entries = [{"Id": str(i), "MessageBody": f'{{"orderId": {i}}}'} for i in range(10)]
    with mock_aws():
        sqs = boto3.client(
            "sqs",
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        url = sqs.create_queue(QueueName="bench")["QueueUrl"]

        def moto_call() -> None:
            sqs.send_message_batch(QueueUrl=url, Entries=entries)

        moto_rounds = []
        for _ in range(sizes.rounds + 1):
            moto_rounds.append(batch_ms(moto_call, sizes.sdk_calls))
        moto_rounds = moto_rounds[1:]
    mocks, _, _ = _sdk_ratio(sizes, 10)
    ratios = [m / n for m, n in zip(moto_rounds, mocks, strict=True)]
    ratio = Spread.of(ratios)
    return [
        Row(
            "peer_moto_ratio",
            "5. moto: boto3 SQS send_message_batch(10) ÷ novu-py trigger_bulk(10) via NovuMock",
            "x",
            ratio,
            target="> 1 (faster than moto)",
            met=ratio.median > 1.0,
            context=f"moto {Spread.of(moto_rounds).median:.2f} ms vs novu-mock "
            f"{Spread.of(mocks).median:.2f} ms per call",
        )
    ]
