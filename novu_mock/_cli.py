"""`novu-mock serve | check | --version`."""

from __future__ import annotations

import argparse
import contextlib
import errno
import os
import signal
import socket
import sys
from collections.abc import Callable, Sequence
from types import FrameType

from ._fixtures import FixtureError, bundled, load
from ._model.clock import CLOCK_MODES, Clock
from ._proxy import cli as _proxy_cli
from ._transports.server import HEADER_TIMEOUT, MAX_CONNECTIONS
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


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(f"expected seconds from 0 to 3600; got {text!r}")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 < value <= 1_000_000:
        raise argparse.ArgumentTypeError(f"expected a whole number from 1 to 1000000; got {text!r}")
    return value


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
        "--allow-host",
        action="append",
        dest="allowed_hosts",
        metavar="NAME",
        help="accept requests whose Host is NAME too (repeat for more; * accepts any). "
        "Default: the listening address and the loopback names",
    )
    serve.add_argument(
        "--header-timeout",
        type=_positive_seconds,
        metavar="SECONDS",
        default=os.environ.get("NOVU_MOCK_HEADER_TIMEOUT", str(HEADER_TIMEOUT)),
        help=f"close a connection that has not sent a request head in time. Default: "
        f"{HEADER_TIMEOUT:g}",
    )
    serve.add_argument(
        "--max-connections",
        type=_positive_int,
        metavar="N",
        default=os.environ.get("NOVU_MOCK_MAX_CONNECTIONS", str(MAX_CONNECTIONS)),
        help="open connections at most (lowered to fit the open-files limit); a new one "
        f"closes the oldest idle one. Default: {MAX_CONNECTIONS}",
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
    serve.add_argument(
        "--clock",
        choices=CLOCK_MODES,
        default=_env_clock(),
        help="real (default): delayed and digested work runs when the wall clock reaches it; "
        "virtual: time stands still until POST /_mock/clock moves it",
    )
    check = commands.add_parser("check", help="validate fixture files")
    check.add_argument("paths", nargs="+", metavar="PATH")
    _proxy_cli.add_commands(commands)
    return parser


def _env_clock() -> str:
    mode = os.environ.get("NOVU_MOCK_CLOCK", "").strip() or "real"
    if mode not in CLOCK_MODES:
        raise SystemExit(
            f"novu-mock: NOVU_MOCK_CLOCK: expected one of {', '.join(CLOCK_MODES)}; got {mode!r}"
        )
    return mode


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
    from ._core.engine import Engine
    from ._transports.access_log import AccessLog
    from ._transports.asgi import create_app
    from ._transports.memory import ServerMemory
    from ._transports.output import LineWriter, unblock_logging
    from ._transports.server import build_server, raise_open_files_limit

    paths = args.fixtures or _env_list("NOVU_MOCK_FIXTURES", os.pathsep) or [str(bundled())]
    keys = (args.api_keys or []) + [k.strip() for k in _env_list("NOVU_MOCK_API_KEYS", ",")]
    try:
        engine = Engine(
            paths,
            keys or None,
            clock=Clock.of_mode(args.clock),
            journal_limit=args.journal_limit or None,
            max_environments=args.max_environments or None,
        )
    except FixtureError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 1
    memory = ServerMemory()
    engine.after_full_reset = memory.reclaim
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY on accepted connections only when the
    # listening socket says so; without it every response waits ~40 ms (Nagle, delayed ACK).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((args.host, args.port))
        # Listen before printing the URL: a client that reads it may connect at once.
        sock.listen(2048)
    except (OSError, OverflowError) as exc:
        # OverflowError: a port outside 0-65535 (`--port 70000`).
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        if isinstance(exc, OverflowError):
            why = "the port must be a number from 0 to 65535"
        print(f"novu-mock: cannot listen on {args.host}:{args.port}: {why}", file=sys.stderr)
        sock.close()
        if isinstance(exc, OSError) and exc.errno == errno.EADDRINUSE:
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
    print(f"  clock:    {args.clock} (GET/POST /_mock/clock)")
    if not args.quiet:
        print("  log:      one line per request (method, path, status, workflow, ms); --quiet")
    print("  state:    in memory only; a restart starts again from the fixtures")
    print("  stop with Ctrl-C", flush=True)

    def _terminate(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(0)

    # uvicorn stops on SIGINT/SIGTERM (ending held faults at once: StoppingServer), then
    # re-raises the signal to the previous handler: KeyboardInterrupt or SystemExit here, both
    # a clean stop with one "stopped" line.
    signal.signal(signal.SIGTERM, _terminate)
    memory.start()
    raise_open_files_limit()
    log = AccessLog(quiet=args.quiet)
    server = build_server(
        engine,
        create_app(engine, log),
        sock,
        allowed_hosts=(args.allowed_hosts or [])
        + [h.strip() for h in _env_list("NOVU_MOCK_ALLOWED_HOSTS", ",")],
        header_timeout=args.header_timeout,
        max_connections=args.max_connections,
    )
    # uvicorn's config has set up its log handlers by now (warnings on stderr).
    errors = LineWriter("stderr")
    unblock_logging(log.lines, errors)
    with contextlib.suppress(KeyboardInterrupt, SystemExit):
        server.run(sockets=[sock])
    errors.close()
    # Through the log's writer: a print would wait forever on a full pipe nobody reads.
    log.close("novu-mock stopped")
    return 0


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
