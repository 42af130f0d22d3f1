"""Kept for code written before the model was split: import from `environment`, `entities`,
`records` and `values` instead."""

from __future__ import annotations

from .entities import SUBSCRIBER_FIELDS, Topic, Workflow, new_subscriber, new_tenant
from .environment import Environment
from .records import RequestRecord, TriggerRecord, sent_ids
from .values import mask_key, object_id

__all__ = [
    "SUBSCRIBER_FIELDS",
    "Environment",
    "RequestRecord",
    "Topic",
    "TriggerRecord",
    "Workflow",
    "mask_key",
    "new_subscriber",
    "new_tenant",
    "object_id",
    "sent_ids",
]
