"""Novu endpoint coverage: which operations of Novu's OpenAPI document the route table answers.

python tests/openapi/coverage.py tests/openapi/novu-openapi.json   # prints the table of docs/endpoints.md
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from novu_mock._core.routes import ROUTES, Route

__all__ = ["implemented", "render", "spec_operations"]

_METHODS = ("get", "post", "put", "patch", "delete")
_PARAM = re.compile(r"\{[^}]*\}")


def _shape(method: str, path: str) -> tuple[str, str]:
    """Method and path with parameter names blanked: `{id}` and `{subscriberId}` are one route."""
    return method.upper(), _PARAM.sub("{}", path)


def implemented(routes: Iterable[Route] = ROUTES) -> list[tuple[str, str]]:
    """(METHOD, path template) of every Novu route, `/_mock` routes left out."""
    return [(r.method, r.template) for r in routes if not r.admin]


def spec_operations(spec: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(METHOD, path, summary) of every operation in an OpenAPI document, in its order."""
    out = []
    for path, item in spec.get("paths", {}).items():
        for method in _METHODS:
            operation = item.get(method)
            if operation is not None:
                out.append((method.upper(), path, str(operation.get("summary") or "").strip()))
    return out


def render(spec: Mapping[str, Any], routes: Iterable[Route] = ROUTES) -> str:
    """The endpoint coverage table of docs/endpoints.md (markdown), then routes missing from the document."""
    ours = {_shape(m, p) for m, p in implemented(routes)}
    documented = spec_operations(spec)
    lines = ["| Novu endpoint | Operation | novu-mock |", "| --- | --- | --- |"]
    for method, path, summary in documented:
        mark = "implemented" if _shape(method, path) in ours else "not implemented"
        summary = summary.replace("|", "\\|")
        lines.append(f"| `{method} {path}` | {summary} | {mark} |")
    known = {_shape(m, p) for m, p, _ in documented}
    extra = [(m, p) for m, p in implemented(routes) if _shape(m, p) not in known]
    for method, path in extra:
        lines.append(f"| `{method} {path}` | (not in Novu's OpenAPI document) | implemented |")
    count = sum(1 for m, p, _ in documented if _shape(m, p) in ours)
    lines.append("")
    lines.append(f"{count} of {len(documented)} documented operations implemented.")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python tests/openapi/coverage.py NOVU-OPENAPI.json", file=sys.stderr)
        return 2
    spec = json.loads(Path(args[0]).read_text("utf-8"))
    sys.stdout.write(render(spec))
    return 0


if __name__ == "__main__":
    sys.exit(main())
