"""`novu-mock serve`'s log: one line per request on stdout (`--quiet` turns it off).

    POST /v1/events/trigger 201 welcome 0.4ms
    GET /v2/subscribers/user-1 404 - 0.2ms

The workflow column is the trigger's `name` (several for a bulk, `-` when none). Warnings the
engine raises (a client stuck in a retry loop) are printed whether or not the log is quiet. The
lines leave through a `LineWriter` (output.py): a stdout nobody reads holds no request up.
"""

from __future__ import annotations

import json
from typing import TextIO

from .._core.http import Call, Reply
from .output import BACKLOG, LineWriter


def workflows_of(call: Call) -> str:
    """The workflowIds a trigger, bulk or broadcast names, comma-separated; `-` otherwise."""
    if call.method.upper() != "POST" or "/events/trigger" not in call.path or not call.body:
        return "-"
    try:
        body = json.loads(call.body)
    except (ValueError, RecursionError):
        return "-"
    if not isinstance(body, dict):
        return "-"
    names: list[str] = []
    if isinstance(body.get("name"), str):
        names.append(body["name"])
    events = body.get("events")
    if isinstance(events, list):
        for event in events:
            name = event.get("name") if isinstance(event, dict) else None
            if isinstance(name, str) and name not in names:
                names.append(name)
    return ",".join(names) if names else "-"


class AccessLog:
    """One line per request to `stream` (stdout by default) unless `quiet`, and every warning;
    `close()` writes what is left and a last line, waiting at most `timeout` for a reader."""

    def __init__(
        self, quiet: bool = False, stream: TextIO | None = None, backlog: int = BACKLOG
    ) -> None:
        self.quiet = quiet
        self.lines = LineWriter("stdout", "read it, or pass --quiet", stream, backlog)

    def __call__(self, call: Call, reply: Reply, ms: float) -> None:
        if not self.quiet:
            status = {"drop": "dropped", "timeout": "stalled"}.get(reply.connection or "", "")
            shown = status or str(reply.status)
            self.lines.put(
                f"{call.method.upper()} {call.url} {shown} {workflows_of(call)} {ms:.1f}ms\n"
            )
        if reply.warning:
            # A client in a retry loop is warned about on every refused attempt: bounded too.
            self.lines.put(f"WARNING {reply.warning}\n", 2 * self.lines.backlog)

    def close(self, last: str | None = None, timeout: float = 2.0) -> None:
        self.lines.close(last, timeout)
