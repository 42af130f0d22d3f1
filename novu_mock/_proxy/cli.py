"""`novu-mock proxy` and `novu-mock extract` (DESIGN section 11)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
from types import FrameType
from typing import Any

from .._fixtures import FixtureError
from .._version import __version__
from . import DEFAULT_TIMEOUT


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(f"expected a number of seconds (0 to 3600); got {text!r}")
    return value


def _upstream(text: str) -> str:
    if not text.startswith(("http://", "https://")) or text[-3:] == "://":
        raise argparse.ArgumentTypeError(
            f"expected the upstream's base URL, like https://api.novu.co; got {text!r}"
        )
    return text.rstrip("/")


def add_commands(commands: Any) -> None:
    """The `proxy` and `extract` subcommands, on the parser's subparsers."""
    proxy = commands.add_parser(
        "proxy",
        help="forward to a real Novu, shadow each call on the mock, report drift",
    )
    proxy.add_argument(
        "--upstream",
        required=True,
        type=_upstream,
        metavar="URL",
        help="the Novu to forward to, e.g. https://api.novu.co or https://eu.api.novu.co",
    )
    proxy.add_argument("--host", default=os.environ.get("NOVU_MOCK_HOST", "127.0.0.1"))
    proxy.add_argument("--port", type=int, default=int(os.environ.get("NOVU_MOCK_PORT", "3000")))
    proxy.add_argument(
        "--fixtures",
        action="append",
        metavar="PATH",
        help="fixture file that seeds the shadow environments (repeat for more). Default: none",
    )
    proxy.add_argument(
        "--record",
        metavar="FILE.jsonl",
        help="append one JSON line per exchange (keys masked) to this file",
    )
    proxy.add_argument(
        "--upstream-timeout",
        type=_seconds,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help="answer 502 when the upstream has not answered within this time. "
        f"Default: {DEFAULT_TIMEOUT:g}",
    )
    extract = commands.add_parser(
        "extract", help="print the fixture document (YAML) that a proxy recording shows"
    )
    extract.add_argument("recording", metavar="FILE.jsonl")


def run(args: argparse.Namespace) -> int:
    if args.command == "extract":
        return _extract(args.recording)
    return _proxy(args)


def _extract(path: str) -> int:
    from .extract import ExtractError, extract_yaml

    try:
        text = extract_yaml(path)
    except OSError as exc:
        print(f"novu-mock extract: cannot read {path}: {exc.strerror}", file=sys.stderr)
        return 1
    except ExtractError as exc:
        print(f"novu-mock extract: {exc}", file=sys.stderr)
        return 1
    sys.stdout.write(text)
    return 0


def _proxy(args: argparse.Namespace) -> int:
    from .._transports.output import LineWriter, unblock_logging
    from .._transports.server import base_url, listening_socket
    from .app import build
    from .server import run, uvicorn_server

    env_fixtures = [p for p in os.environ.get("NOVU_MOCK_FIXTURES", "").split(os.pathsep) if p]
    paths = args.fixtures or env_fixtures
    try:
        proxy = build(args.upstream, paths, record=args.record, timeout=args.upstream_timeout)
    except FixtureError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"novu-mock proxy: cannot record to {args.record}: {exc.strerror}", file=sys.stderr)
        return 1
    try:
        sock = listening_socket(args.host, args.port)
        sock.listen(2048)
    except OSError as exc:
        print(
            f"novu-mock: cannot listen on {args.host}:{args.port}: {exc.strerror}", file=sys.stderr
        )
        return 1
    base = base_url(sock)
    print(f"novu-mock {__version__} proxying the Novu API at {base} to {args.upstream}", flush=True)
    print(f"  drift:    {base}/_mock/drift  (the dashboard at {base}/_mock/ lists it too)")
    print(f"  shadow:   {', '.join(paths) if paths else 'no fixtures'}")
    if args.record:
        print(f"  record:   {args.record}")
    print(f"  timeout:  502 when the upstream has not answered in {args.upstream_timeout:g} s")
    print("  stop with Ctrl-C", flush=True)

    def _terminate(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(0)

    # uvicorn stops on SIGINT/SIGTERM, then re-raises the signal to the previous handler.
    signal.signal(signal.SIGTERM, _terminate)
    server = uvicorn_server(proxy)
    # uvicorn's config has set up its log handlers by now (warnings on stderr): from here on,
    # what the proxy writes goes through writers that a pipe nobody reads cannot block.
    out, errors = LineWriter("stdout"), LineWriter("stderr")
    unblock_logging(out, errors)
    with contextlib.suppress(KeyboardInterrupt, SystemExit):
        asyncio.run(run(server, proxy, sock))
    errors.close()
    out.close(f"{proxy.drift.summary()}\nnovu-mock proxy stopped")
    return 0
