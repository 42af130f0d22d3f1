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


def _pytest_env() -> dict[str, str]:
    """The environment of a consumer's pytest run: no PYTEST_* settings of ours, and Python's
    default bytecode cache (a machine that sets PYTHONDONTWRITEBYTECODE, as some CI images
    do, would otherwise make each run compile every module again, on both sides)."""
    skip = ("PYTHONDONTWRITEBYTECODE",)
    return {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_") and k not in skip}


def _pytest_total(folder: Path, name: str) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one pytest process on `name`."""
    env = _pytest_env()
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


# Row 3c compares what a team that already tests against Novu would see. Such a team has the
# Novu SDK (novu-py, which needs httpx and so anyio) and its test modules import it; installing
# novu-mock adds its own plugin and respx's. Plugin autoloading is off on every side and each
# side names its plugins, so that the development plugins of this checkout (xdist, hypothesis,
# schemathesis, pytest-httpx) weigh on none of them.
_SIDES = {
    "with": ["-p", "anyio.pytest_plugin", "-p", "respx.plugin", "-p", "novu_mock._testing.plugin"],
    "without_plugin": ["-p", "anyio.pytest_plugin", "-p", "respx.plugin"],
    "not_installed": ["-p", "anyio.pytest_plugin"],
}
_SUITE_MODULES = 4
_SUITE_TESTS = 5  # per module


def _collect_ms(folder: Path, plugins: list[str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system, of the pytest process) of `pytest --collect-only`
    on the small suite in `folder`, in ms. CPU time is what a busy machine disturbs least."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    args = [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [*args, *plugins], cwd=folder, env=env, capture_output=True, text=True, check=False
    )
    wall = (time.perf_counter() - start) * 1000.0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) * 1000.0
    expected = f"{_SUITE_MODULES * _SUITE_TESTS} tests collected"
    if done.returncode != 0 or expected not in done.stdout:
        raise RuntimeError(f"pytest --collect-only failed:\n{done.stdout[-2000:]}")
    return wall, cpu


def _small_suite(folder: Path) -> None:
    """A team's small suite: a few test modules that import the Novu SDK, as theirs do."""
    (folder / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    for m in range(_SUITE_MODULES):
        lines = ["from novu_py import Novu\n"]
        lines += [
            f"def test_{i}():\n    assert Novu(secret_key='k')\n" for i in range(_SUITE_TESTS)
        ]
        (folder / f"test_notify_{m}.py").write_text("\n".join(lines), encoding="utf-8")


# Row 3d: the same question without the noise of whole pytest runs (their CPU time varies by
# +-100 ms here, more than the target): in a fresh process that has imported what the team's run
# has by then (pytest, anyio's plugin, novu_py), the CPU time to import the plugins pytest loads
# only because novu-mock is installed: respx's (a dependency; its entry point autoloads) and ours.
_PLUGIN_IMPORT = """
import time
import pytest, anyio.pytest_plugin, novu_py
a = time.process_time()
import respx.plugin
b = time.process_time()
import novu_mock._testing.plugin
c = time.process_time()
print((b - a) * 1000.0, (c - b) * 1000.0)
"""


def _plugin_import_ms() -> tuple[float, float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    done = subprocess.run(
        [sys.executable, "-c", _PLUGIN_IMPORT],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    respx_ms, ours_ms = (float(x) for x in done.stdout.split())
    return respx_ms, ours_ms


def plugin_import_rows(sizes: Sizes) -> list[Row]:
    """Row 3d: what importing the plugins that come with novu-mock costs a session."""
    _plugin_import_ms()  # the bytecode and the file system cache
    samples = [_plugin_import_ms() for _ in range(sizes.collect_runs + 5)]
    both = Spread.of([r + o for r, o in samples])
    respx_only = Spread.of([r for r, _ in samples])
    ours = Spread.of([o for _, o in samples])
    return [
        Row(
            "plugin_import_cpu_ms",
            "3d. CPU time to import the pytest plugins novu-mock brings (respx's and ours), after "
            "pytest, anyio and novu_py: fresh processes",
            "ms",
            both,
            target="≤ 30 ms",
            met=both.median <= 30.0,
            context=f"respx.plugin {respx_only.median:.1f} ms (imports respx, httpcore and "
            f"unittest.mock; autoloaded wherever respx is installed), novu_mock's plugin "
            f"{ours.median:.1f} ms",
        )
    ]


def collect_rows(sizes: Sizes) -> list[Row]:
    """What having novu-mock installed costs a test session that does not use it."""
    with tempfile.TemporaryDirectory(prefix="novu-mock-bench-") as tmp:
        folder = Path(tmp)
        _small_suite(folder)
        for plugins in _SIDES.values():
            _collect_ms(folder, plugins)  # warm the file system cache and the bytecode
        wall: dict[str, list[float]] = {name: [] for name in _SIDES}
        cpu: dict[str, list[float]] = {name: [] for name in _SIDES}
        names = list(_SIDES)
        for run in range(sizes.collect_runs):
            # Interleaved, the order rotated, so that drift in machine load favours none.
            for name in names[run % 3 :] + names[: run % 3]:
                w, c = _collect_ms(folder, _SIDES[name])
                wall[name].append(w)
                cpu[name].append(c)

    def diff(times: dict[str, list[float]], other: str) -> Spread:
        return Spread.of([w - n for w, n in zip(times["with"], times[other], strict=True)])

    installed = diff(wall, "not_installed")
    installed_cpu = diff(cpu, "not_installed")
    med = {name: Spread.of(values).median for name, values in wall.items()}
    suite = f"{_SUITE_MODULES * _SUITE_TESTS} tests in {_SUITE_MODULES} modules importing novu_py"
    return [
        Row(
            "collect_plugin_ms",
            f"3c. pytest --collect-only of {suite}: with novu-mock installed - without (wall)",
            "ms",
            installed,
            target="≤ 30 ms",
            met=installed.median <= 30.0,
            context=f"with {med['with']:.0f} ms (plugins anyio, respx, novu_mock); without "
            f"{med['not_installed']:.0f} ms (anyio, which novu-py's httpx brings); our plugin "
            f"alone: {diff(wall, 'without_plugin').median:+.1f} ms; rounds interleaved, "
            "autoload off (dev plugins of this checkout on no side)",
        ),
        Row(
            "collect_plugin_cpu_ms",
            "3c. same, CPU time (user + system) of the pytest process: with - without",
            "ms",
            installed_cpu,
            target="≤ 30 ms",
            met=installed_cpu.median <= 30.0,
            context=f"our plugin alone: {diff(cpu, 'without_plugin').median:+.1f} ms; "
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
        withs, withouts, diffs, cpu_diffs = [], [], [], []
        for side in ("without", "with"):  # untimed: writes the bytecode caches a suite reuses
            _pytest_total(folder, f"test_{side}_fixture.py")
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
            context="per pytest run pair, alternating; includes importing novu-mock and "
            "the first load of the fixtures once per process; both sides load the same pytest "
            "plugins (autoload), whose respx and pytest-httpx plugins import respx and httpx, "
            "as a suite using an httpx SDK does, so neither side pays them alone; Python's "
            "bytecode cache on (its default), written by one untimed run of each side",
        ),
        Row(
            "fixture_pytest_per_test_cpu_ms",
            "3. same, extra CPU time per test (user + system of the pytest process)",
            "ms",
            per_test_cpu,
            context="less sensitive than wall time to other work on a shared machine",
        ),
        *collect_rows(sizes),
        *plugin_import_rows(sizes),
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
