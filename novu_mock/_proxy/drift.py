"""Drift: where the mock's answer to a call differs from the upstream's (DESIGN section 11).

Compared: the HTTP status; Novu's headers, present or absent; error messages and statuses
exactly (`message`, `error`, `status` anywhere in the body, so per-event statuses of a bulk are
`$.data[i].status`; ids inside messages ignored), and an answer that is only a boolean (cancel's
`$.data`); everything else by shape only (keys and value types), so ids, timestamps and other
values that two servers can never share are not differences.

A difference is `{"at": where, "upstream": ..., "mock": ...}`: `at` is `status` for the HTTP
status, `headers.<name>` for a header (`"present"` / `"absent"`), or a JSON path into the body
(`$.data.status`). A shape difference names the value type (`string`, `number`, `boolean`,
`null`, `object`, `array`) or `absent` for a key one side lacks.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping
from typing import Any

#: Headers Novu sets on its answers; only their presence is compared (values vary by account).
NOVU_HEADERS = (
    "ratelimit-limit",
    "ratelimit-remaining",
    "ratelimit-reset",
    "ratelimit-policy",
    "retry-after",
    "idempotency-key",
    "idempotency-replay",
    "link",
)
#: Body keys whose values are compared exactly: statuses and error messages.
EXACT_KEYS = frozenset({"status", "message", "error", "statusCode"})
#: Keys whose values are ids: never compared. Ids that both servers generated (`generated_id`),
#: under these keys or any other (`_notificationId`, `_messageId`, ...), are paired (upstream id,
#: shadow id) so that a later call naming the upstream's id reaches the shadow's (app.py, IdMap).
ID_KEYS = frozenset({"_id", "id", "transactionId", "_templateId", "_subscriberId"})

#: Names the caller gives things: two objects at one place with different names are two things.
NAMES = ("subscriberId", "identifier", "key", "topicKey", "workflowId", "triggerIdentifier")

ABSENT = "absent"
PRESENT = "present"


#: A whole value that a server generated as an id: an ObjectId (Novu's `_id`s, and the mock's),
#: a UUID (Novu's transactionIds) or the mock's `txn_` transactionIds.
_GENERATED_ID = re.compile(
    r"(?:txn_)?[0-9a-f]{24}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
)


def generated_id(value: str) -> bool:
    return _GENERATED_ID.fullmatch(value) is not None


#: Ids inside messages ("... under environment 65f0c1..."): ObjectIds, UUIDs, transactionIds.
_ID_IN_TEXT = re.compile(
    r"\b(?:txn_)?[0-9a-f]{24}\b|\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"
)


def _without_ids(value: Any) -> Any:
    """A message with the ids in it replaced by `<id>`, so that two servers' ids compare equal."""
    if isinstance(value, str):
        return _ID_IN_TEXT.sub("<id>", value)
    if isinstance(value, list):
        return [_without_ids(v) for v in value]
    return value


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _key_path(base: str, key: str) -> str:
    if key.isidentifier():
        return f"{base}.{key}"
    return f"{base}[{key!r}]"


class _Comparison:
    def __init__(self) -> None:
        self.differences: list[dict[str, Any]] = []
        self.ids: list[tuple[str, str]] = []
        #: False inside two objects that are not the same thing (see NAMES).
        self.pairing = True

    def add(self, at: str, upstream: Any, mock: Any) -> None:
        self.differences.append({"at": at, "upstream": upstream, "mock": mock})

    def values(self, at: str, upstream: Any, mock: Any, key: str | None) -> None:
        if key in EXACT_KEYS:
            if _without_ids(upstream) != _without_ids(mock):
                self.add(at, upstream, mock)
            return
        if isinstance(upstream, str) and isinstance(mock, str):
            both_generated = generated_id(upstream) and generated_id(mock)
            if key in ID_KEYS or both_generated:
                # Two servers' ids for the same thing: never a difference. Generated ones are
                # paired so that a later call naming the upstream's id reaches the shadow's; a
                # name the caller chose (a subscriberId) is the same on both sides anyway.
                if both_generated and upstream != mock and self.pairing:
                    self.ids.append((upstream, mock))
                return
        kind_u, kind_m = type_name(upstream), type_name(mock)
        if kind_u != kind_m:
            self.add(at, kind_u, kind_m)
        elif at == "$.data" and kind_u == "boolean":
            # The whole answer is a yes or no (cancel: was something cancelled?).
            if upstream != mock:
                self.add(at, upstream, mock)
        elif kind_u == "object":
            self.objects(at, upstream, mock)
        elif kind_u == "array":
            self.arrays(at, upstream, mock)

    def objects(self, at: str, upstream: Mapping[str, Any], mock: Mapping[str, Any]) -> None:
        pairing = self.pairing
        if pairing and any(
            isinstance(upstream.get(name), str) and upstream.get(name) != mock.get(name)
            for name in NAMES
        ):
            self.pairing = False  # two different items at one place: their ids are not pairs
        try:
            self._members(at, upstream, mock)
        finally:
            self.pairing = pairing

    def _members(self, at: str, upstream: Mapping[str, Any], mock: Mapping[str, Any]) -> None:
        for key in upstream:
            path = _key_path(at, key)
            if key not in mock:
                self.add(path, type_name(upstream[key]), ABSENT)
            else:
                self.values(path, upstream[key], mock[key], key)
        for key in mock:
            if key not in upstream:
                self.add(_key_path(at, key), ABSENT, type_name(mock[key]))

    def arrays(self, at: str, upstream: list[Any], mock: list[Any]) -> None:
        if len(upstream) == len(mock):
            # Same length: item by item (a bulk answers one status object per event, in order).
            for index, (u, m) in enumerate(zip(upstream, mock, strict=True)):
                self.values(f"{at}[{index}]", u, m, None)
        elif upstream and mock:
            # Lists of stored items differ in length with the stores: compare one item's shape.
            self.shapes(f"{at}[*]", upstream[0], mock[0])

    def shapes(self, at: str, upstream: Any, mock: Any) -> None:
        """Only types and keys, exact keys included (two different stored items)."""
        kind_u, kind_m = type_name(upstream), type_name(mock)
        if kind_u != kind_m:
            self.add(at, kind_u, kind_m)
        elif kind_u == "object":
            for key in upstream:
                if key not in mock:
                    self.add(_key_path(at, key), type_name(upstream[key]), ABSENT)
                else:
                    self.shapes(_key_path(at, key), upstream[key], mock[key])
            for key in mock:
                if key not in upstream:
                    self.add(_key_path(at, key), ABSENT, type_name(mock[key]))
        elif kind_u == "array" and upstream and mock:
            self.shapes(f"{at}[*]", upstream[0], mock[0])


