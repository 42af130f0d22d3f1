"""Stress scripts for `novu-mock serve` (issue 12): each starts its own server process on a
free loopback port, is bounded in time, and returns its figures.

    python tests/stress/stress.py            # short mode (what the test suite runs)
    python tests/stress/stress.py --long     # 64 clients for 30 s, 1,100 slow connections...
    python tests/stress/stress.py load --clients 64 --seconds 30

Scenarios: `load` (concurrent triggers and bulks; exact journal counts), `hostile` (hostile
writes, then every read path; no 5xx), `slow` (slow connections; /_mock/health latency),
`signals` (SIGTERM and SIGINT with a held fault: exit code, time, output).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx

URL = re.compile(r"serving the Novu API at (http://\S+)")
TRIGGER = "/v1/events/trigger"


@contextlib.contextmanager
def server(
    *args: str, nofile: int | None = None, log: list[str] | None = None, drain: bool = True
) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """`novu-mock serve` on a free port; `nofile` lowers its open-files limit (soft and hard);
    `log` receives what the server wrote to stderr. Unless `drain` is off (the caller reads
    them), its stdout and stderr are read all along, and printed when the body fails."""

    def limit() -> None:  # pragma: no cover - runs in the child
        if nofile is not None:
            import resource

            resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

    process = subprocess.Popen(
        [sys.executable, "-m", "novu_mock", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=limit if nofile is not None else None,
    )
    out: list[str] = []
    err: list[str] = []
    readers = [
        threading.Thread(target=into.extend, args=(stream,), daemon=True)
        for stream, into in ((process.stdout, out), (process.stderr, err))
    ]
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        found = URL.search(first)
        if not found:
            raise RuntimeError(first + (process.stderr.read() if process.stderr else ""))
        if drain:
            for reader in readers:
                reader.start()
        yield process, found.group(1)
    except BaseException:
        if process.poll() is None:
            process.kill()
        for reader in readers:
            if reader.ident is not None:
                reader.join(10)
        print("server stdout (last 40 lines):", *out[-40:], sep="\n", file=sys.stderr)
        print("server stderr:", "".join(err)[-10_000:], sep="\n", file=sys.stderr)
        raise
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(10)
        for reader in readers:
            if reader.ident is not None:
                reader.join(10)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()
        if log is not None:
            log.append("".join(err))


# -- load ------------------------------------------------------------------------------------


LOAD_TIMEOUT = 120.0


def load(clients: int = 8, seconds: float = 3.0) -> dict[str, Any]:
    """`clients` threads trigger (single and bulk of 10) for `seconds`; then the journal must
    hold exactly one record per event answered 201: 0 lost, 0 duplicated, 0 5xx."""
    key = f"stress-load-{uuid.uuid4().hex[:8]}"
    headers = {"Authorization": f"ApiKey {key}"}
    answered: list[set[str]] = [set() for _ in range(clients)]
    server_errors = [0] * clients
    failures = [0] * clients
    errors: list[str] = []  # the kind of each transport error, so a failure names it
    slowest = [0.0] * clients  # seconds of each client's slowest answer
    with server("--journal-limit", "0") as (_, url):
        deadline = time.monotonic() + seconds

        def work(n: int) -> None:
            # A generous read timeout: on a loaded 2-core CI box (load 15 and more) one answer
            # took over 30 s once, with nothing lost; an answer the server never sends still
            # fails this test (as a transport error), just later.
            with httpx.Client(base_url=url, headers=headers, timeout=LOAD_TIMEOUT) as client:
                i = 0
                while time.monotonic() < deadline:
                    i += 1
                    sent_at = time.monotonic()
                    try:
                        if i % 10 == 0:
                            ids = [f"c{n}-{i}-{j}" for j in range(10)]
                            events = [
                                {"name": "welcome", "to": f"user-{n}", "transactionId": t}
                                for t in ids
                            ]
                            response = client.post(TRIGGER + "/bulk", json={"events": events})
                        else:
                            ids = [f"c{n}-{i}"]
                            body = {"name": "welcome", "to": f"user-{n}", "transactionId": ids[0]}
                            response = client.post(TRIGGER, json=body)
                    except httpx.HTTPError as exc:
                        failures[n] += 1
                        errors.append(
                            f"{type(exc).__name__} after {time.monotonic() - sent_at:.1f} s"
                        )
                        continue
                    slowest[n] = max(slowest[n], time.monotonic() - sent_at)
                    if response.status_code >= 500:
                        server_errors[n] += 1
                    elif response.status_code == 201:
                        answered[n].update(ids)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(clients)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        records = httpx.get(url + "/_mock/triggers", headers=headers, timeout=120).json()["data"]
    sent = set().union(*answered)
    journaled = [r["transactionId"] for r in records]
    return {
        "clients": clients,
        "seconds": round(elapsed, 1),
        "events_answered_201": len(sent),
        "events_per_second": round(len(sent) / elapsed),
        "journaled": len(journaled),
        "lost": len(sent - set(journaled)),
        "duplicated": len(journaled) - len(set(journaled)),
        "unexpected": len(set(journaled) - sent),
        "5xx": sum(server_errors),
        "transport_errors": sum(failures),
        "transport_error_kinds": errors,
        "slowest_answer_s": round(max(slowest), 2),
    }


# -- hostile input ---------------------------------------------------------------------------


def _nested(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = {"a": value}
    return value


def _random_json(rng: random.Random, depth: int = 0) -> Any:
    kinds = ["str", "int", "float", "bool", "null", "huge", "unicode"]
    if depth < 6:
        kinds += ["list", "dict"] * 2
    kind = rng.choice(kinds)
    if kind == "str":
        return rng.choice(["", " ", "x", "a" * rng.randint(1, 300), "\x00\x1f", "<script>"])
    if kind == "unicode":
        return "".join(
            chr(rng.choice([0xFEFF, 0x2028, 0x85, 0x1F, 0x3000, 0x1F600, 0x41])) for _ in range(5)
        )
    if kind == "int":
        return rng.choice([0, -1, 1, 2**31, 2**53 + 1, 10**30, -(10**30)])
    if kind == "float":
        return rng.choice([0.5, -0.0, 1e308, -1e308, 1e-308, 3.14])
    if kind == "huge":
        return rng.choice([1e308, 10**100, "9" * 400])
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "null":
        return None
    if kind == "list":
        return [_random_json(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {
        rng.choice(["a", "subscriberId", "data", "$where", "__proto__", "", "x.y"]): _random_json(
            rng, depth + 1
        )
        for _ in range(rng.randint(0, 4))
    }


def _hostile_writes(
    rng: random.Random, rounds: int
) -> Iterator[tuple[str, str, Any, dict[str, str]]]:
    """(method, path, body, extra headers) of hostile writes."""
    fixed: list[tuple[str, str, Any, dict[str, str]]] = [
        ("POST", "/v2/subscribers", {"subscriberId": "deep", "data": _nested(500)}, {}),
        ("POST", "/v2/subscribers", {"subscriberId": "edge", "data": _nested(97)}, {}),
        (
            "POST",
            TRIGGER,
            {"name": "welcome", "to": {"subscriberId": "d", "data": _nested(500)}},
            {},
        ),
        ("POST", TRIGGER, {"name": "welcome", "to": "u", "payload": _nested(510)}, {}),
        ("POST", "/_mock/fixtures", {"rateLimits": {"trigger": 1e308}}, {}),
        (
            "POST",
            "/_mock/fixtures",
            {"subscribers": [{"subscriberId": "f", "data": _nested(500)}]},
            {},
        ),
        ("POST", "/_mock/faults", {"latency": 1e308}, {}),
        ("POST", "/_mock/faults", {"status": 503, "times": 10**30}, {}),
        ("POST", "/v2/subscribers", {"subscriberId": "cred"}, {}),
        (
            "PATCH",
            "/v1/subscribers/cred/credentials",
            {"providerId": "slack", "credentials": {"webhookUrl": [[None]]}},
            {},
        ),
        (
            "PUT",
            "/v1/subscribers/cred/credentials",
            {"providerId": "fcm", "credentials": {"deviceTokens": [1, {}]}},
            {},
        ),
        ("POST", TRIGGER, {"name": "welcome", "to": "\ufeffuser-1"}, {}),
        ("POST", TRIGGER, {"name": "welcome", "to": "\x1fuser-1"}, {}),
        (
            "POST",
            TRIGGER,
            {
                "name": "welcome",
                "to": {
                    "subscriberId": "loose",
                    "firstName": {"a": 1},
                    "channels": [{"providerId": "slack", "credentials": {"title": 5}}],
                },
            },
            {},
        ),
        ("POST", "/v1/tenants", {"identifier": "t", "name": "t", "data": _nested(200)}, {}),
        (
            "POST",
            TRIGGER,
            {"name": "welcome", "to": "u"},
            {"Authorization": "ApiKeysk_live_hostile_0000"},
        ),
        (
            "POST",
            TRIGGER,
            {"name": "welcome", "to": "u"},
            {"Authorization": "sk_live_hostile_bare_1111"},
        ),
        ("GET", "/_mock/unknown-path", None, {}),
    ]
    yield from fixed
    templates: list[tuple[str, str, Callable[[Any], Any]]] = [
        ("POST", TRIGGER, lambda v: {"name": "welcome", "to": v, "payload": {"x": v}}),
        ("POST", TRIGGER, lambda v: {"name": "welcome", "to": "u", "actor": v, "tenant": v}),
        (
            "POST",
            TRIGGER + "/bulk",
            lambda v: {"events": [{"name": "welcome", "to": v, "payload": v}]},
        ),
        ("POST", TRIGGER + "/broadcast", lambda v: {"name": "welcome", "payload": {"v": v}}),
        ("POST", "/v2/subscribers", lambda v: {"subscriberId": "r", "firstName": v, "data": v}),
        ("POST", "/v1/subscribers", lambda v: {"subscriberId": "r1", "channels": v, "data": v}),
        ("PATCH", "/v2/subscribers/r", lambda v: {"lastName": v, "phone": v, "data": v}),
        ("PATCH", "/v2/subscribers/r/preferences", lambda v: {"channels": v, "workflowId": v}),
        (
            "PUT",
            "/v1/subscribers/r/credentials",
            lambda v: {"providerId": "slack", "credentials": v},
        ),
        ("POST", "/v2/topics", lambda v: {"key": "topic-r", "name": v}),
        ("POST", "/v2/topics/topic-r/subscriptions", lambda v: {"subscriberIds": v}),
        ("POST", "/v1/tenants", lambda v: {"identifier": "tr", "name": v, "data": v}),
        ("PATCH", "/v1/tenants/tr", lambda v: {"name": v, "data": v}),
        (
            "POST",
            "/_mock/fixtures",
            lambda v: {"subscribers": [{"subscriberId": "fx", "data": v}], "settings": v},
        ),
        (
            "POST",
            "/_mock/faults",
            lambda v: {"status": 503, "retryAfter": v, "when": {"apiKey": "nobody-key-1234"}},
        ),
    ]
    for _ in range(rounds):
        method, path, make = rng.choice(templates)
        yield method, path, make(_random_json(rng)), {}


def _read_paths(client: httpx.Client) -> list[str]:
    paths = [
        "/_mock/state",
        "/_mock/triggers",
        "/_mock/requests",
        "/_mock/faults",
        "/_mock/dashboard/version",
        "/_mock/dashboard/triggers",
        "/_mock/dashboard/subscribers",
        "/v2/subscribers",
        "/v1/subscribers",
        "/v2/topics",
        "/v1/tenants",
        "/v2/workflows",
    ]
    rows = client.get("/_mock/dashboard/triggers", params={"limit": 3})
    if rows.status_code == 200:
        paths += [f"/_mock/dashboard/triggers/{r['seq']}" for r in rows.json()["data"]]
    for sub in ("r", "r1", "edge", "cred", "loose", "user-1"):
        paths += [
            f"/v2/subscribers/{sub}",
            f"/v1/subscribers/{sub}",
            f"/v2/subscribers/{sub}/preferences",
        ]
    return paths


def hostile(rounds: int = 150, seed: int = 12) -> dict[str, Any]:
    """Hostile writes; after each accepted one, every read path (with the key and without)."""
    rng = random.Random(seed)
    key = f"stress-hostile-{uuid.uuid4().hex[:8]}"
    tried = accepted = reads = 0
    read_5xx: list[str] = []
    write_5xx: list[str] = []
    with server() as (_, url):
        auth = {"Authorization": f"ApiKey {key}"}
        with (
            httpx.Client(base_url=url, headers=auth, timeout=30) as client,
            httpx.Client(base_url=url, timeout=30) as keyless,
        ):
            for method, path, body, extra in _hostile_writes(rng, rounds):
                tried += 1
                content = None if body is None else json.dumps(body).encode()
                headers = {"Content-Type": "application/json", **extra}
                response = client.request(method, path, content=content, headers=headers)
                if response.status_code >= 500:
                    write_5xx.append(f"{method} {path} -> {response.status_code}")
                if response.status_code >= 300:
                    continue
                accepted += 1
                for read in _read_paths(client):
                    for reader in (client, keyless):
                        reads += 1
                        answer = reader.get(read)
                        if answer.status_code >= 500:
                            read_5xx.append(f"GET {read} after {method} {path}")
    return {
        "writes_tried": tried,
        "writes_accepted": accepted,
        "write_5xx": len(write_5xx),
        "reads": reads,
        "read_5xx": len(read_5xx),
        "examples": (write_5xx + read_5xx)[:5],
    }


# -- slow connections ------------------------------------------------------------------------


def slow(
    connections: int = 1100, seconds: float = 5.0, nofile: int | None = None
) -> dict[str, Any]:
    """`connections` clients each send one byte a second and never finish a request head
    (reconnecting when closed); meanwhile /_mock/health is asked every 0.25 s."""
    stop = threading.Event()
    latencies: list[float] = []
    failures = 0
    reconnects = 0
    log: list[str] = []
    with server(nofile=nofile, log=log) as (_, url):
        parts = httpx.URL(url)
        address = (parts.host, parts.port or 80)
        socks: list[socket.socket | None] = [None] * connections

        def opened() -> socket.socket | None:
            try:
                sock = socket.create_connection(address, timeout=2)
                sock.setblocking(False)
                return sock
            except OSError:
                return None

        for i in range(connections):
            socks[i] = opened()

        def trickle() -> None:
            nonlocal reconnects
            while not stop.is_set():
                for i, sock in enumerate(socks):
                    try:
                        if sock is None:
                            raise OSError
                        sock.send(b"G")
                    except OSError:
                        if sock is not None:
                            sock.close()
                        socks[i] = opened()
                        reconnects += 1
                stop.wait(1.0)

        thread = threading.Thread(target=trickle)
        thread.start()
        time.sleep(1.0)
        deadline = time.monotonic() + seconds
        open_counts: list[int] = []
        with httpx.Client(timeout=5) as client:
            while time.monotonic() < deadline:
                started = time.monotonic()
                try:
                    response = client.get(url + "/_mock/health", headers={"Connection": "close"})
                    if response.status_code != 200:
                        failures += 1
                    latencies.append(time.monotonic() - started)
                except httpx.HTTPError:
                    failures += 1
                open_counts.append(sum(1 for s in socks if s is not None))
                time.sleep(0.25)
        stop.set()
        thread.join()
        for sock in socks:
            if sock is not None:
                sock.close()
    return {
        "slow_connections": connections,
        "server_open_files_limit": nofile or "inherited",
        "seconds": seconds,
        "health_calls": len(latencies) + failures,
        "health_failures": failures,
        "health_max_ms": round(max(latencies) * 1000, 1) if latencies else None,
        "health_median_ms": round(sorted(latencies)[len(latencies) // 2] * 1000, 1)
        if latencies
        else None,
        "client_sockets_open_min": min(open_counts) if open_counts else 0,
        "reconnects": reconnects,
        "server_emfile_errors": "".join(log).count("Too many open files"),
    }


# -- signals ---------------------------------------------------------------------------------


def signals(rounds: int = 1) -> dict[str, Any]:
    """SIGTERM and SIGINT while a fault holds a call (latency 120 s, connection timeout)."""
    results = []
    faults: list[dict[str, Any]] = [{"latency": 120}, {"connection": "timeout"}]
    for _ in range(rounds):
        for sig in (signal.SIGTERM, signal.SIGINT):
            for fault in faults:
                with server(drain=False) as (process, url):
                    httpx.post(url + "/_mock/faults", json={**fault, "when": {"path": TRIGGER}})
                    outcome: list[str] = []

                    def held(url: str = url, outcome: list[str] = outcome) -> None:
                        try:
                            httpx.post(
                                url + TRIGGER,
                                json={"name": "welcome", "to": "u"},
                                headers={"Authorization": "ApiKey stress-signal-key"},
                                timeout=30,
                            )
                            outcome.append("answered")
                        except httpx.HTTPError as exc:
                            outcome.append(type(exc).__name__)

                    thread = threading.Thread(target=held)
                    thread.start()
                    time.sleep(0.5)
                    started = time.monotonic()
                    process.send_signal(sig)
                    out, err = process.communicate(timeout=20)
                    elapsed = time.monotonic() - started
                    thread.join(10)
                    results.append(
                        {
                            "signal": signal.Signals(sig).name,
                            "fault": next(iter(fault)),
                            "exit": process.returncode,
                            "seconds": round(elapsed, 2),
                            "stopped_lines": out.count("novu-mock stopped"),
                            "traceback": "Traceback" in err,
                            "held_client": outcome[0] if outcome else "still waiting",
                        }
                    )
    return {
        "runs": len(results),
        "all_exit_0": all(r["exit"] == 0 for r in results),
        "max_seconds": max(r["seconds"] for r in results),
        "all_one_stopped_line": all(r["stopped_lines"] == 1 for r in results),
        "tracebacks": sum(r["traceback"] for r in results),
        "held_clients": sorted({r["held_client"] for r in results}),
    }


SHORT: dict[str, Callable[[], dict[str, Any]]] = {
    "load": lambda: load(clients=8, seconds=3),
    "hostile": lambda: hostile(rounds=60),
    "slow": lambda: slow(connections=300, seconds=2, nofile=256),
    "signals": lambda: signals(rounds=1),
}
LONG: dict[str, Callable[[], dict[str, Any]]] = {
    "load": lambda: load(clients=64, seconds=30),
    "hostile": lambda: hostile(rounds=400),
    "slow": lambda: slow(connections=1100, seconds=15),
    "slow_nofile_1024": lambda: slow(connections=1100, seconds=15, nofile=1024),
    "signals": lambda: signals(rounds=3),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default="all")
    parser.add_argument("--long", action="store_true", help="the long mode (minutes)")
    parser.add_argument("--clients", type=int)
    parser.add_argument("--seconds", type=float)
    args = parser.parse_args(argv)
    plan = LONG if args.long else SHORT
    if args.scenario == "load" and (args.clients or args.seconds):
        plan = {"load": lambda: load(args.clients or 64, args.seconds or 30)}
    elif args.scenario != "all":
        plan = {k: v for k, v in plan.items() if k.startswith(args.scenario)}
    for name, run in plan.items():
        started = time.monotonic()
        figures = run()
        figures["wall_seconds"] = round(time.monotonic() - started, 1)
        print(json.dumps({name: figures}), flush=True)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
