"""Fixture documents: loading YAML or JSON files and validating them with useful messages.

Above the model and delivery: a step's content is checked with delivery's own checks
(templates, conditions, preferences, delay and digest timing), so this module imports both and
neither imports it."""

from __future__ import annotations

import copy
import functools
import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from ._core.text import js_trim
from ._delivery.schedule import timing_problems
from ._delivery.validation import (
    conditions_check,
    preferences_check,
    redirect_check,
    template_check,
)
from ._model.integrations import (
    CHANNELS,
    CHANNELS_WITH_PRIMARY,
    CREDENTIAL_BOOLEANS,
    CREDENTIAL_OBJECTS,
    CREDENTIAL_STRINGS,
)
from ._model.limits import MAX_DEPTH, deep_path, deeper_than

STEP_TYPES = ("in_app", "email", "sms", "chat", "push", "digest", "delay", "custom")
STATUSES = (
    "processed",
    "error",
    "trigger_not_active",
    "no_workflow_steps_defined",
    "no_workflow_active_steps_defined",
    "no_tenant_found",
    "invalid_recipients",
    "subscriber_id_missing",
)
DOCUMENT_KEYS = (
    "apiKeys",
    "workflows",
    "subscribers",
    "tenants",
    "topics",
    "outcomes",
    "settings",
    "rateLimits",
    "faults",
    "integrations",
)
RATE_LIMIT_CATEGORIES = ("trigger", "configuration", "global")


RUNTIME_API_KEYS = (
    "cannot be added at run time; pass --api-key or load them from a fixture file at start"
)


