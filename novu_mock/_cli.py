"""`novu-mock serve | check | --version`."""

from __future__ import annotations

import argparse
import contextlib
import errno
import gc
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Sequence
from types import FrameType

from ._model.fixtures import FixtureError, bundled, load
from ._proxy import cli as _proxy_cli
from ._version import __version__

DEFAULT_JOURNAL_LIMIT = 100_000
DEFAULT_MAX_ENVIRONMENTS = 10_000


def _whole_number(what: str) -> Callable[[str], int]:
    """An argparse type: a whole number of `what`, 0 meaning "keep all"."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = -1
        if value < 0:
            raise argparse.ArgumentTypeError(
                f"expected a whole number of {what} (0 keeps all); got {text!r}"
            )
        return value

    return parse


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="novu-mock", description="An in-memory mock of the Novu API for tests."
    )
    parser.add_argument("--version", action="version", version=f"novu-mock {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the mock as a local HTTP server")
    serve.add_argument("--host", default=os.environ.get("NOVU_MOCK_HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=int(os.environ.get("NOVU_MOCK_PORT", "3000")))
    serve.add_argument(
        "--fixtures",
        action="append",
        metavar="PATH",
        help="fixture file (YAML or JSON); repeat for more. Default: the bundled default.yaml",
    )
    serve.add_argument(
        "--api-key",
        action="append",
        dest="api_keys",
        metavar="KEY",
        help="accept only these keys (repeat for more). Default: any key, one environment each",
    )
    serve.add_argument(
        "--journal-limit",
        type=_whole_number("records"),
        metavar="N",
        default=os.environ.get("NOVU_MOCK_JOURNAL_LIMIT", str(DEFAULT_JOURNAL_LIMIT)),
        help="keep the newest N trigger records and N request records; 0 keeps all. "
        f"Default: {DEFAULT_JOURNAL_LIMIT:,}",
    )
    serve.add_argument(
        "--max-environments",
        type=_whole_number("environments"),
        metavar="N",
        default=os.environ.get("NOVU_MOCK_MAX_ENVIRONMENTS", str(DEFAULT_MAX_ENVIRONMENTS)),
        help="keep at most N environments (one per API key): the least recently used one goes; "
        f"0 keeps all. Default: {DEFAULT_MAX_ENVIRONMENTS:,}",
    )
    serve.add_argument(
        "--quiet",
        action="store_true",
        default=os.environ.get("NOVU_MOCK_QUIET", "") not in ("", "0", "false"),
        help="no log line per request (method, path, status, workflow, ms) on stdout",
    )
    check = commands.add_parser("check", help="validate fixture files")
    check.add_argument("paths", nargs="+", metavar="PATH")
    _proxy_cli.add_commands(commands)
    return parser


def _env_list(name: str, sep: str) -> list[str]:
    return [item for item in os.environ.get(name, "").split(sep) if item.strip()]


def _check(paths: Sequence[str]) -> int:
    try:
        fixtures = load(paths)
    except FixtureError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 1
    for fixture in fixtures:
        counts = ", ".join(
            f"{len(fixture.document.get(kind) or [])} {kind}"
            for kind in ("workflows", "subscribers", "tenants", "topics", "outcomes")
        )
        print(f"{fixture.source}: ok ({counts})")
    return 0


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from ._core.engine import Engine
    from ._transports.access_log import AccessLog
    from ._transports.asgi import create_app

    paths = args.fixtures or _env_list("NOVU_MOCK_FIXTURES", os.pathsep) or [str(bundled())]
    keys = (args.api_keys or []) + [k.strip() for k in _env_list("NOVU_MOCK_API_KEYS", ",")]
    try:
        engine = Engine(
            paths,
            keys or None,
            journal_limit=args.journal_limit or None,
            max_environments=args.max_environments or None,
        )
    except FixtureError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 1
    engine.after_full_reset = _reclaim_memory
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY on accepted connections only when the
    # listening socket says so; without it every response waits ~40 ms (Nagle, delayed ACK).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((args.host, args.port))
        # Listen before printing the URL: a client that reads it may connect at once.
        sock.listen(2048)
    except OSError as exc:
        print(
            f"novu-mock: cannot listen on {args.host}:{args.port}: {exc.strerror}", file=sys.stderr
        )
        if exc.errno == errno.EADDRINUSE:
            print(
                f"  another process uses port {args.port}; pick another with --port N, or "
                "--port 0 for a free one (the URL is printed at start)",
                file=sys.stderr,
            )
        return 1
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if family == socket.AF_INET6 else host
    base = f"http://{shown}:{port}"
    print(f"novu-mock {__version__} serving the Novu API at {base}", flush=True)
    print(f"  admin:    {base}/_mock/  (the dashboard; also /_mock/triggers, /_mock/state …)")
    print(f"  fixtures: {', '.join(paths)}")
    if engine.api_keys:
        print(f"  api keys: {len(engine.api_keys)} configured; others get 401")
    else:
        print("  api keys: any key is accepted; each key gets its own environment")
    if engine.journal_limit:
        limit = f"{engine.journal_limit:,}"
        print(f"  journal:  the newest {limit} trigger and request records of each key are kept")
    if not args.quiet:
        print("  log:      one line per request (method, path, status, workflow, ms); --quiet")
    print("  state:    in memory only; a restart starts again from the fixtures")
    print("  stop with Ctrl-C", flush=True)

    def _terminate(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(0)

    # uvicorn stops on SIGINT/SIGTERM, then re-raises the signal to the previous handler.
    signal.signal(signal.SIGTERM, _terminate)
    threading.Thread(target=_freeze_survivors, name="novu-mock-gc", daemon=True).start()
    config = uvicorn.Config(
        create_app(engine, AccessLog(quiet=args.quiet)),
        log_level="warning",
        server_header=False,
        lifespan="off",
    )
    with contextlib.suppress(KeyboardInterrupt):
        uvicorn.Server(config).run(sockets=[sock])
    print("novu-mock stopped", flush=True)
    return 0


def _freeze_survivors(interval: float = 0.5, sweep_every: int = 120) -> None:
    """Keep the cyclic garbage collector off the journals.

    The journals keep hundreds of thousands of objects alive, and every full collection walked
    them all: freezing the survivors raised bulk throughput by about 40% (bench/server.py).
    Journal records form no cycles, so reference counting still frees what the cap drops; a
    full sweep every `sweep_every` rounds reclaims any other cycle that was frozen while alive
    (a closed connection, say). Only the server does this: its process is ours.
    """
    rounds = 0
    while True:
        time.sleep(interval)
        rounds += 1
        if rounds % sweep_every == 0:
            gc.unfreeze()
            gc.collect()
        gc.freeze()


def _reclaim_memory() -> None:
    """After a reset without a key: free the dropped environments now and hand the memory back.

    `_freeze_survivors` freezes whatever survived, including cyclic garbage of past requests
    (uvicorn's and Starlette's per-connection objects), which only its full sweep frees; a reset
    should not wait up to a minute for it. Then glibc's `malloc_trim(0)` returns the freed heap
    pages to the system: without it the process keeps its peak (5,000 throwaway keys, a reset:
    see docs/server.md "Bounded memory"). Other C libraries have no malloc_trim; skipped there.
    """
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    _malloc_trim()


def _malloc_trim() -> None:
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):  # musl and other libcs: nothing to call
        return
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    trim(0)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `novu-mock` console script."""
    args = _parser().parse_args(argv)
    if args.command == "check":
        return _check(args.paths)
    if args.command in ("proxy", "extract"):
        return _proxy_cli.run(args)
    return _serve(args)


if __name__ == "__main__":
    sys.exit(main())
