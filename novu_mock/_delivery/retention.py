"""How much delivery history an environment keeps: its newest `limit` messages and notifications
(they count toward the per-environment journal limit, issue 11), the oldest going first.

A notification and its messages point at each other (notification -> job -> message ->
notification), so what is dropped would wait for the cyclic garbage collector; the server
freezes its survivors for throughput (`_cli._freeze_survivors`), and frozen cycles are only
freed by its sweep about once a minute, so a busy server grew by ~50 KB a bulk(100) call. A
dropped notification's links are cut here, and reference counting frees it at once; one whose
run is still held at a delay or digest is cut when that run ends (`Environment.retired`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .._model.environment import Environment


def trim(env: Environment, limit: int) -> None:
    """Drop the oldest messages past `limit`, then the oldest notifications past `limit` with
    the messages they still have (a notification dropped takes its messages with it)."""
    messages = env.messages
    if len(messages) > limit:
        del messages[: len(messages) - limit]
    notifications = env.notifications
    retired = env.retired
    if len(notifications) <= limit and not retired:
        return
    dropped = notifications[: max(len(notifications) - limit, 0)]
    del notifications[: len(dropped)]
    # A run held at a delay or digest still needs its notification: it is retired, and let go
    # (with the messages its run made meanwhile) once the run has ended.
    held = {run.notification for run in env.suspended} if env.suspended else set()
    gone = set()
    for notification in [*dropped, *retired]:
        if notification in held:
            retired.add(notification)
            continue
        retired.discard(notification)
        gone.add(notification)
        for job in notification.jobs:
            job.message = None  # cuts notification -> job -> message -> notification
    if gone:
        messages[:] = [m for m in messages if m.notification not in gone]
