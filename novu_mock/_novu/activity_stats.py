"""Novu's activity statistics (apps/api/src/app/notifications/usecases/get-activity-stats and
get-activity-graph-states, counted as libs/dal's notification repository counts them) over the
notifications the delivery run made: one per processed trigger and recipient."""

from __future__ import annotations

import calendar
import math
import time
from typing import Any

from .._core.http import Reply
from .._core.request import Request

CHANNELS = ("in_app", "email", "sms", "chat", "push")
DAY = 86400.0
WEEK = 7 * DAY


def _month_before(now: float) -> float:
    """date-fns subMonths(now, 1) in UTC: the same day and time of the previous month, the day
    clamped to that month's length."""
    t = time.gmtime(now)
    year, month = (t.tm_year, t.tm_mon - 1) if t.tm_mon > 1 else (t.tm_year - 1, 12)
    day = min(t.tm_mday, calendar.monthrange(year, month)[1])
    midnight = calendar.timegm((year, month, day, 0, 0, 0, 0, 0, 0))
    return midnight + (now - calendar.timegm((t.tm_year, t.tm_mon, t.tm_mday, 0, 0, 0, 0, 0, 0)))


def _notifications(req: Request) -> list[Any]:
    return list(getattr(req.environment(), "notifications", []))


def _channels(notification: Any) -> list[str]:
    steps = getattr(notification.workflow, "steps", [])
    types = [s.get("type") for s in steps if isinstance(s, dict) and s.get("active", True)]
    return [t for t in dict.fromkeys(types) if t in CHANNELS]


def stats(req: Request) -> Reply:
    """GET /v1/notifications/stats: notifications of the last week and of the last month."""
    now = req.now
    month = _month_before(now)
    created = [n.created_at for n in _notifications(req)]
    weekly = sum(1 for at in created if at >= now - WEEK)
    monthly = sum(1 for at in created if at >= month)
    return Reply.json(200, {"data": {"weeklySent": weekly, "monthlySent": monthly}})


def graph_stats(req: Request) -> Reply:
    """GET /v1/notifications/graph/stats?days=32: per UTC day of the last `days`, the number of
    (notification, channel) pairs, the workflows and the channels; newest day first."""
    raw = req.query().get("days")
    try:
        days = float(raw) if raw else 32.0
    except ValueError:
        days = 32.0
    if not math.isfinite(days):
        days = 32.0
    since = req.now - days * DAY
    groups: dict[str, dict[str, Any]] = {}
    for notification in _notifications(req):
        if notification.created_at < since:
            continue
        channels = _channels(notification)
        if not channels:
            continue
        day = time.strftime("%Y-%m-%d", time.gmtime(notification.created_at))
        group = groups.setdefault(day, {"_id": day, "count": 0, "templates": [], "channels": []})
        group["count"] += len(channels)
        if notification.workflow.id not in group["templates"]:
            group["templates"].append(notification.workflow.id)
        for channel in channels:
            if channel not in group["channels"]:
                group["channels"].append(channel)
    data = [groups[day] for day in sorted(groups, reverse=True)]
    return Reply.json(200, {"data": data})
