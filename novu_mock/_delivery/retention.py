"""How much delivery history an environment keeps: its newest `limit` messages and notifications
(they count toward the per-environment journal limit, issue 11), the oldest going first.

A notification and its messages point at each other (notification -> job -> message ->
notification), so what is dropped would wait for the cyclic garbage collector; the server
freezes its survivors for throughput (`_transports.memory.ServerMemory`), and frozen cycles are only
freed by its sweep about once a minute, so a busy server grew by ~50 KB a bulk(100) call. A
dropped notification's links are cut here, and reference counting frees it at once; one whose
run is still held at a delay or digest is cut when that run ends (`Environment.retired`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .._model.environment import Environment
    from .model import Message


def trim(env: Environment, limit: int) -> None:
    """Drop the oldest messages past `limit`, then the oldest notifications past `limit` with
    the messages they still have (a notification dropped takes its messages with it)."""
    messages = env.messages
    if len(messages) > limit:
        for message in messages[: len(messages) - limit]:
            message.listed = False  # its job still shows it in the activity feed
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
    doomed: set[Message] = set()
    for notification in [*dropped, *retired]:
        if notification in held:
            retired.add(notification)
            continue
        retired.discard(notification)
        for job in notification.jobs:
            message = job.message
            if message is not None:
                job.message = None  # cuts notification -> job -> message -> notification
                if message.listed:
                    doomed.add(message)
    if doomed:
        _remove(messages, doomed)


def _remove(messages: list[Message], doomed: set[Message]) -> None:
    """Take `doomed` (all in `messages`) out of `messages`, keeping the order. They are the
    messages of the oldest notifications, so nearly always at the front: the scan stops at the
    last of them, where rebuilding the list cost a pass over up to `limit` messages per trim."""
    left = len(doomed)
    kept: list[Message] = []
    for index, message in enumerate(messages):
        if message in doomed:
            message.listed = False
            left -= 1
            if not left:
                messages[: index + 1] = kept
                return
        else:
            kept.append(message)
    raise AssertionError("a doomed message was not listed")  # pragma: no cover
