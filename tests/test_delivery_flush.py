"""One flush runs many queued triggers and works out once what they share (`_delivery/run.py`
`Derived`: subscriber and tenant copies for templates, integration choices). Triggers that
differ in what those depend on, queued together, must each get their own answer, and a change
between two triggers must reach only the later one."""

from __future__ import annotations

import json
from typing import Any

from novu_mock import Call, Engine, bundled

HEADERS = {"authorization": "ApiKey k", "content-type": "application/json"}
PEOPLE = {
    "subscribers": [
        {"subscriberId": "ada", "firstName": "Ada", "email": "ada@example.com"},
        {"subscriberId": "bob", "firstName": "Bob", "email": "bob@example.com"},
    ],
    "tenants": [{"identifier": "acme", "name": "Acme"}, {"identifier": "other", "name": "Other"}],
}


def _call(engine: Engine, method: str, path: str, body: Any = None, query: str = "") -> Any:
    raw = json.dumps(body).encode() if body is not None else b""
    reply = engine.handle(Call(method, path, query, HEADERS, raw))
    assert reply.status < 300, reply.body
    return reply.payload


def _messages(engine: Engine) -> dict[str, list[tuple[str, str, str]]]:
    out: dict[str, list[tuple[str, str, str]]] = {}
    for m in _call(engine, "GET", "/v1/messages", query="limit=100")["data"]:
        out.setdefault(m["transactionId"], []).append(
            (m["channel"], m["providerId"], m.get("subject") or m["content"])
        )
    return out


def test_triggers_queued_together_each_get_their_own_integration() -> None:
    engine = Engine([bundled(), PEOPLE])
    _call(
        engine,
        "POST",
        "/v1/integrations",
        {"providerId": "ses", "channel": "email", "identifier": "ses-eu", "active": True},
    )
    acme_only = [
        {
            "children": [
                {"on": "tenant", "field": "identifier", "operator": "EQUAL", "value": "acme"}
            ]
        }
    ]
    _call(
        engine,
        "POST",
        "/v1/integrations",
        {
            "providerId": "mailgun",
            "channel": "email",
            "identifier": "acme-mail",
            "active": True,
            "conditions": acme_only,
        },
    )
    base = {"name": "password-reset", "to": "ada", "payload": {"resetUrl": "https://x"}}
    events = [
        {**base, "transactionId": "plain"},
        {
            **base,
            "transactionId": "named",
            "overrides": {"email": {"integrationIdentifier": "ses-eu"}},
        },
        {
            **base,
            "transactionId": "unknown",
            "overrides": {"email": {"integrationIdentifier": "nope"}},
        },
        {**base, "transactionId": "acme", "tenant": "acme"},
        {**base, "transactionId": "other", "tenant": {"identifier": "other"}},
        {**base, "transactionId": "missing-tenant", "tenant": "nowhere"},
        {**base, "transactionId": "plain-again"},
    ]
    _call(engine, "POST", "/v1/events/trigger/bulk", {"events": events})
    providers = {txn: [p for _, p, _ in found] for txn, found in _messages(engine).items()}
    assert providers == {
        "plain": ["sendgrid"],
        "named": ["ses"],
        "acme": ["mailgun"],
        "other": ["sendgrid"],
        "plain-again": ["sendgrid"],
    }
    skips = _call(engine, "GET", "/_mock/skips")["data"]
    assert [(s["transactionId"], s["reason"]) for s in skips] == [("unknown", "no_integration")]


def test_a_change_between_triggers_reaches_only_the_later_ones() -> None:
    engine = Engine([bundled(), PEOPLE])

    def welcome(txn: str, to: list[str], **more: Any) -> dict[str, Any]:
        return {"name": "welcome", "to": to, "transactionId": txn, **more}

    # Queued together, the same subscriber (also the actor) and tenant for several triggers.
    _call(
        engine,
        "POST",
        "/v1/events/trigger/bulk",
        {
            "events": [
                welcome("one", ["ada", "bob"], tenant="acme", actor="bob"),
                welcome("two", ["ada"], tenant="acme", actor="bob"),
            ]
        },
    )
    _call(engine, "PUT", "/v1/subscribers/ada", {"firstName": "Adele"})
    _call(engine, "PATCH", "/v1/tenants/acme", {"name": "Acme Two"})
    _call(engine, "POST", "/v1/events/trigger", welcome("three", ["ada"], tenant="acme"))
    inbox = {
        txn: sorted(subject for channel, _, subject in found if channel == "in_app")
        for txn, found in _messages(engine).items()
    }
    assert inbox == {
        "one": ["Welcome, Ada!", "Welcome, Bob!"],
        "two": ["Welcome, Ada!"],
        "three": ["Welcome, Adele!"],
    }
    emails = {
        txn: [text for channel, _, text in found if channel == "email"]
        for txn, found in _messages(engine).items()
    }
    assert [len(emails[t]) for t in ("one", "two", "three")] == [2, 1, 1]
    rendered = {
        m["transactionId"]: m["content"]
        for m in _call(engine, "GET", "/v1/messages", query="limit=100&channel=email")["data"]
        if m["_subscriberId"]
    }
    assert "at Acme." in rendered["two"] and "at Acme Two." in rendered["three"]