def _header_names(headers: Iterable[tuple[str, str]]) -> set[str]:
    return {name.lower() for name, _ in headers}


def compare(
    upstream_status: int,
    upstream_headers: Iterable[tuple[str, str]],
    upstream_body: Any,
    mock_status: int,
    mock_headers: Iterable[tuple[str, str]],
    mock_body: Any,
) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    """The differences between two answers to one call, and the (upstream id, mock id) pairs
    found at the same place in both bodies."""
    result = _Comparison()
    if upstream_status != mock_status:
        result.add("status", upstream_status, mock_status)
    names_u, names_m = _header_names(upstream_headers), _header_names(mock_headers)
    for name in NOVU_HEADERS:
        if (name in names_u) != (name in names_m):
            result.add(
                f"headers.{name}",
                PRESENT if name in names_u else ABSENT,
                PRESENT if name in names_m else ABSENT,
            )
    if upstream_status == mock_status:
        result.values("$", upstream_body, mock_body, None)
    else:
        # Different outcomes have different bodies: only what each says went wrong.
        said_u = upstream_body.get("message") if isinstance(upstream_body, dict) else None
        said_m = mock_body.get("message") if isinstance(mock_body, dict) else None
        if _without_ids(said_u) != _without_ids(said_m):
            result.add("$.message", said_u, said_m)
    return result.differences, result.ids


class DriftLog:
    """The drift entries of one proxy, oldest first, and the count of calls compared.

    The proxy compares after it answered (app.py): `expect` counts a call whose comparison is
    still to come, `done` says it came. Readers in other threads (`select`, by default) wait
    until none is outstanding, so that what a caller did before reading is in what it reads.
    """

    def __init__(self, limit: int = 10_000) -> None:
        self.limit = limit
        self.calls = 0
        self.drifted = 0
        self.entries: list[dict[str, Any]] = []
        self._pending = 0
        self._changed = threading.Condition()

    def expect(self) -> None:
        with self._changed:
            self._pending += 1

    def done(self) -> None:
        with self._changed:
            self._pending -= 1
            if self._pending == 0:
                self._changed.notify_all()

    def wait(self, timeout: float = 60.0) -> bool:
        """Block until every expected comparison is done (False if `timeout` ran out first).
        Not for the proxy's own event loop, which does the comparisons: it awaits
        Proxy.settled instead."""
        with self._changed:
            return self._changed.wait_for(lambda: self._pending == 0, timeout)

    def count(self, entry: dict[str, Any] | None) -> None:
        """One compared call; `entry` is its drift, None when the answers agree."""
        with self._changed:
            self.calls += 1
            if entry is not None:
                self.drifted += 1
                self.entries.append(entry)
                if len(self.entries) > self.limit:
                    del self.entries[: len(self.entries) - self.limit]

    def select(self, environment: str | None = None, wait: bool = True) -> list[dict[str, Any]]:
        if wait:
            self.wait()
        with self._changed:
            return [
                e for e in self.entries if environment is None or e["environment"] == environment
            ]

    def clear(self) -> None:
        with self._changed:
            self.entries.clear()

    def summary(self) -> str:
        return f"{self.calls} calls, {self.drifted} with drift"