class FixtureError(ValueError):
    """A fixture document is invalid; `problems` holds one message per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid fixtures:\n  " + "\n  ".join(problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class Fixture:
    """A validated fixture document and where it came from."""

    source: str
    document: dict[str, Any]


def _show(value: Any) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except ValueError:
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


_Check = Callable[[Any, str, list[str]], None]


def _expect(kind: str, test: Callable[[Any], bool]) -> _Check:
    def check(value: Any, path: str, problems: list[str]) -> None:
        if not test(value):
            problems.append(f"{path}: expected {kind}; got {_show(value)}")

    return check


_string = _expect("a string", lambda v: isinstance(v, str))
_nonempty = _expect("a non-empty string", lambda v: isinstance(v, str) and js_trim(v) != "")
_optional_string = _expect("a string or null", lambda v: v is None or isinstance(v, str))
_boolean = _expect("true or false", lambda v: isinstance(v, bool))
_mapping = _expect("a mapping", lambda v: isinstance(v, dict))
_list = _expect("a list", lambda v: isinstance(v, list))
# Upper bounds keep every number usable later: 1e308 requests per second overflowed the
# limiter (every call then failed), 1e308 seconds of latency overflowed the event loop's timer.
MAX_RATE = 1_000_000  # requests per second
MAX_SECONDS = 86_400  # a day of latency or Retry-After
MAX_TIMES = 2**53 - 1  # JavaScript's largest safe integer
_rate = _expect(
    f"a positive number of requests per second, at most {MAX_RATE:,}",
    lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and 0 < v <= MAX_RATE,
)


def _one_of(options: Sequence[str]) -> _Check:
    return _expect("one of " + ", ".join(options), lambda v: v in options)


def _list_of(item: _Check) -> _Check:
    def check(value: Any, path: str, problems: list[str]) -> None:
        if not isinstance(value, list):
            problems.append(f"{path}: expected a list; got {_show(value)}")
            return
        for i, element in enumerate(value):
            item(element, f"{path}[{i}]", problems)

    return check


def _object(fields: dict[str, tuple[_Check, bool]]) -> _Check:
    """A mapping with known keys; the bool says whether the key is required."""

    def check(value: Any, path: str, problems: list[str]) -> None:
        if not isinstance(value, dict):
            problems.append(f"{path}: expected a mapping; got {_show(value)}")
            return
        for key, element in value.items():
            spec = fields.get(key)
            where = f"{path}.{key}" if path else str(key)
            if spec is None:
                problems.append(f"{where}: unknown key; expected one of {', '.join(fields)}")
            else:
                spec[0](element, where, problems)
        for key, (_, required) in fields.items():
            if required and key not in value:
                where = f"{path}.{key}" if path else key
                problems.append(f"{where}: required key missing")

    return check


def _map_of(item: _Check) -> _Check:
    def check(value: Any, path: str, problems: list[str]) -> None:
        if not isinstance(value, dict):
            problems.append(f"{path}: expected a mapping; got {_show(value)}")
            return
        for key, element in value.items():
            item(element, f"{path}.{key}", problems)

    return check


def _json_schema(value: Any, path: str, problems: list[str]) -> None:
    if not isinstance(value, dict):
        problems.append(f"{path}: expected a JSON Schema object; got {_show(value)}")
        return
    from jsonschema import Draft7Validator
    from jsonschema.exceptions import SchemaError

    try:
        Draft7Validator.check_schema(value)
    except SchemaError as exc:
        problems.append(f"{path}: expected a valid JSON Schema; {exc.message}")


def _anything(value: Any, path: str, problems: list[str]) -> None:
    return None


def _both(first: _Check, second: _Check) -> _Check:
    def check(value: Any, path: str, problems: list[str]) -> None:
        first(value, path, problems)
        second(value, path, problems)

    return check


_step = _object(
    {
        "type": (_one_of(STEP_TYPES), True),
        "active": (_boolean, False),
        "name": (_string, False),
        "stepId": (_nonempty, False),
        # Delivery (DESIGN 9): Liquid content and JSON Logic conditions.
        "subject": (template_check, False),
        "body": (template_check, False),
        "avatar": (template_check, False),
        "redirect": (redirect_check, False),
        "conditions": (conditions_check, False),
        # Time (DESIGN 10): delay and digest steps; checked together by timing_problems.
        "amount": (_anything, False),
        "unit": (_anything, False),
        "delayPath": (_anything, False),
        "digestKey": (_anything, False),
        "lookBackWindow": (_anything, False),
        "cron": (_anything, False),
    }
)
_step = _both(_step, timing_problems)
_workflow = _object(
    {
        "workflowId": (_nonempty, True),
        "name": (_string, False),
        "active": (_boolean, False),
        "steps": (_list_of(_step), False),
        "tenantOverrides": (_map_of(_object({"active": (_boolean, True)})), False),
        "payloadSchema": (_json_schema, False),
        "critical": (_boolean, False),
        "preferences": (preferences_check, False),
        "severity": (_one_of(("high", "medium", "low", "none")), False),
    }
)
# A subscriber's channel as novu-openapi.json's `ChannelSettingsDto` holds it (its
# `ChannelCredentials`: strings, and `deviceTokens`, a list of strings).
_channel_credentials = _object(
    {
        **{
            name: (_string, False)
            for name in (
                "webhookUrl",
                "channel",
                "alertUid",
                "title",
                "imageUrl",
                "state",
                "externalUrl",
            )
        },
        "deviceTokens": (_list_of(_string), False),
    }
)
_channel = _object(
    {
        "providerId": (_nonempty, True),
        "credentials": (_channel_credentials, True),
        "integrationIdentifier": (_string, False),
        "_integrationId": (_string, False),
    }
)
_subscriber = _object(
    {
        "subscriberId": (_nonempty, True),
        "email": (_optional_string, False),
        "firstName": (_optional_string, False),
        "lastName": (_optional_string, False),
        "phone": (_optional_string, False),
        "avatar": (_optional_string, False),
        "locale": (_optional_string, False),
        "timezone": (_optional_string, False),
        "data": (_mapping, False),
        "channels": (_list_of(_channel), False),
        "preferences": (_mapping, False),
    }
)
_tenant = _object(
    {"identifier": (_nonempty, True), "name": (_string, False), "data": (_mapping, False)}
)
_topic = _object(
    {
        "key": (_nonempty, True),
        "name": (_string, False),
        "subscribers": (_list_of(_nonempty), False),
    }
)
_credentials = _object(
    {
        **{k: (_string, False) for k in CREDENTIAL_STRINGS},
        **{k: (_boolean, False) for k in CREDENTIAL_BOOLEANS},
        **{k: (_mapping, False) for k in CREDENTIAL_OBJECTS},
    }
)
_condition_part = _object(
    {
        "on": (_one_of(("tenant",)), True),
        "field": (_nonempty, True),
        "operator": (
            _one_of(
                (
                    "EQUAL",
                    "NOT_EQUAL",
                    "LARGER",
                    "SMALLER",
                    "LARGER_EQUAL",
                    "SMALLER_EQUAL",
                    "IN",
                    "NOT_IN",
                    "IS_DEFINED",
                )
            ),
            True,
        ),
        "value": (_expect("a string", lambda v: isinstance(v, str)), False),
    }
)
_condition = _object(
    {
        "isNegated": (_boolean, False),
        "type": (_string, False),
        "value": (_one_of(("AND", "OR")), False),
        "children": (_list_of(_condition_part), False),
    }
)


def _integration(value: Any, path: str, problems: list[str]) -> None:
    before = len(problems)
    _object(
        {
            "identifier": (_nonempty, True),
            "providerId": (_nonempty, True),
            "channel": (_one_of(CHANNELS), True),
            "name": (_string, False),
            "active": (_boolean, False),
            "primary": (_boolean, False),
            "credentials": (_credentials, False),
            "conditions": (_list_of(_condition), False),
        }
    )(value, path, problems)
    if len(problems) > before or value.get("primary") is not True:
        return
    if value["channel"] not in CHANNELS_WITH_PRIMARY:
        problems.append(
            f"{path}.primary: expected primary only on email or sms integrations (Novu has no "
            f"primary for {value['channel']}); got true"
        )
    elif value.get("active") is False:
        problems.append(f"{path}.primary: a primary integration is active; got active: false")


_outcome = _object(
    {
        "when": (
            _object(
                {
                    "workflowId": (_string, False),
                    "subscriberId": (_string, False),
                    "tenant": (_string, False),
                    "transactionId": (_string, False),
                }
            ),
            True,
        ),
        "status": (_one_of(STATUSES), True),
        "error": (_list_of(_string), False),
    }
)


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _integer(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _seconds_ok(v: Any) -> bool:
    return _number(v) and 0 <= v <= MAX_SECONDS


def _latency(v: Any) -> bool:
    if isinstance(v, list):
        return len(v) == 2 and all(_seconds_ok(x) for x in v) and v[0] <= v[1]
    return _seconds_ok(v)


FAULT_CONNECTIONS = ("drop", "timeout")
_seconds = _expect(f"a number of seconds from 0 to {MAX_SECONDS}", _seconds_ok)
_latency_check = _expect(
    f"seconds (a number from 0 to {MAX_SECONDS}) or a range [min, max]", _latency
)
_probability = _expect("a number from 0 to 1", lambda v: _number(v) and 0 <= v <= 1)
_fault_fields = _object(
    {
        "when": (
            _object(
                {
                    "method": (_nonempty, False),
                    "path": (_nonempty, False),
                    "workflowId": (_string, False),
                    "apiKey": (_string, False),
                }
            ),
            False,
        ),
        "status": (
            _expect(
                "an HTTP error status (an integer from 400 to 599)",
                lambda v: _integer(v) and 400 <= v <= 599,
            ),
            False,
        ),
        "message": (_string, False),
        "retryAfter": (_seconds, False),
        "times": (
            _expect(
                f"a positive integer, at most {MAX_TIMES}",
                lambda v: _integer(v) and 0 < v <= MAX_TIMES,
            ),
            False,
        ),
        "probability": (_probability, False),
        "seed": (
            _expect(
                f"an integer from {-MAX_TIMES} to {MAX_TIMES}",
                lambda v: _integer(v) and abs(v) <= MAX_TIMES,
            ),
            False,
        ),
        "latency": (_latency_check, False),
        "connection": (_one_of(FAULT_CONNECTIONS), False),
        "handled": (_boolean, False),
    }
)


def fault_problems(value: Any, path: str, problems: list[str]) -> None:
    """Check one fault (README "Fault injection"): known fields and at least one effect."""
    before = len(problems)
    _fault_fields(value, path, problems)
    if len(problems) > before:
        return
    if not any(k in value for k in ("status", "latency", "connection")):
        problems.append(f"{path}: expected at least one of status, latency, connection; got none")
    elif "status" in value and "connection" in value:
        problems.append(f"{path}: expected status or connection, not both")


_document = _object(
    {
        "apiKeys": (_list_of(_nonempty), False),
        "workflows": (_list_of(_workflow), False),
        "subscribers": (_list_of(_subscriber), False),
        "tenants": (_list_of(_tenant), False),
        "topics": (_list_of(_topic), False),
        "outcomes": (_list_of(_outcome), False),
        "settings": (_object({"recipientValidation": (_boolean, False)}), False),
        "rateLimits": (_object({c: (_rate, False) for c in RATE_LIMIT_CATEGORIES}), False),
        "faults": (_list_of(fault_problems), False),
        "integrations": (_list_of(_integration), False),
    }
)

_IDS = {
    "workflows": "workflowId",
    "subscribers": "subscriberId",
    "tenants": "identifier",
    "topics": "key",
    "integrations": "identifier",
}


def _duplicates(doc: Mapping[str, Any], problems: list[str]) -> None:
    for kind, id_key in _IDS.items():
        items = doc.get(kind)
        if not isinstance(items, list):
            continue
        seen: dict[Any, int] = {}
        for i, item in enumerate(items):
            if not isinstance(item, dict) or not isinstance(item.get(id_key), str):
                continue
            first = seen.setdefault(item[id_key], i)
            if first != i:
                problems.append(
                    f"{kind}[{i}].{id_key}: expected a unique value; "
                    f"{_show(item[id_key])} is already used by {kind}[{first}]"
                )


def _items(doc: Mapping[str, Any], kind: str) -> list[dict[str, Any]]:
    """The items of one kind that are mappings (others are shape problems), by position: a
    non-mapping item becomes {} so that positions stay those of the document."""
    items = doc.get(kind)
    if not isinstance(items, list):
        return []
    return [item if isinstance(item, dict) else {} for item in items]


def _ids(docs: Iterable[Mapping[str, Any]], kind: str) -> set[str]:
    id_key = _IDS[kind]
    return {
        item[id_key]
        for doc in docs
        if isinstance(doc, Mapping)
        for item in _items(doc, kind)
        if isinstance(item.get(id_key), str)
    }


def _references(
    doc: Mapping[str, Any], everything: Sequence[Mapping[str, Any]], problems: list[str]
) -> None:
    subscribers = _ids(everything, "subscribers")
    tenants = _ids(everything, "tenants")
    # Tolerant of a malformed document: its shape problems are reported by _document.
    for i, topic in enumerate(_items(doc, "topics")):
        members = topic.get("subscribers")
        for j, member in enumerate(members if isinstance(members, list) else []):
            if isinstance(member, str) and member not in subscribers:
                problems.append(
                    f"topics[{i}].subscribers[{j}]: expected the subscriberId of a subscriber "
                    f"in the fixtures; got {_show(member)}"
                )
    for i, workflow in enumerate(_items(doc, "workflows")):
        overrides = workflow.get("tenantOverrides")
        for tenant in overrides if isinstance(overrides, dict) else {}:
            if tenant not in tenants:
                problems.append(
                    f"workflows[{i}].tenantOverrides.{tenant}: expected the identifier of a "
                    f"tenant in the fixtures; got {_show(tenant)}"
                )


def problems_of(doc: Any, source: str, context: Sequence[Mapping[str, Any]] = ()) -> list[str]:
    """Every problem of one document at once (shape, duplicates, references), prefixed with
    `source`; `context` resolves references."""
    problems: list[str] = []
    if isinstance(doc, (dict, list)) and deeper_than(doc):
        # Checked first and alone: the other checks (and every later copy) recurse.
        where = deep_path(doc) or "document"
        return [f"{source}: {where}: expected data nested at most {MAX_DEPTH} levels deep"]
    _document(doc, "", problems)
    if isinstance(doc, dict):
        _duplicates(doc, problems)
        _references(doc, [*context, doc], problems)
    return [f"{source}: {p.removeprefix(': ')}" for p in problems]


def read_document(path: str | os.PathLike[str]) -> Any:
    """Parse a YAML or JSON file (JSON by extension, YAML otherwise); raise FixtureError."""
    name = os.fspath(path)
    try:
        text = Path(name).read_text(encoding="utf-8")
    except OSError as exc:
        raise FixtureError([f"{name}: cannot read: {exc.strerror or exc}"]) from None
    except UnicodeDecodeError:
        raise FixtureError([f"{name}: expected UTF-8 text"]) from None
    try:
        if name.endswith(".json"):
            doc = json.loads(text)
        else:
            loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
            doc = yaml.load(text, Loader=loader)
    except (ValueError, yaml.YAMLError) as exc:
        raise FixtureError(
            [f"{name}: not valid {'JSON' if name.endswith('.json') else 'YAML'}: {exc}"]
        ) from None
    return {} if doc is None else doc


_cache: dict[tuple[str, float, int], Any] = {}


def _read_cached(path: str) -> Any:
    # Test suites load the same files for every test; parse each version of a file once.
    stat = os.stat(path)
    key = (path, stat.st_mtime, stat.st_size)
    if key not in _cache:
        _cache[key] = read_document(path)
    return _cache[key]


_validated: dict[tuple[tuple[str, float, int], ...], list[Fixture]] = {}


def load(sources: Iterable[str | os.PathLike[str] | Mapping[str, Any]]) -> list[Fixture]:
    """Load and validate paths and documents together; raise FixtureError listing every problem."""
    sources = list(sources)
    key = _files_key(sources)
    if key is not None and key in _validated:
        # Every test of a suite loads the same files: validate each combination once.
        return list(_validated[key])
    fixtures = _load(sources)
    if key is not None:
        _validated[key] = fixtures
    return list(fixtures)


def _files_key(sources: list[Any]) -> tuple[tuple[str, float, int], ...] | None:
    """Identifies a list made only of existing files, as they are now; else None."""
    key = []
    for source in sources:
        if not isinstance(source, (str, os.PathLike)):
            return None
        try:
            stat = os.stat(source)
        except OSError:
            return None
        key.append((os.fspath(source), stat.st_mtime, stat.st_size))
    return tuple(key)


def _load(sources: list[Any]) -> list[Fixture]:
    raw: list[tuple[str, Any]] = []
    problems: list[str] = []
    for n, source in enumerate(sources):
        if isinstance(source, Mapping):
            if deeper_than(dict(source)):  # before the copy, which recurses
                where = deep_path(dict(source)) or "document"
                problems.append(
                    f"<fixture document {n}>: {where}: expected data nested at most "
                    f"{MAX_DEPTH} levels deep"
                )
                continue
            # A copy: the caller may go on mutating its dict.
            raw.append((f"<fixture document {n}>", copy.deepcopy(dict(source))))
            continue
        if not isinstance(source, (str, os.PathLike)):
            problems.append(
                f"<fixture {n}>: expected a path or a fixture document (a dict); "
                f"got {type(source).__name__}"
            )
            continue
        name = os.fspath(source)
        try:
            raw.append((name, _read_cached(name) if os.path.exists(name) else read_document(name)))
        except FixtureError as exc:
            problems.extend(exc.problems)
    docs = [doc for _, doc in raw if isinstance(doc, dict)]
    for name, doc in raw:
        problems.extend(problems_of(doc, name, docs))
    if problems:
        raise FixtureError(problems)
    return [Fixture(name, dict(doc)) for name, doc in raw]


@functools.cache  # the fixture reads it per test; files do not move in a run
def bundled(name: str = "default.yaml") -> Path:
    """Path of a fixture file shipped with novu-mock (`default.yaml`, `statuses.yaml`)."""
    packaged = resources.files("novu_mock").joinpath("_bundled", name)
    if packaged.is_file():
        return Path(str(packaged))
    # Editable installs and source checkouts keep the files at the repository's top level.
    return Path(__file__).resolve().parents[1] / "fixtures" / name
