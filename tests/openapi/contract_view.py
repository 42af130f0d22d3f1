"""Novu's OpenAPI document as novu-mock is held to it.

The document stays as Novu publishes it (novu-openapi.json); this view derives, in code, what
the conformance run checks, with every deliberate difference named here:

- only the documented operations the route table implements (`covered_operations`); the
  routes Novu's document lacks (v2 topics, tenants, workflows, ...) are not checked here;
- success bodies inside Novu's `{"data": ...}` envelope, which the document leaves out (the SDKs
  unwrap it in a hook): a success answer must be exactly `{"data": <documented schema>}`, except
  where Novu's response interceptor sends the object as it is, an object with `data` and no
  `_id`/`id` (contract 1.3): the paginated lists (`PaginatedResponseDto`,
  `ListSubscribersResponseDto`, `FilterTopicsResponseDto`) and `DataBooleanDto` of cancel;
- `POST /v2/subscribers` answers 201 (the document says 200): novu-py 3.19.0 accepts only 201
  there (contract 9.6 item 2, open question 10), and the SDK is what users call;
- trigger status `invalid_recipients` (contract D4): answered by Novu's current API and in the
  SDKs' enums, missing from this document's enum;
- a 422 may be an `ErrorDto` without `errors`: a single trigger of an unknown workflow is
  `{message: "workflow_not_found", error: "Unprocessable Entity"}` (contract D7);
- in a `ValidationErrorDto`, `errors.<field>.value` is omitted when the field was absent and
  holds the value as sent otherwise, of any JSON type (contract D1; the document requires it and
  lists only some types);
- in `SubscriberResponseDto`, the fields novu-py 3.19.0 models as nullable
  (`SDK_NULLABLE_SUBSCRIBER_FIELDS`) may be `null`: the mock answers `isOnline` and
  `lastOnlineAt` as `null` for a subscriber never seen online, and keeps a `null` sent on a v2
  create or patch (contract 9.6: where the document and the current SDK disagree, the SDK wins);
- integration `conditions` are kept as sent: Novu's DTO checks only that each is an object
  (`@ValidateNested` on a `StepFilterDto` with no validators of its own) and Mongoose stores
  strings, so `type`, `value`, `operator` and `on` outside the document's enums come back as
  sent, and the document's enums there do not hold for answers (found by the stateful phase:
  `PUT /v1/integrations/{id}` with `type: "bogus"`);
- request generation only: every call carries its own idempotency key, as the SDKs send one
  (a generated key longer than 255 characters is kept, to get its documented 400). Novu
  scopes keys per environment, not per path, so a key repeated across operations would
  rightly replay another operation's answer, which no single operation documents;
- request generation only: the workflow name (`name`) is drawn from the fixtures' workflows half
  of the time, so success answers get checked too, not only `workflow_not_found`.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

from openapi.coverage import implemented, spec_operations

SPEC_PATH = Path(__file__).parent / "novu-openapi.json"
_SCHEMAS = "#/components/schemas/"
_METHODS = {"get", "post", "put", "patch", "delete"}
#: Nullable in novu-py 3.19.0's `SubscriberResponseDto` model, plain types in the document.
SDK_NULLABLE_SUBSCRIBER_FIELDS = (
    "firstName",
    "lastName",
    "email",
    "phone",
    "avatar",
    "locale",
    "timezone",
    "data",
    "isOnline",
    "lastOnlineAt",
)
_PARAM = re.compile(r"\{[^}]*\}")


def load_spec() -> dict[str, Any]:
    spec: dict[str, Any] = json.loads(SPEC_PATH.read_text("utf-8"))
    return spec


def covered_operations(spec: dict[str, Any]) -> list[tuple[str, str]]:
    """(METHOD, documented path) of every documented operation the route table implements
    (parameter names may differ: `{id}` and `{topicKey}` are the same route)."""
    ours = {_shape(method, path) for method, path in implemented()}
    return [(m, p) for m, p, _ in spec_operations(spec) if _shape(m, p) in ours]


def _shape(method: str, path: str) -> tuple[str, str]:
    return method.upper(), _PARAM.sub("{}", path)


def _properties(spec: dict[str, Any], schema: dict[str, Any]) -> set[str]:
    """The top-level property names of a schema, through `$ref` and `allOf`."""
    ref = schema.get("$ref", "")
    if ref.startswith(_SCHEMAS):
        schema = spec["components"]["schemas"][ref[len(_SCHEMAS) :]]
    names = set(schema.get("properties", {}))
    for part in schema.get("allOf", []):
        names |= _properties(spec, part)
    return names


def _sent_as_is(spec: dict[str, Any], schema: dict[str, Any]) -> bool:
    """Novu's response interceptor leaves an object with `data` and no `_id`/`id` unwrapped
    (paginated lists, `DataBooleanDto`); everything else goes inside `{"data": ...}`."""
    names = _properties(spec, schema)
    return "data" in names and not names & {"_id", "id"}


def contract_view(spec: dict[str, Any], workflow_ids: list[str]) -> dict[str, Any]:
    """A copy of `spec` with the differences of this module's docstring applied."""
    view = copy.deepcopy(spec)
    ours = set(covered_operations(spec))
    view["paths"] = {
        path: {
            method: operation
            for method, operation in item.items()
            if (method.upper(), path) in ours or method not in _METHODS
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
                if status.startswith("2") and not _sent_as_is(view, media["schema"]):
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
    create = view["paths"].get("/v2/subscribers", {}).get("post")
    if create is not None:
        create["responses"]["201"] = create["responses"]["200"]
    schemas = view["components"]["schemas"]
    subscriber = schemas["SubscriberResponseDto"]["properties"]
    for name in SDK_NULLABLE_SUBSCRIBER_FIELDS:
        subscriber[name]["nullable"] = True
    schemas["TriggerEventResponseDto"]["properties"]["status"]["enum"].append("invalid_recipients")
    for name, fields in (
        ("StepFilterDto", ("type", "value")),
        ("FieldFilterPartDto", ("operator", "on")),
    ):
        for field in fields:
            schemas[name]["properties"][field] = {"type": "string"}
    entry = schemas["ValidationErrorDto"]["properties"]["errors"]["additionalProperties"]
    entry["required"] = ["messages"]
    entry["properties"]["value"] = {}
    for dto in ("TriggerEventRequestDto", "TriggerEventToAllRequestDto"):
        name = schemas[dto]["properties"]["name"]
        schemas[dto]["properties"]["name"] = {"anyOf": [{"enum": workflow_ids}, name]}
    return view
