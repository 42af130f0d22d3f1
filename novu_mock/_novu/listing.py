"""Query parsing and the two pagination styles of Novu's lists: page/limit (v1) and cursors (v2)."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import parse_qsl

from .._core.errors import field_problem, validation_error
from .._core.request import Request

Item = dict[str, Any]
Problems = dict[str, dict[str, Any]]


def query_lists(req: Request) -> dict[str, list[str]]:
    """Every value of every query parameter (`tags=a&tags=b`), in order."""
    out: dict[str, list[str]] = {}
    for name, value in parse_qsl(req.call.query, keep_blank_values=True):
        out.setdefault(name, []).append(value)
    return out


def integer(
    query: dict[str, str],
    name: str,
    default: int,
    problems: Problems,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    nan_below_minimum: bool = False,
) -> int:
    """A whole number from the query; SDKs send `10.0`, so any finite number that is whole
    parses. Problems get class-validator's messages (`limit must not be greater than 100`).
    `nan_below_minimum`: the DTO turns the text with `Number(value)` first, so a word is NaN
    and fails `@Min` too (`page must not be less than 0` before the integer message)."""
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        number = float(raw)
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or number != int(number):
        messages = [f"{name} must be an integer number"]
        if nan_below_minimum and minimum is not None and not number >= minimum:
            messages.insert(0, f"{name} must not be less than {minimum}")
        problems[name] = field_problem(messages, raw, True)
        return default
    value = int(number)
    if minimum is not None and value < minimum:
        problems[name] = field_problem([f"{name} must not be less than {minimum}"], value, True)
    elif maximum is not None and value > maximum:
        problems[name] = field_problem([f"{name} must not be greater than {maximum}"], value, True)
    return value


def one_of(
    query: dict[str, str], name: str, options: Sequence[str], default: str, problems: Problems
) -> str:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    if raw not in options:
        problems[name] = field_problem(
            [f"{name} must be one of the following values: {', '.join(options)}"], raw, True
        )
        return default
    return raw


def raise_problems(problems: Problems) -> None:
    if problems:
        raise validation_error(problems)


def page_and_limit(req: Request) -> tuple[int, int]:
    """`page` (from 0) and `limit` (1 to 100, default 10) of a v1 paginated list; 422 if bad."""
    query = req.query()
    problems: Problems = {}
    page = integer(query, "page", 0, problems, minimum=0)
    limit = integer(query, "limit", 10, problems, minimum=1, maximum=100)
    raise_problems(problems)
    return page, limit


def cursor_page(
    items: list[Item],
    req: Request,
    *,
    order_fields: Sequence[str],
    default_order: str = "createdAt",
    cursor_of: Callable[[Item], str] = lambda item: str(item["_id"]),
) -> dict[str, Any]:
    """One page of a v2 cursor list: `{data, next, previous, totalCount, totalCountCapped}`.

    Items keep their store order as the tie-break; `after`/`before` take the `_id` of an item
    (exclusive unless `includeCursor=true`); a cursor no longer in the list gives an empty page.
    """
    query = req.query()
    problems: Problems = {}
    limit = integer(query, "limit", 10, problems, minimum=1, maximum=100)
    direction = one_of(query, "orderDirection", ("ASC", "DESC"), "DESC", problems)
    order_by = one_of(query, "orderBy", order_fields, default_order, problems)
    raise_problems(problems)
    include = query.get("includeCursor", "").lower() == "true"
    indexed = list(enumerate(items))
    indexed.sort(key=lambda pair: (str(pair[1].get(order_by) or ""), pair[0]))
    ordered = [item for _, item in indexed]
    if direction == "DESC":
        ordered.reverse()
    ids = [cursor_of(item) for item in ordered]
    after, before = query.get("after"), query.get("before")
    if after:
        if after not in ids:
            return _page([], None, None, len(ordered))
        start = ids.index(after) + (0 if include else 1)
        end = start + limit
    elif before:
        if before not in ids:
            return _page([], None, None, len(ordered))
        end = ids.index(before) + (1 if include else 0)
        start = max(0, end - limit)
    else:
        start, end = 0, limit
    window = ordered[start:end]
    following = ids[end - 1] if window and end < len(ordered) else None
    preceding = ids[start] if window and start > 0 else None
    return _page(window, following, preceding, len(ordered))


def _page(
    data: list[Item], following: str | None, preceding: str | None, total: int
) -> dict[str, Any]:
    return {
        "data": data,
        "next": following,
        "previous": preceding,
        "totalCount": total,
        "totalCountCapped": False,
    }


def contains(value: Any, needle: str) -> bool:
    """Case-insensitive substring match, as Novu's list filters do."""
    return isinstance(value, str) and needle.lower() in value.lower()


def derived_id(*parts: str) -> str:
    """A stable ObjectId-shaped id for something the stores do not keep an id for (an
    integration, a subscription, a step): the same parts give the same id."""
    return hashlib.sha1("\x00".join(parts).encode("utf-8")).hexdigest()[:24]
