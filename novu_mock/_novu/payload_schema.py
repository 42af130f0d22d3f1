"""Workflow payload validation against its JSON Schema, with AJV's messages (contract 8.3)."""

from __future__ import annotations

import copy
from typing import Any

from .._core.errors import NovuError

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
    errors = sorted(
        validator.iter_errors(filled), key=lambda e: [str(p) for p in e.absolute_schema_path]
    )
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
