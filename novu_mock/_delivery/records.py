"""Delivery as tests read it: messages and skips of one environment or all, oldest first."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .model import Job, Notification, skip_dict

if TYPE_CHECKING:
    from .._core.request import Host as Engine
    from .._model.environment import Environment

FILTERS = ("subscriberId", "channel", "workflowId", "transactionId")


def settled(engine: Engine, key: str | None) -> list[Environment]:
    """The environments of `key` (all without one), their queued runs done. Call under
    `engine.locked()`."""
    return engine.delivered(key)


def _matches(doc: dict[str, Any], filters: dict[str, str]) -> bool:
    return all(doc.get(name) == value for name, value in filters.items() if value is not None)


def message_records(engine: Engine, key: str | None = None, **filters: str) -> list[dict[str, Any]]:
    with engine.locked():
        out: list[dict[str, Any]] = []
        for env in settled(engine, key):
            out.extend(m.to_dict() for m in env.messages if not m.deleted)
    out = [doc for doc in out if _matches(doc, filters)]
    if key is None:
        out.sort(key=lambda doc: doc["createdAt"])  # stable: per-environment order kept
    return out


def skipped_jobs(env: Environment) -> Iterator[tuple[Notification, Job]]:
    for notification in env.notifications:
        for job in notification.jobs:
            if job.skip is not None:
                yield notification, job


def skip_records(engine: Engine, key: str | None = None, **filters: str) -> list[dict[str, Any]]:
    with engine.locked():
        out: list[dict[str, Any]] = []
        for env in settled(engine, key):
            out.extend(skip_dict(n, j) for n, j in skipped_jobs(env))
    out = [doc for doc in out if _matches(doc, filters)]
    if key is None:
        out.sort(key=lambda doc: doc["createdAt"])
    return out
