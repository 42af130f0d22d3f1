"""Novu's API behaviour, one module per resource (events, subscribers, topics, tenants,
workflows)."""
