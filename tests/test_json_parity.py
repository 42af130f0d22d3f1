"""orjson reads request bodies and writes the trigger answers: what it reads or writes
differently from `json` (bench/PROFILE.md) goes the `json` way, so values, error messages and
answer bytes are exactly `json`'s."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from conftest import Api

from novu_mock._core.http import _ascii_encoder, _encoder, dump_json
from novu_mock._core.request import _json_loads, parse_json


def _outcome(fn: Any, raw: bytes) -> tuple[str, str]:
    """What reading `raw` gives: the value's repr (types and float bits show), or the error."""
    try:
        return ("value", repr(fn(raw)))
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        return (type(exc).__name__, str(exc))


EDGES = [
    b'{"a":1,"b":2,"a":3}',
    b"12345678901234567890123",  # past 64 bits: orjson would read a float
    b"-9223372036854775809",
    b"18446744073709551616",
    b'{"n":[18446744073709551615,-9223372036854775808,9223372036854775807]}',
    b'{"id":"1234567890123456789012345"}',  # long digit runs in a string: json's way, same value
    b"1e400",  # JSON.parse's Infinity: answered as null
    b"[-1e400,1e-400,-0,-0.0,0.1,1E2,4.9e-324,2.2250738585072011e-308]",
    b"[0.30000000000000004,9007199254740993,9007199254740993.0,123456789.123456789e-5]",
    b'"\\ud800"',  # lone surrogates, which orjson refuses
    b'{"x":"\\udc00 and \\ud83d\\ude00"}',
    b'"\\u0000\\u001f\\/"',
    b"NaN",
    b"[Infinity]",
    b"-Infinity",
    b"[1,]",
    b'{"a":1,}',
    b'"\x01"',
    b"\xef\xbb\xbf{}",  # a BOM
    b"\xff\xfe",  # not UTF-8
    b'"\xed\xa0\x80"',  # an encoded surrogate: not UTF-8 either
    b" {} ",
    b"{}\n",
    b"{} x",
    b"01",
    b"[" * 1100 + b"]" * 1100,  # deeper than either reader goes
    b"[" * 600 + b"]" * 600,
    b"",
    b"   ",
]


@pytest.mark.parametrize("raw", EDGES)
def test_bodies_read_as_json_reads_them(raw: bytes) -> None:
    assert _outcome(parse_json, raw) == _outcome(_json_loads, raw)


def test_big_integers_stay_exact() -> None:
    value = parse_json(b'{"big":123456789012345678901234567890,"neg":-9223372036854775809}')
    assert value == {"big": 123456789012345678901234567890, "neg": -9223372036854775809}
    assert all(type(v) is int for v in value.values())


def test_mutated_bodies_read_as_json_reads_them() -> None:
    """A seeded fuzz: bodies a byte or three away from valid ones read the same either way."""
    rng = random.Random(18)
    seeds = [
        b'{"events":[{"name":"a","to":["x",{"subscriberId":"y"}],"payload":{"n":1.5,"m":-0,'
        b'"s":"\\u00e9\\n","big":99999999999}}]}',
        b'[1,2.5e3,true,false,null,"a\\"b",{"k":[]}]',
    ]
    alphabet = b' \t\n\r{}[],:"\\0123456789.eE+-tfnulrsa'
    for _ in range(5000):
        raw = bytearray(rng.choice(seeds))
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(raw))
            roll = rng.random()
            if roll < 0.4:
                raw[at] = rng.randrange(256) if rng.random() < 0.3 else rng.choice(alphabet)
            elif roll < 0.7:
                del raw[at]
            else:
                raw.insert(at, rng.choice(alphabet))
        body = bytes(raw)
        assert _outcome(parse_json, body) == _outcome(_json_loads, body), body


def _reference(value: Any) -> bytes:
    """The answer as `json` alone writes it."""
    text = _encoder.encode(value)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return _ascii_encoder.encode(value).encode("ascii")


class _Text(str):
    pass


ANSWERS: list[Any] = [
    {"data": [{"acknowledged": True, "status": "processed", "transactionId": "txn_1"}]},
    {"data": {"status": "error", "error": ["é ü 中文 \U0001f600 \u2028\u2029 \ufeff \x7f"]}},
    {"s": "".join(chr(c) for c in range(0x20)) + '"\\/'},
    {"lone": "\ud800", "other": "\udfff x"},
    {"ints": [0, -1, 2**63 - 1, -(2**63), 2**64 - 1, 2**64, -(2**70)]},
    {1: "int key", None: "null key", 2.5: "float key"},
    {"sub": _Text("a str subclass")},
    ["a", ("tuple", "items"), None, False],
    {"deep": json.loads("[" * 300 + "]" * 300)},
]


@pytest.mark.parametrize("value", ANSWERS)
def test_float_free_answers_are_written_byte_for_byte(value: Any) -> None:
    assert dump_json(value, floats=False) == _reference(value)
    assert dump_json(value) == _reference(value)


def test_strings_are_written_byte_for_byte() -> None:
    rng = random.Random(7)
    alphabet = [chr(c) for c in range(0x300)] + ["\u2028", "\ud800", "\U0001f600", "\\", '"']
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 8)))
        value = {"error": [text], text: None}
        assert dump_json(value, floats=False) == _reference(value), repr(text)


def test_a_trigger_echoes_a_lone_surrogate_transaction_id(api: Api) -> None:
    """orjson refuses both the body and the answer: json reads and writes them, as before."""
    body = b'{"name":"welcome","to":"user-1","transactionId":"t-\\ud800"}'
    response = api.post(
        "/v1/events/trigger", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 201, response.text
    assert b'"transactionId":"t-\\ud800"' in response.content


def test_a_bulk_keeps_big_integers_and_answers_infinity_as_null(api: Api) -> None:
    body = (
        b'{"events":[{"name":"welcome","to":["user-1"],'
        b'"payload":{"big":123456789012345678901234567890,"inf":1e400}}]}'
    )
    response = api.post(
        "/v1/events/trigger/bulk", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 201, response.text
    txn = response.json()["data"][0]["transactionId"]
    (record,) = api.triggers(transactionId=txn)
    assert record["payload"] == {"big": 123456789012345678901234567890, "inf": None}
