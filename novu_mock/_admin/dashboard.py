"""Handlers of the dashboard (`GET /_mock/`) and of the admin queries behind it.

The page is static HTML, CSS and JavaScript shipped in the package (`static/`); it polls
`/_mock/dashboard/version` and reads paged, filtered views from the other routes here. Like every
admin call, a call with `Authorization: ApiKey <key>` sees that key's environment only.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from .._core.errors import NovuError
from .._core.http import Reply
from .._core.request import Request
from .._model.records import TRIGGER_FILTERS
from .journal_view import (
    Selection,
    answer_of,
    deliveries,
    find,
    newest_first,
    rebuilt_answer,
    row,
    sent_of,
)

DEFAULT_LIMIT = 50
MAX_LIMIT = 500

_TYPES = {
    "html": "text/html; charset=utf-8",
    "css": "text/css; charset=utf-8",
    "js": "text/javascript; charset=utf-8",
}
ASSETS = ("dashboard.css", "dashboard.js")
# The page may talk to the mock and nothing else: no CDN, no fonts, no beacons.
_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)


@cache
def _static(name: str) -> bytes:
    return resources.files("novu_mock").joinpath("_admin", "static", name).read_bytes()


def _file_reply(name: str) -> Reply:
    headers = [
        ("content-type", _TYPES[name.rsplit(".", 1)[-1]]),
        ("cache-control", "no-cache"),
        ("x-content-type-options", "nosniff"),
    ]
    if name.endswith(".html"):
        headers.append(("content-security-policy", _CSP))
    return Reply(200, headers, _static(name))


def page(req: Request) -> Reply:
    """GET /_mock/: the dashboard."""
    return _file_reply("dashboard.html")


def asset(req: Request) -> Reply:
    """GET /_mock/dashboard/assets/{name}: the page's stylesheet and script."""
    name = req.params["name"]
    if name not in ASSETS:
        raise NovuError(404, f"Cannot GET {req.call.path}")
    return _file_reply(name)


def _number(query: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = query.get(name, "")
    if raw == "":
        return default
    # ASCII digits only: str.isdigit() takes "²" and "٣", which int() refuses.
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 12) or not low <= int(raw) <= high:
        raise NovuError(422, f"{name} must be an integer from {low} to {high}")
    return int(raw)


def _selection(req: Request, query: dict[str, str], filters: tuple[str, ...]) -> Selection:
    return Selection(
        env=req.env,
        masked=query.get("environment") or None,
        filters={name: query[name] for name in filters if query.get(name)},
        scoped=req.key is not None,
    )


def version(req: Request) -> Reply:
    """GET /_mock/dashboard/version: a cheap change signal for polling, and the environments."""
    engine = req.engine
    # A key sees its own environment only, as every admin call with a key does.
    body = {**engine.journal_summary(req.key), "environments": engine.environment_names(req.key)}
    body["warnings"] = [w["message"] for w in engine.warnings(req.key)]  # retry loops: a banner
    return Reply.json(200, body)


def triggers(req: Request) -> Reply:
    """GET /_mock/dashboard/triggers: one page of journal rows, newest first, with the total.

    Query: the filters of GET /_mock/triggers, `environment` (a masked key), `offset`, `limit`.
    """
    query = req.query()
    limit = _number(query, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    offset = _number(query, "offset", 0, 0, 10**9)
    selection = _selection(req, query, TRIGGER_FILTERS)
    records, total = newest_first(req.engine.trigger_journal(req.key), selection, offset, limit)
    body = {
        "data": [row(r) for r in records],
        "total": total,
        "offset": offset,
        "limit": limit,
    }
    return Reply.json(200, body)


def trigger(req: Request) -> Reply:
    """GET /_mock/dashboard/triggers/{seq}: one TriggerRecord, its answer and HTTP status."""
    raw = req.params["seq"]
    digits = raw.isascii() and raw.isdigit()
    record = find(req.engine.trigger_journal(req.key), int(raw)) if digits else None
    if record is None or (req.key is not None and record.environment is not req.env):
        raise NovuError(404, f"No trigger record {raw} in the journal")
    requests = req.engine.request_journal(req.key)
    found = answer_of(record, requests)
    body = {
        "seq": record.seq,
        **record.to_dict(),
        "answer": found[1] if found else rebuilt_answer(record),
        "sent": sent_of(record, requests),
        "httpStatus": found[0] if found else None,
    }
    return Reply.json(200, {"data": body})


def subscribers(req: Request) -> Reply:
    """GET /_mock/dashboard/subscribers: per subscriber, what it would have received, by channel
    and workflow. Query: `environment`, `subscriberId`, `workflowId`, `offset`, `limit`."""
    query = req.query()
    limit = _number(query, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    offset = _number(query, "offset", 0, 0, 10**9)
    entries = deliveries(
        req.engine.trigger_journal(req.key), _selection(req, query, ("workflowId",))
    )
    wanted = query.get("subscriberId")
    if wanted:
        entries = [e for e in entries if e["subscriberId"] == wanted]
    body = {
        "data": entries[offset : offset + limit],
        "total": len(entries),
        "offset": offset,
        "limit": limit,
    }
    return Reply.json(200, body)
