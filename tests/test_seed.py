"""Environments start from a seed compiled once (issues 11 and 18) and copy each store on first
use: a write in one key, or in one engine built from the same fixtures, never shows in another,
and every environment still gets its own ids and its own creation time."""

from __future__ import annotations

import json
from typing import Any

import pytest

from novu_mock import bundled
from novu_mock._core.engine import Engine
from novu_mock._core.http import Call
from novu_mock._model.clock import Clock, iso_utc


def _call(engine: Engine, key: str, method: str, path: str, body: Any = None) -> Any:
    headers = {"authorization": f"ApiKey {key}", "content-type": "application/json"}
    raw = b"" if body is None else json.dumps(body).encode()
    reply = engine.handle(Call(method, path, "", headers, raw))
    assert reply.status < 300, (path, reply.status, reply.body[:300])
    return json.loads(reply.body) if reply.body else None


def _write_everything(engine: Engine, key: str) -> None:
    """One write to every store a seed fills, through Novu's API."""
    _call(engine, key, "PATCH", "/v2/subscribers/user-1", {"firstName": "Changed"})
    _call(engine, key, "PATCH", "/v2/subscribers/user-3/preferences", {"channels": {"sms": False}})
    _call(engine, key, "PUT", "/v1/subscribers/user-3/credentials", {
        "providerId": "fcm", "credentials": {"deviceTokens": ["other-token"]}
    })  # fmt: skip
    _call(engine, key, "PATCH", "/v2/topics/beta-users", {"name": "Renamed"})
    _call(engine, key, "POST", "/v2/topics/beta-users/subscriptions", {"subscriberIds": ["user-3"]})
    _call(engine, key, "PATCH", "/v1/tenants/acme", {"name": "Changed", "data": {"tier": "free"}})
    integration = next(
        i for i in _call(engine, key, "GET", "/v1/integrations")["data"] if i["channel"] == "sms"
    )
    _call(engine, key, "PUT", f"/v1/integrations/{integration['_id']}", {"active": False})
    _call(engine, key, "POST", "/v1/events/trigger", {"name": "welcome", "to": "brand-new"})


def _stores(engine: Engine, key: str) -> dict[str, Any]:
    """What a key sees of its stores, without the ids and stamps each environment makes."""
    state = engine.state(key)
    return {kind: state[kind] for kind in ("subscribers", "tenants", "topics", "integrations")}


@pytest.fixture
def engine() -> Engine:
    return Engine([bundled()], clock=Clock())


def test_a_write_in_one_key_never_shows_in_another(engine: Engine) -> None:
    fresh = _stores(engine, "key-b")
    _write_everything(engine, "key-a")
    assert _stores(engine, "key-a") != fresh
    assert _stores(engine, "key-b") == fresh
    assert _stores(engine, "key-c") == fresh  # and not in one made after the writes


def test_engines_built_from_the_same_files_share_a_seed_but_not_its_stores() -> None:
    one, two = Engine([bundled()]), Engine([bundled()])
    assert one._seeded() is two._seeded()  # compiled once
    before = _stores(two, "same-key")
    _write_everything(one, "same-key")
    assert _stores(two, "same-key") == before
    assert _stores(Engine([bundled()]), "same-key") == before


def test_every_environment_has_its_own_ids(engine: Engine) -> None:
    a, b = (_call(engine, k, "GET", "/v2/subscribers/user-1")["data"] for k in ("ka", "kb"))
    assert a["_id"] != b["_id"]
    ids = [
        {i["identifier"]: i["_id"] for i in _call(engine, k, "GET", "/v1/integrations")["data"]}
        for k in ("ka", "kb")
    ]
    assert ids[0].keys() == ids[1].keys()
    assert not set(ids[0].values()) & set(ids[1].values())
    assert {
        i["_environmentId"] for i in _call(engine, "ka", "GET", "/v1/integrations")["data"]
    } == {engine.environment("ka").id}


def test_seeded_items_are_stamped_when_their_environment_is_made(engine: Engine) -> None:
    engine.clock = Clock.of_mode("virtual")
    engine.clock.set(1_700_000_000.0)
    engine.environment("stamped")
    engine.clock.advance(3600)  # the stores are copied later, on first use
    subscriber = _call(engine, "stamped", "GET", "/v2/subscribers/user-2")["data"]
    topic = _call(engine, "stamped", "GET", "/v2/topics/beta-users")["data"]
    assert subscriber["createdAt"] == topic["createdAt"] == iso_utc(1_700_000_000.0)


def test_a_reset_starts_again_from_the_seed(engine: Engine) -> None:
    fresh = _stores(engine, "key-a")
    first_id = _call(engine, "key-a", "GET", "/v2/subscribers/user-1")["data"]["_id"]
    _write_everything(engine, "key-a")
    engine.reset("key-a")
    assert _stores(engine, "key-a") == fresh
    assert _call(engine, "key-a", "GET", "/v2/subscribers/user-1")["data"]["_id"] != first_id
    _write_everything(engine, "key-a")
    engine.reset()
    assert _stores(engine, "key-a") == fresh


def test_fixture_dicts_changed_afterwards_do_not_reach_the_stores() -> None:
    doc: dict[str, Any] = {
        "subscribers": [{"subscriberId": "s", "data": {"plan": "pro"}, "channels": []}],
        "settings": {"recipientValidation": False},
    }
    engine = Engine([doc])
    posted: dict[str, Any] = {"tenants": [{"identifier": "t", "data": {"n": 1}}]}
    engine.add_fixtures(posted)
    doc["subscribers"][0]["data"]["plan"] = "free"
    doc["subscribers"].append({"subscriberId": "late"})
    posted["tenants"][0]["data"]["n"] = 2
    for key in ("before", "after"):
        state = engine.state(key)
        assert state["subscribers"][0]["data"] == {"plan": "pro"}
        assert [s["subscriberId"] for s in state["subscribers"]] == ["s"]
        assert state["tenants"][0]["data"] == {"n": 1}
        assert state["settings"] == {"recipientValidation": False}
    engine.reset()
    assert engine.state("again")["tenants"][0]["data"] == {"n": 1}


def test_posted_fixtures_reach_existing_and_later_environments(engine: Engine) -> None:
    engine.environment("early")  # its stores not copied yet
    posted = {
        "subscribers": [{"subscriberId": "posted"}],
        "settings": {"recipientValidation": False},
    }
    engine.add_fixtures(posted)
    for key in ("early", "late"):
        state = engine.state(key)
        assert "posted" in [s["subscriberId"] for s in state["subscribers"]]
        assert state["settings"] == {"recipientValidation": False}
    engine.add_fixtures({"tenants": [{"identifier": "mine"}]}, key="late")
    for key, has in (("late", True), ("early", False), ("fresh", False)):
        assert ("mine" in [t["identifier"] for t in engine.state(key)["tenants"]]) is has
