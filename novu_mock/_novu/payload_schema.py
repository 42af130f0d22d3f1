"""Workflow payload validation against its JSON Schema, with AJV's messages (contract 8.3)."""

from __future__ import annotations

import contextvars
import copy
import functools
import time
from collections.abc import Iterator
from typing import Any

import regex

from .._core.errors import NovuError

# Pattern matching of one trigger's payload may take this long in all (seconds). Python's `re`
# backtracks without bound: `^(a+)+$` against 26 `a` and a `!` held the engine's lock for
# seconds and every other call waited. The `regex` package matches the same syntax (and more of
# JavaScript's: lookbehind, Unicode classes) and takes a timeout; RE2 would never blow up but
# refuses backreferences and lookaround, which AJV (JavaScript's RegExp) accepts.
PATTERN_BUDGET = 0.1
_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "novu_mock_pattern_deadline", default=None
)


class PatternBudgetExceeded(Exception):
    """A `pattern` or `patternProperties` key took longer than the payload's budget."""

    def __init__(self, pattern: str) -> None:
        super().__init__(pattern)
        self.pattern = pattern


@functools.lru_cache(maxsize=512)
def _compiled(pattern: str) -> Any:
    return regex.compile(pattern)


def _matches(pattern: str, text: str) -> bool:
    deadline = _deadline.get()
    remaining = PATTERN_BUDGET if deadline is None else deadline - time.monotonic()
    if remaining <= 0:
        raise PatternBudgetExceeded(pattern)
    try:
        compiled = _compiled(pattern)
    except regex.error:
        return True  # a pattern this engine cannot read constrains nothing (never a 500)
    try:
        return compiled.search(text, timeout=remaining) is not None
    except TimeoutError:
        raise PatternBudgetExceeded(pattern) from None


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[Any]:
    from jsonschema.exceptions import ValidationError

    if validator.is_type(instance, "string") and not _matches(pattern, instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _pattern_properties(
    validator: Any, patterns: dict[str, Any], instance: Any, schema: Any
) -> Iterator[Any]:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in patterns.items():
        for name, value in instance.items():
            if _matches(pattern, name):
                yield from validator.descend(value, subschema, path=name, schema_path=pattern)


def _additional_properties(
    validator: Any, additional: Any, instance: Any, schema: Any
) -> Iterator[Any]:
    from jsonschema.exceptions import ValidationError

    if not validator.is_type(instance, "object"):
        return
    known = schema.get("properties", {})
    patterns = schema.get("patternProperties", {})
    extras = [
        name
        for name in instance
        if name not in known and not any(_matches(p, name) for p in patterns)
    ]
    if validator.is_type(additional, "object"):
        for extra in extras:
            yield from validator.descend(instance[extra], additional, path=extra)
    elif additional is False and extras:
        names = ", ".join(repr(e) for e in sorted(extras))
        yield ValidationError(f"Additional properties are not allowed ({names} were unexpected)")


@functools.cache
def _payload_validator() -> Any:
    # Draft 7 with every regular expression matched under the budget (pattern,
    # patternProperties, and additionalProperties, which consults patternProperties). jsonschema
    # loads here, when the first workflow with a payload schema needs it, not with the package:
    # a suite that never sets a schema does not pay its import.
    from jsonschema import Draft7Validator, validators

    return validators.extend(  # type: ignore[no-untyped-call]
        Draft7Validator,
        {
            "pattern": _pattern,
            "patternProperties": _pattern_properties,
            "additionalProperties": _additional_properties,
        },
    )


def validator_for(schema: dict[str, Any]) -> Any:
    """The validator of a workflow's payload schema."""
    return _payload_validator()(schema)


_TYPE_NAMES = {"object", "array", "string", "number", "integer", "boolean", "null"}


def _ajv_message(error: Any) -> str:
    kind, expected = error.validator, error.validator_value
    if kind == "required":
        missing = error.message.split("'")[1] if "'" in error.message else "?"
        return f"must have required property '{missing}'"
    if kind == "type":
        names = expected if isinstance(expected, list) else [expected]
        return "must be " + ",".join(str(n) for n in names if n in _TYPE_NAMES)
    simple = {
        "enum": "must be equal to one of the allowed values",
        "const": "must be equal to constant",
        "additionalProperties": "must NOT have additional properties",
        "anyOf": "must match a schema in anyOf",
        "oneOf": "must match exactly one schema in oneOf",
        "not": "must NOT be valid",
        "uniqueItems": "must NOT have duplicate items",
    }
    if kind in simple:
        return simple[kind]
    bounds = {
        "minLength": f"must NOT have fewer than {expected} characters",
        "maxLength": f"must NOT have more than {expected} characters",
        "minItems": f"must NOT have fewer than {expected} items",
        "maxItems": f"must NOT have more than {expected} items",
        "minProperties": f"must NOT have fewer than {expected} properties",
        "maxProperties": f"must NOT have more than {expected} properties",
        "minimum": f"must be >= {expected}",
        "maximum": f"must be <= {expected}",
        "exclusiveMinimum": f"must be > {expected}",
        "exclusiveMaximum": f"must be < {expected}",
        "multipleOf": f"must be multiple of {expected}",
        "pattern": f'must match pattern "{expected}"',
        "format": f'must match format "{expected}"',
    }
    return bounds.get(kind, str(error.message))


def _problem(error: Any) -> dict[str, Any]:
    # Novu: the instance path dotted (`root` when empty), then `.<missingProperty>` if any.
    path = ".".join(str(p) for p in error.absolute_path) or "root"
    message = _ajv_message(error)
    field = f"{path}.{message.split(chr(39))[1]}" if error.validator == "required" else path
    return {
        "field": field,
        "message": message,
        "value": error.instance,
        "schemaPath": "#/" + "/".join(str(p) for p in error.absolute_schema_path),
    }


def apply_defaults(schema: Any, value: Any) -> Any:
    """A copy of `value` with the schema's `default`s filled in where properties are absent."""
    if not isinstance(schema, dict) or not isinstance(value, dict):
        return value
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        return value
    result = dict(value)
    for name, sub in properties.items():
        if not isinstance(sub, dict):
            continue
        if name not in result and "default" in sub:
            result[name] = copy.deepcopy(sub["default"])
        elif name in result:
            result[name] = apply_defaults(sub, result[name])
    return result


def payload_problems(validator: Any, payload: dict[str, Any]) -> list[dict[str, Any]]:
    """Every schema violation of `payload` (after defaults), in schema order."""
    filled = apply_defaults(validator.schema, payload)
    token = _deadline.set(time.monotonic() + PATTERN_BUDGET)
    try:
        errors = sorted(
            validator.iter_errors(filled), key=lambda e: [str(p) for p in e.absolute_schema_path]
        )
    except PatternBudgetExceeded as exc:
        raise NovuError(
            400,
            f"Payload validation failed: the pattern {exc.pattern!r} of the workflow's payload "
            f"schema took longer than its time budget ({PATTERN_BUDGET * 1000:.0f} ms)",
        ) from None
    finally:
        _deadline.reset(token)
    return [_problem(e) for e in errors]


def summary(problems: list[dict[str, Any]]) -> str:
    return "Payload validation failed: " + "; ".join(
        f"{p['field']}: {p['message']}" for p in problems
    )


def payload_error(problems: list[dict[str, Any]], schema: dict[str, Any]) -> NovuError:
    """The 400 `PayloadValidationExceptionDto` of a single trigger or a broadcast."""
    return NovuError(
        400,
        summary(problems),
        reason=False,
        extra={"errors": problems, "schema": schema, "type": "PAYLOAD_VALIDATION_ERROR"},
    )
