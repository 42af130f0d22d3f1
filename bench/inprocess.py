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
from ._timing import samples_ms
from ._workloads import (
    API_KEY,
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
            target="≤ 1.10",
            met=ratio.median <= 1.10,
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


def _pytest_total(folder: Path, name: str) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
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
    if done.returncode != 0 or " passed" not in done.stdout:
        raise RuntimeError(f"pytest on {name} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return elapsed


# What `pytest -p no:NAME` blocks to stand for "novu-mock not installed": its own plugin, and the
# plugins of the packages it brings (respx's imports httpx; anyio comes with httpx and starlette).
_WITHOUT = {
    "with": [],
    "without_plugin": ["-p", "no:novu_mock"],
    "not_installed": ["-p", "no:novu_mock", "-p", "no:respx", "-p", "no:anyio"],
}


def _collect_ms(folder: Path, blocked: list[str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system, of the pytest process) of `pytest --collect-only`
    on the small suite in `folder`, in ms. CPU time is what a busy machine disturbs least."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    args = [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [*args, *blocked], cwd=folder, env=env, capture_output=True, text=True, check=False
    )
    wall = (time.perf_counter() - start) * 1000.0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) * 1000.0
    if done.returncode != 0:
        raise RuntimeError(f"pytest --collect-only failed:\n{done.stdout[-2000:]}")
    return wall, cpu


def collect_rows(sizes: Sizes) -> list[Row]:
    """What having novu-mock installed costs a test session that does not use it."""
    with tempfile.TemporaryDirectory(prefix="novu-mock-bench-") as tmp:
        folder = Path(tmp)
        (folder / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
        lines = [f"def test_{i}():\n    assert True\n" for i in range(20)]
        (folder / "test_small.py").write_text("\n".join(lines), encoding="utf-8")
        _collect_ms(folder, [])  # warm the file system cache and the bytecode
        wall: dict[str, list[float]] = {name: [] for name in _WITHOUT}
        cpu: dict[str, list[float]] = {name: [] for name in _WITHOUT}
        names = list(_WITHOUT)
        for run in range(sizes.collect_runs):
            # Rotate the order so that drift in machine load favours none of the three.
            for name in names[run % 3 :] + names[: run % 3]:
                w, c = _collect_ms(folder, _WITHOUT[name])
                wall[name].append(w)
                cpu[name].append(c)

    def diff(times: dict[str, list[float]], other: str) -> Spread:
        return Spread.of([w - n for w, n in zip(times["with"], times[other], strict=True)])

    installed = diff(wall, "not_installed")
    med = {name: Spread.of(values).median for name, values in wall.items()}
    return [
        Row(
            "collect_plugin_ms",
            "3c. pytest --collect-only of 20 tests: with novu-mock installed - without (wall)",
            "ms",
            installed,
            target="≤ 30 ms",
            met=installed.median <= 30.0,
            context=f"with {med['with']:.0f} ms; without ({' '.join(_WITHOUT['not_installed'])}"
            f") {med['not_installed']:.0f} ms; its own plugin alone (vs -p no:novu_mock): "
            f"{diff(wall, 'without_plugin').median:+.1f} ms; runs order rotated",
        ),
        Row(
            "collect_plugin_cpu_ms",
            "3c. same, CPU time (user + system) of the pytest process: with - without",
            "ms",
            diff(cpu, "not_installed"),
            target="≤ 30 ms",
            met=diff(cpu, "not_installed").median <= 30.0,
            context=f"its own plugin alone: {diff(cpu, 'without_plugin').median:+.1f} ms; "
            "CPU time is what a machine loaded by other work disturbs least",
        ),
    ]


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
        withs, withouts, diffs = [], [], []
        for run in range(sizes.pytest_runs):
            # Alternate which file goes first so that drift in machine load favours neither.
            if run % 2:
                a = _pytest_total(folder, "test_with_fixture.py")
                b = _pytest_total(folder, "test_without_fixture.py")
            else:
                b = _pytest_total(folder, "test_without_fixture.py")
                a = _pytest_total(folder, "test_with_fixture.py")
            withs.append(a)
            withouts.append(b)
            diffs.append((a - b) / n * 1000.0)
    per_test = Spread.of(diffs)
    return [
        Row(
            "fixture_cycle_ms",
            "3. novu_mock fixture setup + teardown (NovuMock([bundled()]) + intercept enter/exit)",
            "ms",
            cycle,
            target="≤ 1 ms",
            met=cycle.median <= 1.0,
            context="in-process loop",
        ),
        Row(
            "fixture_pytest_with_s",
            f"3. pytest, {n:,} tiny tests using novu_mock (total wall time)",
            "s",
            Spread.of(withs),
            context="subprocess; ini loads the bundled fixtures",
        ),
        Row(
            "fixture_pytest_without_s",
            f"3. pytest, {n:,} tiny tests without it (total wall time)",
            "s",
            Spread.of(withouts),
        ),
        Row(
            "fixture_pytest_per_test_ms",
            "3. per-test difference (with - without) ÷ tests",
            "ms",
            per_test,
            context="per pytest run pair",
        ),
        *collect_rows(sizes),
    ]


def _moto_client() -> Any:
    import boto3

    return boto3.client(
        "sqs",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def peer_rows(sizes: Sizes) -> list[Row]:
    """moto's SQS `send_message_batch` of 10 messages against novu-py `trigger_bulk` of 10
    events through NovuMock: each sample on a fresh queue and a fresh mock environment (neither
    side carries what earlier samples sent), the two sides interleaved and alternated by round;
    then moto's own growth with the queue's size, as its own row."""
    try:
        import boto3  # noqa: F401
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
    ids = subscriber_ids(30)
    dto: Any = {"events": sdk_events(10, 3, ids)}
    client = novu_client()
    mock = NovuMock([*default_fixtures(), seed_doc(len(ids))])
    queues = iter(range(10**9))

    with mock_aws():
        sqs = _moto_client()

        def moto_sample() -> float:
            url = sqs.create_queue(QueueName=f"bench-{next(queues)}")["QueueUrl"]
            t0 = time.perf_counter()
            sqs.send_message_batch(QueueUrl=url, Entries=entries)
            elapsed = (time.perf_counter() - t0) * 1000
            sqs.delete_queue(QueueUrl=url)
            return elapsed

        def mock_sample() -> float:
            mock.engine.reset(API_KEY)  # a fresh environment, seeded outside the timing
            t0 = time.perf_counter()
            res = client.trigger_bulk(bulk_trigger_event_dto=dto)
            elapsed = (time.perf_counter() - t0) * 1000
            assert len(res.result) == 10 and res.result[0].status == "processed"
            return elapsed

        motos, mocks, ratios = [], [], []
        with mock.intercept():
            for n in range(sizes.rounds + 1):
                got: dict[str, list[float]] = {"moto": [], "mock": []}
                sides = (("moto", moto_sample), ("mock", mock_sample))
                for name, sample in sides if n % 2 else sides[::-1]:
                    got[name] = [sample() for _ in range(sizes.sdk_calls)]
                if n == 0:
                    continue  # warm-up round
                m, k = Spread.of(got["moto"]).median, Spread.of(got["mock"]).median
                motos.append(m)
                mocks.append(k)
                ratios.append(m / k)
        growth = _moto_growth(sqs, entries, sizes)
    ratio = Spread.of(ratios)
    sizes_ms = ", ".join(f"{size:,} msgs: {ms:.2f} ms" for size, ms in growth.items())
    first, last = min(growth), max(growth)
    return [
        Row(
            "peer_moto_ratio",
            "5. moto: boto3 SQS send_message_batch(10) on a fresh queue ÷ novu-py "
            "trigger_bulk(10) via NovuMock",
            "x",
            ratio,
            target="> 1 (faster than moto)",
            met=ratio.median > 1.0,
            context=f"moto {Spread.of(motos).median:.2f} ms vs novu-mock "
            f"{Spread.of(mocks).median:.2f} ms per call; a fresh queue (moto) and a reset "
            f"mock per sample, sides interleaved; {sizes.sdk_calls} samples per side per round",
        ),
        Row(
            "peer_moto_growth",
            f"5b. moto send_message_batch(10) with {last:,} messages queued ÷ with {first:,}",
            "x",
            Spread.of([growth[last] / growth[first]]),
            context=f"median per call: {sizes_ms}; why a queue that fills during a run "
            "must not be compared",
        ),
    ]


def _moto_growth(sqs: Any, entries: list[dict[str, str]], sizes: Sizes) -> dict[int, float]:
    """Median ms of one send_message_batch(10) as one queue fills, at each of `moto_queue_sizes`
    messages already queued."""
    url = sqs.create_queue(QueueName="bench-growth")["QueueUrl"]
    queued = 0
    out: dict[int, float] = {}
    for size in sizes.moto_queue_sizes:
        while queued < size:
            sqs.send_message_batch(QueueUrl=url, Entries=entries)
            queued += 10
        samples = []
        for _ in range(sizes.sdk_calls):
            t0 = time.perf_counter()
            sqs.send_message_batch(QueueUrl=url, Entries=entries)
            samples.append((time.perf_counter() - t0) * 1000)
        queued += 10 * sizes.sdk_calls
        out[size] = Spread.of(samples).median
    return out
