"""Tenants v1 (contract 9.3) on the store triggers check for `no_tenant_found`."""

from __future__ import annotations

from conftest import Api
from entity_support import A_STAMP, AN_ID, env_of, error, invalid, ok


def test_create_get_and_trigger_sees_it(api: Api) -> None:
    env = env_of(api)
    created = api.post("/v1/tenants", {"identifier": "globex", "name": "Globex", "data": {"x": 1}})
    assert created.status_code == 201
    expected = {
        "_id": AN_ID,
        "identifier": "globex",
        "name": "Globex",
        "data": {"x": 1},
        "_environmentId": env.id,
        "createdAt": A_STAMP,
        "updatedAt": A_STAMP,
    }
    assert created.json() == {"data": expected}
    assert ok(api.get("/v1/tenants/globex")) == created.json()
    trigger = ok(
        api.post("/v1/events/trigger", {"name": "welcome", "to": "user-1", "tenant": "globex"}), 201
    )
    assert trigger["data"]["status"] == "processed"
    assert {"identifier": "globex", "name": "Globex", "data": {"x": 1}} in api.state()["tenants"]


def test_create_conflict_and_validation(api: Api) -> None:
    env = env_of(api)
    dup = api.post("/v1/tenants", {"identifier": "acme", "name": "Acme"})
    assert dup.json() == error(
        409,
        "/v1/tenants",
        f"Tenant with identifier: acme already exists under environment {env.id}",
        "Conflict",
    )
    bad = api.post("/v1/tenants", {"data": []})
    assert bad.json() == invalid(
        "/v1/tenants",
        {
            "identifier": {
                "messages": ["identifier should not be empty", "identifier must be a string"]
            },
            "name": {"messages": ["name should not be empty", "name must be a string"]},
            "data": {"messages": ["data must be an object"], "value": []},
        },
    )


def test_get_missing_is_404(api: Api) -> None:
    env = env_of(api)
    response = api.get("/v1/tenants/nope")
    assert response.json() == error(
        404,
        "/v1/tenants/nope",
        f"Tenant with identifier: nope does not exist under environment {env.id}",
        "Not Found",
    )


def test_create_empty_identifier_is_not_empty_message(api: Api) -> None:
    """Novu's create-tenant e2e: `identifier should not be empty` (CreateTenantCommand)."""
    bad = api.post("/v1/tenants", {"identifier": "", "name": "N"})
    assert bad.json() == invalid(
        "/v1/tenants",
        {"identifier": {"messages": ["identifier should not be empty"], "value": ""}},
    )


def test_list_is_newest_first(api: Api) -> None:
    """Novu's get-tenants e2e: five tenants created in order come back identifier_4 first."""
    seeded = list(env_of(api).tenants)
    for i in range(5):
        ok(api.post("/v1/tenants", {"identifier": f"identifier_{i}", "name": "n"}), 201)
    body = ok(api.get("/v1/tenants", params={"limit": "100"}))
    created = [f"identifier_{i}" for i in reversed(range(5))]
    assert [t["identifier"] for t in body["data"]] == created + list(reversed(seeded))


def test_list_pages(api: Api) -> None:
    for i in range(3):
        ok(api.post("/v1/tenants", {"identifier": f"t{i}", "name": f"T{i}"}), 201)
    everyone = list(reversed(env_of(api).tenants))
    body = ok(api.get("/v1/tenants", params={"page": "1", "limit": "2.0"}))
    assert [t["identifier"] for t in body["data"]] == everyone[2:4]
    assert body["page"] == 1 and body["pageSize"] == 2
    assert body["hasMore"] is (len(everyone) > 4)


def test_patch_renames_and_conflicts(api: Api) -> None:
    env = env_of(api)
    ok(api.post("/v1/tenants", {"identifier": "old", "name": "Old"}), 201)
    renamed = ok(api.patch("/v1/tenants/old", {"identifier": "new", "data": {"d": 2}}))["data"]
    assert (renamed["identifier"], renamed["name"], renamed["data"]) == ("new", "Old", {"d": 2})
    assert "old" not in env.tenants and "new" in env.tenants
    clash = api.patch("/v1/tenants/new", {"identifier": "acme"})
    assert clash.json() == error(
        409,
        "/v1/tenants/new",
        f"Tenant with identifier: acme already exists under environment {env.id}",
        "Conflict",
    )
    assert api.patch("/v1/tenants/old", {"name": "x"}).status_code == 404


def test_delete(api: Api) -> None:
    ok(api.post("/v1/tenants", {"identifier": "gone", "name": "Gone"}), 201)
    response = api.delete("/v1/tenants/gone")
    assert response.status_code == 204 and response.content == b""
    assert api.delete("/v1/tenants/gone").status_code == 404
    trigger = ok(
        api.post("/v1/events/trigger", {"name": "welcome", "to": "user-1", "tenant": "gone"}), 201
    )
    assert trigger["data"]["status"] == "no_tenant_found"
