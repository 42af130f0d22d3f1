"""Malformed-request catalogue: every kind must get a Novu-shaped 4xx, never a 5xx.

Run: `python -m bench.malformed` (starts a live novu-mock on a free loopback port). Prints
`kinds tried: N, 5xx: 0, server alive: yes, triggers lost: 0` and exits 1 on any failure.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field

import httpx

from novu_mock import NovuMock, bundled

KEY = "malformed-catalogue-key"
TRIGGER = "/v1/events/trigger"
BULK = "/v1/events/trigger/bulk"
BROADCAST = "/v1/events/trigger/broadcast"
JSON_TYPE = "application/json"


@dataclass(frozen=True)
class Kind:
    """One kind of bad request: raw method, path, body bytes and extra headers."""

    name: str
    body: bytes | None = None
    method: str = "POST"
    path: str = TRIGGER
    headers: dict[str, str | bytes] = field(default_factory=dict)
    content_type: str | None = JSON_TYPE
    expect: int | None = None  # an exact status the contract gives instead of a 4xx


def _j(value: object) -> bytes:
    return json.dumps(value).encode()


def _trigger(**fields: object) -> bytes:
    return _j({"name": "welcome", "to": "user-1", **fields})


def _nested(depth: int) -> bytes:
    return (
        b'{"name":"welcome","to":"user-1","payload":'
        + b'{"a":' * depth
        + b"1"
        + b"}" * depth
        + b"}"
    )


CATALOGUE: tuple[Kind, ...] = (
    Kind("invalid JSON", b"{name: welcome}"),
    Kind("truncated body", b'{"name":"welcome","to":"us'),
    Kind("trailing garbage", b'{"name":"welcome","to":"user-1"} xyz'),
    Kind("wrong content type (text/plain)", _trigger(payload=5), content_type="text/plain"),
    Kind(
        "form-encoded body",
        b"name=welcome&to=user-1",
        content_type="application/x-www-form-urlencoded",
    ),
    Kind("no content type", _trigger(payload=5), content_type=None),
    Kind("non-object JSON: array", b"[1, 2, 3]"),
    Kind("non-object JSON: string", b'"welcome"'),
    Kind("non-object JSON: number", b"42"),
    Kind("non-object JSON: null", b"null"),
    Kind("non-object JSON: true", b"true"),
    Kind("empty body", b""),
    Kind("white space only", b" \r\n\t "),
    Kind("huge string payload (600 KB)", _trigger(payload={"blob": "x" * 600_000})),
    Kind("huge workflow name (200 KB)", _trigger(name="w" * 200_000)),
    Kind("deep nesting (100,000 levels)", _nested(100_000)),
    Kind("deep nesting (500 levels, valid JSON)", expect=201, body=_nested(500)),
    Kind("deep nesting (900 levels: over the mock's 512)", _nested(900)),
    Kind(
        "deep nesting in to (400 levels)",
        expect=201,
        body=b'{"name":"welcome","to":' + b"[" * 400 + b"]" * 400 + b"}",
    ),
    Kind("name: number", _trigger(name=5)),
    Kind("name: object", _trigger(name={"a": 1})),
    Kind("name: array", _trigger(name=["welcome"])),
    Kind("name: null", _trigger(name=None)),
    Kind("name missing", _j({"to": "user-1"})),
    Kind("to: number (D4: 201 invalid_recipients)", expect=201, body=_trigger(to=12)),
    Kind("to: boolean (D4: 201 invalid_recipients)", expect=201, body=_trigger(to=True)),
    Kind(
        "to: object without subscriberId (D4: 201 invalid_recipients)",
        expect=201,
        body=_trigger(to={"email": "a@example.com"}),
    ),
    Kind("to: blank string (D4: 201 invalid_recipients)", expect=201, body=_trigger(to="   ")),
    Kind("to: array of numbers (201, noted)", expect=201, body=_trigger(to=[1, 2])),
    Kind("to: nested arrays (201, noted)", expect=201, body=_trigger(to=[["user-1"]])),
    Kind(
        "to: subscriberId number (D4: 201 invalid_recipients)",
        expect=201,
        body=_trigger(to={"subscriberId": 7}),
    ),
    Kind("payload: array", _trigger(payload=[1])),
    Kind("payload: string", _trigger(payload="x")),
    Kind("overrides: string", _trigger(overrides="x")),
    Kind("actor: number", _trigger(actor=5)),
    Kind("actor: object without subscriberId", _trigger(actor={"email": "x"})),
    Kind("tenant: number", _trigger(tenant=5)),
    Kind("tenant: array", _trigger(tenant=[1])),
    Kind("transactionId: number", _trigger(transactionId=5)),
    Kind("transactionId: object", _trigger(transactionId={"a": 1})),
    Kind("NaN literal", b'{"name":"welcome","to":"user-1","payload":{"n":NaN}}'),
    Kind("Infinity literal", b'{"name":"welcome","to":"user-1","payload":{"n":-Infinity}}'),
    Kind(
        "number out of range (1e400)",
        _trigger(payload={"n": 1}).replace(b"1}", b"1e400}"),
        expect=201,
    ),
    Kind(
        "number out of range (1e400) and a bad name",
        b'{"name":5,"to":"user-1","payload":{"n":1e400}}',
    ),
    Kind(
        "integer with 5000 digits",
        b'{"name":"welcome","to":"user-1","payload":{"n":' + b"9" * 5000 + b"}}",
    ),
    Kind("duplicate keys (the last, bad, wins)", b'{"name":"welcome","to":"user-1","name":5}'),
    Kind("invalid UTF-8", b'{"name":"welc\xff\xfeome","to":"user-1"}'),
    Kind("UTF-8 byte order mark", b'\xef\xbb\xbf{"name":"welcome","to":5}'),
    Kind("lone surrogate escape", b'{"name":"\\ud800","to":"user-1"}'),
    Kind(
        "lone surrogates in payload",
        expect=201,
        body=b'{"name":"welcome","to":"user-1","payload":{"\\udfff":"\\ud800"}}',
    ),
    Kind("raw control character", b'{"name":"wel\x01come","to":"user-1"}'),
    Kind("NUL bytes", b'{"name":"welcome\\u0000","to":"\x00"}'),
    Kind(
        "JSON with charset latin-1",
        '{"name":"wélcome","to":"user-1"}'.encode("latin-1"),
        content_type="application/json; charset=latin-1",
    ),
    Kind("unknown method", _trigger(), method="FROB"),
    Kind("wrong method (PUT)", _trigger(), method="PUT"),
    Kind("GET with a JSON body", _trigger(), method="GET"),
    Kind("very long path (8 KB)", b"", method="GET", path="/v1/" + "a" * 8000),
    Kind("percent-encoded garbage in path", b"", method="GET", path="/v1/%ff%fe%00/%zz"),
    Kind("path traversal", b"", method="GET", path="/v1/../../etc/passwd"),
    Kind("garbage query string", b"[]", path=TRIGGER + "?a=%zz&&=&%ff=1"),
    Kind("very long header (7 KB)", _trigger(name=5), headers={"x-long": "h" * 7000}),
    Kind("many headers (80)", _trigger(name=5), headers={f"x-h{i}": str(i) for i in range(80)}),
    Kind("Idempotency-Key over 255 characters", _trigger(), headers={"idempotency-key": "k" * 300}),
    Kind(
        "non-ASCII Idempotency-Key and a bad body",
        _trigger(name=5),
        headers={"idempotency-key": "clé-ü".encode()},
    ),
    Kind(
        "Authorization: lower-case scheme", _trigger(), headers={"authorization": f"apikey {KEY}"}
    ),
    Kind("Authorization: scheme without a key", _trigger(), headers={"authorization": "ApiKey"}),
    Kind("Authorization: Bearer garbage", _trigger(), headers={"authorization": "Bearer \x7f\x7f"}),
    Kind("Authorization: missing", _trigger(), headers={"authorization": ""}),
    Kind("bulk: events not an array", _j({"events": "x"}), path=BULK),
    Kind("bulk: events empty", _j({"events": []}), path=BULK),
    Kind(
        "bulk: 101 events", _j({"events": [{"name": "welcome", "to": "user-1"}] * 101}), path=BULK
    ),
    Kind("bulk: body is an array", _j([{"name": "welcome", "to": "user-1"}]), path=BULK),
    Kind(
        "bulk: event payload over 512 KB",
        _j({"events": [{"name": "welcome", "to": "u", "payload": {"b": "x" * 530_000}}]}),
        path=BULK,
    ),
    Kind("broadcast: name missing", _j({"payload": {}}), path=BROADCAST),
    Kind("broadcast: payload a string", _j({"name": "welcome", "payload": "x"}), path=BROADCAST),
    Kind("cancel: wrong method on the collection", b"", method="DELETE", path="/v1/events/trigger"),
    Kind("admin: invalid fixture document", _j({"workflows": "x"}), path="/_mock/fixtures"),
    Kind("admin: fixtures as an array", b"[1]", path="/_mock/fixtures"),
    Kind("admin: invalid fault", _j({"status": 200}), path="/_mock/faults"),
    Kind("admin: fault as a string", b'"boom"', path="/_mock/faults"),
)


def _novu_shaped(response: httpx.Response, expect: int | None) -> str | None:
    """Why `response` is not a Novu-shaped 4xx (or the `expect`ed status), or None."""
    if expect is not None:
        return None if response.status_code == expect else f"status {response.status_code}"
    if not 400 <= response.status_code < 500:
        return f"status {response.status_code}"
    try:
        body = response.json()
    except ValueError:
        return "body is not JSON"
    if not isinstance(body, dict):
        return "body is not an object"
    if body.get("statusCode") != response.status_code:
        return "statusCode differs from the HTTP status"
    if not isinstance(body.get("timestamp"), str) or not isinstance(body.get("path"), str):
        return "timestamp or path missing"
    if "message" not in body:
        return "message missing"
    return None


def run(verbose: bool = False) -> tuple[str, bool]:
    """Run the catalogue against a fresh live server; (summary line, every kind passed)."""
    mock = NovuMock([bundled("default.yaml")])
    failures: list[str] = []
    fivexx = 0
    sent: list[str] = []
    with mock.serve() as server, httpx.Client(base_url=server.url, timeout=30) as client:
        auth = {"authorization": f"ApiKey {KEY}"}
        for kind in CATALOGUE:
            headers: dict[str, str | bytes] = dict(auth)
            if kind.content_type is not None:
                headers["content-type"] = kind.content_type
            headers.update(kind.headers)
            raw = {
                k.encode(): v if isinstance(v, bytes) else v.encode("latin-1")
                for k, v in headers.items()
            }
            try:
                response = client.request(kind.method, kind.path, content=kind.body, headers=raw)
            except httpx.HTTPError as exc:
                fivexx += 1
                failures.append(f"{kind.name}: no answer ({type(exc).__name__})")
                continue
            if response.status_code >= 500:
                fivexx += 1
            problem = _novu_shaped(response, kind.expect)
            if problem:
                failures.append(f"{kind.name}: {problem}: {response.text[:200]}")
            elif verbose:
                print(f"  {response.status_code} {kind.name}: {response.text[:100]}")
            # A good trigger after every bad one: none of them may be lost.
            good = client.post(TRIGGER, json={"name": "welcome", "to": "user-1"}, headers=auth)
            if good.status_code == 201:
                sent.append(good.json()["data"]["transactionId"])
            else:
                failures.append(
                    f"good trigger after {kind.name!r}: {good.status_code} {good.text[:200]}"
                )
        # Alive, and the journals still serialise whatever was recorded.
        alive = all(
            client.get(path, headers=auth).status_code == 200
            for path in ("/_mock/health", "/_mock/requests", "/_mock/triggers", "/_mock/state")
        )
        recorded = {
            r["transactionId"] for r in client.get("/_mock/triggers", headers=auth).json()["data"]
        }
    lost = sum(1 for txn in sent if txn not in recorded) + (len(CATALOGUE) - len(sent))
    line = (
        f"kinds tried: {len(CATALOGUE)}, 5xx: {fivexx}, server alive: {'yes' if alive else 'no'}, "
        f"triggers lost: {lost}"
    )
    for failure in failures:
        print("FAIL", failure, file=sys.stderr)
    return line, not failures and alive and lost == 0 and fivexx == 0


def main() -> int:
    line, ok = run(verbose="-v" in sys.argv)
    print(line)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
