"""Policies in front of Novu's handlers: injected faults, rate limits, idempotency."""
