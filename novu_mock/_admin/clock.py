"""`GET/POST /_mock/clock`: the mock's clock and its pending work (DESIGN section 10)."""

from __future__ import annotations

from typing import Any

from .._core.errors import NovuError
from .._core.http import Reply
from .._core.request import Request
from .._model.clock import iso_utc, parse_duration, parse_iso

_SHOWN_JOBS = 100


def _body(req: Request) -> dict[str, Any]:
    engine = req.engine
    timeline = engine.timeline
    if req.key is not None:
        scheduler = req.env.scheduler if req.env is not None else None
        jobs = scheduler.pending_jobs(_SHOWN_JOBS) if scheduler is not None else []
        pending = scheduler.pending if scheduler is not None else 0
    else:
        jobs = timeline.pending_jobs(_SHOWN_JOBS)
        pending = timeline.pending()
    return {
        "now": iso_utc(engine.clock.now()),
        "mode": engine.clock.mode,
        "pending": pending,
        "nextDueAt": iso_utc(jobs[0].due) if jobs else None,
        "jobs": [job.to_dict() for job in jobs],
    }


def get_clock(req: Request) -> Reply:
    """GET /_mock/clock: now, mode, and the pending work (the key's environment, or all)."""
    return Reply.json(200, {"data": _body(req)})


def post_clock(req: Request) -> Reply:
    """POST /_mock/clock: `{"advance": "5m" | seconds}` or `{"set": ISO 8601}`; due work runs."""
    body = req.json_object()
    unknown = sorted(set(body) - {"advance", "set"})
    if unknown or len(body) != 1:
        raise NovuError(
            400,
            'Expected exactly one of "advance" (e.g. "5m", "90s", "2h", "1d" or seconds) or '
            '"set" (an ISO 8601 date)' + (f"; unknown: {', '.join(unknown)}" if unknown else ""),
        )
    timeline = req.engine.timeline
    if "advance" in body:
        seconds = parse_duration(body["advance"])
        if seconds is None:
            raise NovuError(
                400,
                'advance: expected a duration such as "5m", "90s", "2h", "1d" or a number of '
                f"seconds, not negative; got {body['advance']!r}",
            )
        timeline.advance(seconds)
    else:
        ts = parse_iso(body["set"])
        if ts is None:
            raise NovuError(
                400,
                f"set: expected an ISO 8601 date such as 2030-01-01T09:00:00Z; got {body['set']!r}",
            )
        timeline.set(ts)
    return Reply.json(200, {"data": _body(req)})
