"""Liquid templates of step content, compiled once, rendered as Novu renders them.

Novu renders step content with liquidjs: undefined variables render empty, unknown filters are
skipped (`strictFilters: false`), and `json` serialises a value. python-liquid follows the same
Shopify Liquid grammar; a template that does not parse is a fixture error.
"""

from __future__ import annotations

import functools
import json
from io import StringIO
from typing import Any


def _json(value: Any, *_: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    except (TypeError, ValueError):
        return ""


def _to_sentence(value: Any, *args: Any) -> str:
    """Novu's `toSentence`: `a, b and c`."""
    items = [str(v) for v in value] if isinstance(value, list) else [str(value)]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _pluralize(value: Any, singular: Any = "", plural: Any = None) -> str:
    """Novu's `pluralize`: `3 items`."""
    count = value if isinstance(value, (int, float)) else 0
    word = str(singular) if count == 1 else str(plural if plural is not None else f"{singular}s")
    return f"{value} {word}"


@functools.cache
def _environment() -> Any:
    # python-liquid loads with the first template that has tags, not with the package: a suite
    # whose tests never trigger content does not pay its import.
    from liquid import Environment

    env = Environment(strict_filters=False)
    env.filters["json"] = _json
    env.filters["toSentence"] = _to_sentence
    env.filters["pluralize"] = _pluralize
    return env


class Template:
    """One compiled template; plain text without tags renders as itself at no cost."""

    __slots__ = ("_bound", "_direct", "source")

    def __init__(self, source: str) -> None:
        self.source = source
        self._bound = (
            _environment().from_string(source) if ("{{" in source or "{%" in source) else None
        )
        # `BoundTemplate.render(**context)` copies the context into a chain with the template's
        # front matter and globals, and both are empty here: the context itself is what it
        # would look names up in, so a render context made on it gives the same text for about
        # a fifth less time (python-liquid's public `render_with_context`).
        bound = self._bound
        self._direct = (
            bound is not None
            and not bound.matter
            and not bound.globals
            and bound.env.output_stream_limit is None
        )

    def render(self, context: dict[str, Any]) -> str:
        bound = self._bound
        if bound is None:
            return self.source
        try:
            if not self._direct:
                return str(bound.render(**context))
            buffer = StringIO()
            bound.render_with_context(bound.context_class(bound, globals=context), buffer)
            return buffer.getvalue()
        except _liquid_error():
            # Novu renders what it can; a failing filter leaves the output empty.
            return ""


@functools.cache
def _liquid_error() -> type[Exception]:
    from liquid.exceptions import LiquidError

    return LiquidError


# Bounded: the cache outlives environments, and a long-running server may see many workflows.
@functools.lru_cache(maxsize=4096)
def compile_template(source: str) -> Template:
    """The compiled template of `source` (one per distinct text); LiquidError if it does not
    parse."""
    return Template(source)


def template_problem(source: Any) -> str | None:
    """Why `source` is not a usable template, or None."""
    if not isinstance(source, str):
        return f"expected a Liquid template (a string); got {type(source).__name__}"
    from liquid.exceptions import LiquidError

    try:
        compile_template(source)
    except LiquidError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return f"expected a Liquid template that parses; {first}"
    return None
