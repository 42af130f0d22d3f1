"""Which channels a subscriber gets for a workflow (Novu's preference resolution).

Order: `critical: true` ignores every preference; otherwise the subscriber's per-workflow choice,
else the subscriber's global one, else the workflow's default (`preferences.channels.<ch>.enabled`,
then `preferences.all.enabled`, then on). A workflow default with `all.readOnly: true` cannot be
overridden by subscribers, as in Novu.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .._model.entities import Workflow

# Novu's execution-detail texts for a step that preferences skip (DETAILS below picks one);
# the other texts are in model.py.
BY_WORKFLOW_PREFERENCE = "Step filtered by subscriber workflow preferences"
BY_GLOBAL_PREFERENCE = "Step filtered by subscriber global preferences"
BY_WORKFLOW_DEFAULT = "Step filtered by workflow preferences"


def workflow_default(workflow: Workflow, channel: str) -> bool:
    prefs = workflow.preferences or {}
    own = (prefs.get("channels") or {}).get(channel)
    if isinstance(own, dict) and isinstance(own.get("enabled"), bool):
        return bool(own["enabled"])
    every = prefs.get("all") or {}
    return bool(every.get("enabled", True))


def preset(workflow: Workflow, channel: str) -> tuple[bool, str] | None:
    """(enabled, level) when the workflow alone decides (`critical`, or a default subscribers
    cannot override); None when the subscriber's preferences count."""
    if workflow.critical:
        return True, "critical"
    if ((workflow.preferences or {}).get("all") or {}).get("readOnly"):
        return workflow_default(workflow, channel), "readOnly"
    return None


def by_workflow(workflow: Workflow, channel: str) -> tuple[bool, str]:
    """(enabled, level) for a subscriber without stored preferences."""
    return workflow_default(workflow, channel), "workflow"


def resolve(workflow: Workflow, subscriber: dict[str, Any], channel: str) -> tuple[bool, str]:
    """(enabled, level): level is `critical`, `readOnly`, `subscriber_workflow`,
    `subscriber_global` or `workflow`."""
    fixed = preset(workflow, channel)
    if fixed is not None:
        return fixed
    stored = subscriber.get("preferences") or {}
    own = (stored.get("workflows") or {}).get(workflow.workflow_id) or {}
    if isinstance(own.get(channel), bool):
        return own[channel], "subscriber_workflow"
    global_channels = stored.get("channels") or {}
    if isinstance(global_channels.get(channel), bool):
        return global_channels[channel], "subscriber_global"
    return by_workflow(workflow, channel)


DETAILS = {
    "subscriber_workflow": BY_WORKFLOW_PREFERENCE,
    "subscriber_global": BY_GLOBAL_PREFERENCE,
    "workflow": BY_WORKFLOW_DEFAULT,
    "readOnly": BY_WORKFLOW_DEFAULT,
}
