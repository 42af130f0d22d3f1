"""Novu's OpenAPI document as novu-mock is held to it.

The document stays as Novu publishes it (novu-openapi.json); this view derives, in code, what
the conformance run checks, with every deliberate difference named here:

- only the operations the route table implements (`novu_mock.coverage.implemented`);
- success bodies inside Novu's `{"data": ...}` envelope, which the document leaves out (the SDKs
  unwrap it in a hook): a success answer must be exactly `{"data": <documented schema>}`; a
  schema that already is the envelope (`DataBooleanDto` of cancel) is left as it is;
- trigger status `invalid_recipients` (contract D4): answered by Novu's current API and in the
  SDKs' enums, missing from this document's enum;
- a 422 may be an `ErrorDto` without `errors`: a single trigger of an unknown workflow is
  `{message: "workflow_not_found", error: "Unprocessable Entity"}` (contract D7);
- in a `ValidationErrorDto`, `errors.<field>.value` is omitted when the field was absent and
  holds the value as sent otherwise, of any JSON type (contract D1; the document requires it and
  lists only some types);
- request generation only: the workflow name (`name`) is drawn from the fixtures' workflows half
  of the time, so success answers get checked too, not only `workflow_not_found`.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from novu_mock.coverage import implemented

SPEC_PATH = Path(__file__).parent / "novu-openapi.json"
_SCHEMAS = "#/components/schemas/"
_METHODS = {"get", "post", "put", "patch", "delete"}


def load_spec() -> dict[str, Any]:
    spec: dict[str, Any] = json.loads(SPEC_PATH.read_text("utf-8"))
    return spec


def _is_envelope(spec: dict[str, Any], schema: dict[str, Any]) -> bool:
    ref = schema.get("$ref", "")
    if ref.startswith(_SCHEMAS):
        schema = spec["components"]["schemas"][ref[len(_SCHEMAS) :]]
    return bool(schema.get("required") == ["data"])


def contract_view(spec: dict[str, Any], workflow_ids: list[str]) -> dict[str, Any]:
    """A copy of `spec` with the differences of this module's docstring applied."""
    view = copy.deepcopy(spec)
    ours = set(implemented())
    view["paths"] = {
        path: {
            method: operation
            for method, operation in item.items()
            if (method.upper(), path) in ours
            or method not in {"get", "post", "put", "patch", "delete"}
        }
        for path, item in view["paths"].items()
        if any((m.upper(), path) in ours for m in item)
    }
    for item in view["paths"].values():
        for operation in item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for status, response in operation["responses"].items():
                media = response.get("content", {}).get("application/json")
                if media is None:
                    continue
                if status.startswith("2") and not _is_envelope(view, media["schema"]):
                    media["schema"] = {
                        "type": "object",
                        "properties": {"data": media["schema"]},
                        "required": ["data"],
                        "additionalProperties": False,
                    }
                elif status == "422":
                    media["schema"] = {
                        "anyOf": [
                            {"$ref": _SCHEMAS + "ValidationErrorDto"},
                            {"$ref": _SCHEMAS + "ErrorDto"},
                        ]
                    }
    schemas = view["components"]["schemas"]
    schemas["TriggerEventResponseDto"]["properties"]["status"]["enum"].append("invalid_recipients")
    entry = schemas["ValidationErrorDto"]["properties"]["errors"]["additionalProperties"]
    entry["required"] = ["messages"]
    entry["properties"]["value"] = {}
    for dto in ("TriggerEventRequestDto", "TriggerEventToAllRequestDto"):
        name = schemas[dto]["properties"]["name"]
        schemas[dto]["properties"]["name"] = {"anyOf": [{"enum": workflow_ids}, name]}
    return view
