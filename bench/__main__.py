"""`python -m bench [--smoke] [--only SECTIONS] [--json PATH] [--markdown PATH]`."""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from novu_mock import __version__

from ._config import FULL, SMOKE, Sizes
from ._report import Row, table

SECTIONS = (
    "engine",
    "inprocess",
    "fixture",
    "server",
    "peer",
    "memory",
    "scaling",
    "delivery",
    "bounded",
    "proxy",
    "time",
)
RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"


def _runner(name: str, loadgen: str) -> Callable[[Sizes], list[Row]]:
    # Imported lazily so that --only does not pay for (or need) the others' dependencies.
    if name == "engine":
        from .engine import engine_rows

        return engine_rows
    if name == "inprocess":
        from .inprocess import overhead_rows

        return overhead_rows
    if name == "fixture":
        from .inprocess import fixture_rows

        return fixture_rows
    if name == "server":
        from .server import server_rows

        return lambda sizes: server_rows(sizes, loadgen)
    if name == "peer":
        from .inprocess import peer_rows

        return peer_rows
    if name == "memory":
        from .memory import memory_rows

        return memory_rows
    if name == "bounded":
        from .bounded import bounded_rows

        return bounded_rows
    if name == "delivery":
        from .delivery import delivery_rows

        return delivery_rows
    if name == "time":
        from .scheduling import time_rows

        return time_rows
    if name == "proxy":
        from .proxy import proxy_rows

        return proxy_rows
    from .engine import scaling_rows

    return scaling_rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--smoke", action="store_true", help="tiny sizes: checks it runs, in seconds"
    )
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated: {SECTIONS}")
    parser.add_argument("--json", type=Path, default=RESULTS, help=f"default: {RESULTS.name}")
    parser.add_argument("--markdown", type=Path, help="also write the table to this file")
    parser.add_argument("--loadgen", choices=("auto", "wrk", "python"), default="auto")
    args = parser.parse_args(argv)
    sizes = SMOKE if args.smoke else FULL
    chosen = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = sorted(set(chosen) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown sections {unknown}; choose from {SECTIONS}")
    rows: list[Row] = []
    timings: dict[str, float] = {}
    for name in SECTIONS:
        if name not in chosen:
            continue
        start = time.perf_counter()
        print(f"# {name} ...", file=sys.stderr, flush=True)
        rows += _runner(name, args.loadgen)(sizes)
        timings[name] = round(time.perf_counter() - start, 1)
    text = table(rows)
    print(text)
    missed = [r.measure for r in rows if r.met is False]
    print(f"\n{sum(r.met is True for r in rows)} targets met, {len(missed)} missed", flush=True)
    context = {
        "novu_mock": __version__,
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, load average "
        + ", ".join(f"{x:.1f}" for x in os.getloadavg()),
        "smoke": sizes.smoke,
        "seconds_per_section": timings,
        "command": "python -m bench" + (" --smoke" if sizes.smoke else ""),
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps({"context": context, "rows": [r.to_json() for r in rows]}, indent=2) + "\n",
        encoding="utf-8",
    )
    if args.markdown:
        args.markdown.write_text(
            f"# Benchmark results\n\n`{context['command']}` on {context['machine']}, "
            f"Python {context['python']}, novu-mock {__version__}.\n\n{text}\n",
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
