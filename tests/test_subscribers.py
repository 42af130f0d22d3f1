"""Subscribers v1 and v2 (contract 9.1, 9.2, 9.6) on the store triggers use."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import Api
from entity_support import A_STAMP, AN_ID, env_of, error, invalid, ok


def _expected(api: Api, subscriber_id: str, **fields: Any) -> dict[str, Any]:
    env = env_of(api)
    return {
        "_id": AN_ID,
        **{
            k: v
            for k, v in fields.items()
            if k in ("firstName", "lastName", "email", "phone", "avatar")
        },
        "subscriberId": subscriber_id,
        **{k: v for k, v in fields.items() if k in ("locale", "timezone", "data")},
        "channels": fields.get("channels", []),
        "topics": fields.get("topics", []),
        "isOnline": None,
        "lastOnlineAt": None,
        "_organizationId": env.organization_id,
        "_environmentId": env.id,
        "deleted": False,
        "createdAt": A_STAMP,
        "updatedAt": A_STAMP,
        "__v": 0,
    }


# -- v2 ----------------------------------------------------------------------------------------


def test_v2_create_answers_201_with_the_subscriber(api: Api) -> None:
    body = ok(
        api.post(
            "/v2/subscribers",
            {
                "subscriberId": "new-1",
                "email": "n@example.com",
                "firstName": "Nia",
                "data": {"a": 1},
            },
        ),
        201,
    )
    assert body == {
        "data": _expected(api, "new-1", email="n@example.com", firstName="Nia", data={"a": 1})
    }
    assert ok(api.get("/v2/subscribers/new-1"))["data"] == body["data"]


def test_v2_create_is_an_upsert(api: Api) -> None:
    first = ok(api.post("/v2/subscribers", {"subscriberId": "u", "firstName": "A"}), 201)["data"]
    second = ok(api.post("/v2/subscribers", {"subscriberId": "u", "lastName": "B"}), 201)["data"]
    assert second["_id"] == first["_id"]
    assert (second["firstName"], second["lastName"]) == ("A", "B")


def test_v2_create_fail_if_exists_is_409(api: Api) -> None:
    response = api.post("/v2/subscribers?failIfExists=true", {"subscriberId": "user-1"})
    assert response.status_code == 409
    assert response.json() == error(
        409,
        "/v2/subscribers?failIfExists=true",
        'Subscriber with id "user-1" already exists',
        "Conflict",
    )
    assert ok(api.post("/v2/subscribers?failIfExists=true", {"subscriberId": "fresh"}), 201)


def test_v2_create_validation(api: Api) -> None:
    response = api.post("/v2/subscribers", {"email": "not-an-email", "firstName": 3})
    assert response.status_code == 422
    assert response.json() == invalid(
        "/v2/subscribers",
        {
            "subscriberId": {
                "messages": [
                    "subscriberId should not be null or undefined",
                    "subscriberId must be a string",
                ]
            },
            "email": {"messages": ["email must be an email"], "value": "not-an-email"},
            "firstName": {"messages": ["firstName must be a string"], "value": 3},
        },
    )


def test_v2_get_missing_is_404(api: Api) -> None:
    response = api.get("/v2/subscribers/ghost")
    assert response.json() == error(
        404, "/v2/subscribers/ghost", "Subscriber: ghost was not found", "Not Found"
    )


def test_v2_patch_sets_fields_and_nulls(api: Api) -> None:
    body = ok(
        api.patch("/v2/subscribers/user-1", {"lastName": "King", "email": None, "data": None})
    )
    entity = body["data"]
    assert entity["lastName"] == "King"
    assert entity["email"] is None
    assert "data" not in entity
    assert entity["firstName"] == "Ada"
    missing = api.patch("/v2/subscribers/ghost", {"firstName": "x"})
    assert missing.status_code == 404
    assert missing.json()["message"] == "Subscriber: ghost was not found"


def test_v2_delete_removes_the_subscriber_and_its_memberships(api: Api) -> None:
    assert "user-1" in env_of(api).topics["beta-users"].members
    body = ok(api.delete("/v2/subscribers/user-1"))
    assert body == {"data": {"acknowledged": True, "status": "deleted"}}
    assert "user-1" not in env_of(api).topics["beta-users"].members
    assert api.get("/v2/subscribers/user-1").status_code == 404
    again = api.delete("/v2/subscribers/user-1")
    assert again.status_code == 404
    assert again.json() == {
        "statusCode": 404,
        "timestamp": A_STAMP,
        "path": "/v2/subscribers/user-1",
        "message": "Subscriber was not found",
        "externalSubscriberId": "user-1",
    }


def test_v2_search_filters_and_counts(api: Api) -> None:
    body = ok(api.get("/v2/subscribers", params={"email": "ADA@"}))
    assert [s["subscriberId"] for s in body["data"]] == ["user-1"]
    assert body["totalCount"] == 1
    assert body["totalCountCapped"] is False
    assert body["next"] is None and body["previous"] is None
    assert body["data"][0]["topics"] == ["beta-users"]
    by_name = ok(api.get("/v2/subscribers", params={"name": "grace hop"}))
    assert [s["subscriberId"] for s in by_name["data"]] == ["user-3"]
    by_phone = ok(api.get("/v2/subscribers", params={"phone": "5550100"}))
    assert [s["subscriberId"] for s in by_phone["data"]] == ["user-3"]
    by_id = ok(api.get("/v2/subscribers", params={"subscriberId": "user-2"}))
    assert [s["subscriberId"] for s in by_id["data"]] == ["user-2"]


def test_v2_search_cursor_pagination(api: Api) -> None:
    everyone = list(env_of(api).subscribers)
    ascending = {"orderDirection": "ASC", "limit": "2.0"}
    first = ok(api.get("/v2/subscribers", params=ascending))
    assert [s["subscriberId"] for s in first["data"]] == everyone[:2]
    assert first["previous"] is None
    assert first["next"] == first["data"][-1]["_id"]
    assert first["totalCount"] == len(everyone)
    second = ok(api.get("/v2/subscribers", params={**ascending, "after": first["next"]}))
    assert [s["subscriberId"] for s in second["data"]] == everyone[2:4]
    assert second["previous"] == second["data"][0]["_id"]
    back = ok(api.get("/v2/subscribers", params={**ascending, "before": second["previous"]}))
    assert [s["subscriberId"] for s in back["data"]] == everyone[:2]
    inclusive = ok(
        api.get(
            "/v2/subscribers", params={**ascending, "after": first["next"], "includeCursor": "true"}
        )
    )
    assert [s["subscriberId"] for s in inclusive["data"]] == everyone[1:3]
    descending = ok(api.get("/v2/subscribers", params={"limit": 100}))
    assert [s["subscriberId"] for s in descending["data"]] == everyone[::-1]


def test_v2_search_rejects_bad_limits(api: Api) -> None:
    response = api.get("/v2/subscribers", params={"limit": "101", "orderDirection": "UP"})
    assert response.json() == invalid(
        "/v2/subscribers?limit=101&orderDirection=UP",
        {
            "limit": {"messages": ["limit must not be greater than 100"], "value": 101},
            "orderDirection": {
                "messages": ["orderDirection must be one of the following values: ASC, DESC"],
                "value": "UP",
            },
        },
    )


def test_v2_preferences_are_stored_and_in_state(api: Api) -> None:
    body = ok(api.get("/v2/subscribers/user-1/preferences"))["data"]
    assert body["global"] == {
        "enabled": True,
        "channels": {"in_app": True, "email": True, "sms": True, "chat": True, "push": True},
    }
    welcome = next(w for w in body["workflows"] if w["workflow"]["identifier"] == "welcome")
    assert welcome == {
        "enabled": True,
        "channels": {"in_app": True, "email": True},
        "overrides": [],
        "workflow": {"slug": "welcome", "identifier": "welcome", "name": "Welcome"},
    }
    ok(api.patch("/v2/subscribers/user-1/preferences", {"channels": {"email": False}}))
    after = ok(
        api.patch(
            "/v2/subscribers/user-1/preferences",
            {"workflowId": "welcome", "channels": {"in_app": False}},
        )
    )["data"]
    assert after["global"]["channels"]["email"] is False
    welcome = next(w for w in after["workflows"] if w["workflow"]["identifier"] == "welcome")
    assert welcome["channels"] == {"in_app": False, "email": False}
    assert welcome["overrides"] == [{"channel": "in_app", "source": "subscriber"}]
    stored = next(s for s in api.state()["subscribers"] if s["subscriberId"] == "user-1")
    assert stored["preferences"] == {
        "channels": {"email": False},
        "workflows": {"welcome": {"in_app": False}},
    }
    unknown = api.patch("/v2/subscribers/user-1/preferences", {"workflowId": "nope"})
    assert unknown.json() == error(
        404,
        "/v2/subscribers/user-1/preferences",
        "Workflow with id: nope is not found",
        "Not Found",
    )


def test_created_subscriber_shows_in_state_and_round_trips(api: Api) -> None:
    ok(
        api.post("/v2/subscribers", {"subscriberId": "st-1", "phone": "+1", "data": {"k": "v"}}),
        201,
    )
    state = api.state()
    assert {"subscriberId": "st-1", "phone": "+1", "data": {"k": "v"}} in state["subscribers"]
    api.seed(state)


# -- v1 ----------------------------------------------------------------------------------------


def test_v1_create_upserts_and_replaces_data(api: Api) -> None:
    created = ok(
        api.post("/v1/subscribers", {"subscriberId": "v1-a", "data": {"x": 1, "y": 2}}), 201
    )
    assert created == {"data": _expected(api, "v1-a", data={"x": 1, "y": 2})}
    updated = ok(api.post("/v1/subscribers", {"subscriberId": "v1-a", "data": {"z": 3}}), 201)
    assert updated["data"]["data"] == {"z": 3}
    assert updated["data"]["_id"] == created["data"]["_id"]


def test_v1_list_pages(api: Api) -> None:
    everyone = list(env_of(api).subscribers)
    body = ok(api.get("/v1/subscribers", params={"page": 1, "limit": 2}))
    assert body["page"] == 1 and body["pageSize"] == 2
    assert [s["subscriberId"] for s in body["data"]] == everyone[2:4]
    assert body["hasMore"] is (len(everyone[2:4]) == 2)
    assert set(body) == {"page", "hasMore", "pageSize", "data"}


def test_v1_get_put_delete(api: Api) -> None:
    assert ok(api.get("/v1/subscribers/user-2"))["data"]["email"] == "alan@example.com"
    missing = api.get("/v1/subscribers/ghost")
    assert missing.json() == error(
        404, "/v1/subscribers/ghost", "Subscriber not found for id ghost", "Not Found"
    )
    put = ok(api.put("/v1/subscribers/user-2", {"firstName": "Alan M.", "lastName": None}))
    assert (put["data"]["firstName"], put["data"]["lastName"]) == ("Alan M.", "Turing")
    put_missing = api.put("/v1/subscribers/ghost", {"firstName": "x"})
    assert put_missing.json() == error(
        400, "/v1/subscribers/ghost", "SubscriberId: ghost not found", "Bad Request"
    )
    assert ok(api.delete("/v1/subscribers/user-2")) == {
        "data": {"acknowledged": True, "status": "deleted"}
    }
    gone = api.delete("/v1/subscribers/user-2")
    assert gone.status_code == 404
    assert gone.json()["message"] == "Subscriber not found for id user-2"


def test_v1_bulk_create_reports_created_and_updated(api: Api) -> None:
    body = ok(
        api.post(
            "/v1/subscribers/bulk",
            {
                "subscribers": [
                    {"subscriberId": "b-1", "email": "b@example.com"},
                    {"subscriberId": "user-1"},
                ]
            },
        ),
        201,
    )
    assert body == {
        "data": {
            "updated": [{"subscriberId": "user-1"}],
            "created": [{"subscriberId": "b-1"}],
            "failed": [],
        }
    }
    assert env_of(api).subscribers["b-1"]["email"] == "b@example.com"


@pytest.mark.parametrize("delete", ["/v1/subscribers/user-2", "/v2/subscribers/user-2"])
def test_v1_bulk_recreating_a_deleted_subscriber_counts_it_updated(api: Api, delete: str) -> None:
    """Novu soft-deletes and its bulk upsert sets `deleted: false`: the same document again."""
    env = env_of(api)
    old_id = env.subscribers["user-2"]["_id"]
    ok(api.delete(delete))
    body = ok(api.post("/v1/subscribers/bulk", {"subscribers": [{"subscriberId": "user-2"}]}), 201)
    assert body["data"] == {"updated": [{"subscriberId": "user-2"}], "created": [], "failed": []}
    assert ok(api.get("/v1/subscribers/user-2"))["data"]["_id"] == old_id


def test_v1_bulk_limits_and_item_validation(api: Api) -> None:
    many = [{"subscriberId": f"s{i}"} for i in range(501)]
    too_many = api.post("/v1/subscribers/bulk", {"subscribers": many})
    assert too_many.status_code == 422
    assert too_many.json()["errors"]["subscribers"]["messages"] == [
        "subscribers must contain no more than 500 elements"
    ]
    empty = api.post("/v1/subscribers/bulk", {"subscribers": []})
    assert empty.json()["errors"] == {
        "subscribers": {"messages": ["subscribers should not be empty"], "value": []}
    }
    bad_item = api.post(
        "/v1/subscribers/bulk", {"subscribers": [{"subscriberId": "ok"}, {"email": 5}]}
    )
    assert bad_item.json() == invalid(
        "/v1/subscribers/bulk",
        {
            "subscribers.1.subscriberId": {
                "messages": [
                    "subscribers.1.subscriberId should not be null or undefined",
                    "subscribers.1.subscriberId must be a string",
                ]
            },
            "subscribers.1.email": {
                "messages": ["subscribers.1.email must be an email"],
                "value": 5,
            },
        },
    )
    assert "ok" not in env_of(api).subscribers


def test_v1_credentials(api: Api) -> None:
    put = ok(
        api.put(
            "/v1/subscribers/user-1/credentials",
            {"providerId": "fcm", "credentials": {"deviceTokens": ["a"]}},
        )
    )
    assert put["data"]["channels"] == [
        {"providerId": "fcm", "credentials": {"deviceTokens": ["a"]}, "_integrationId": AN_ID}
    ]
    patched = ok(
        api.patch(
            "/v1/subscribers/user-1/credentials",
            {"providerId": "fcm", "credentials": {"deviceTokens": ["b", "a"]}},
        )
    )
    assert patched["data"]["channels"][0]["credentials"] == {"deviceTokens": ["a", "b"]}
    bad = api.put("/v1/subscribers/user-1/credentials", {"providerId": "pigeon"})
    assert bad.status_code == 422
    assert set(bad.json()["errors"]) == {"providerId", "credentials"}
    assert api.delete("/v1/subscribers/user-1/credentials/fcm").status_code == 204
    assert ok(api.get("/v1/subscribers/user-1"))["data"]["channels"] == []


def test_null_credentials_are_shown_and_merged_as_an_object(api: Api) -> None:
    # class-validator's @IsOptional lets `credentials: null` through; Novu's answer schema
    # (ChannelCredentials) is an object, and a later merge must not fail on it.
    created = api.post(
        "/v2/subscribers",
        {"subscriberId": "nul-1", "channels": [{"providerId": "fcm", "credentials": None}]},
    )
    assert ok(created, 201)["data"]["channels"][0]["credentials"] == {}
    patched = ok(
        api.patch(
            "/v1/subscribers/nul-1/credentials",
            {"providerId": "fcm", "credentials": {"deviceTokens": ["a"]}},
        )
    )
    assert patched["data"]["channels"][0]["credentials"] == {"deviceTokens": ["a"]}


def test_path_parameters_are_url_decoded(api: Api) -> None:
    ok(api.post("/v2/subscribers", {"subscriberId": "ada lovelace@example.com"}), 201)
    body = ok(api.get("/v2/subscribers/ada%20lovelace%40example.com"))
    assert body["data"]["subscriberId"] == "ada lovelace@example.com"


def test_channels_are_validated_item_by_item(api: Api) -> None:
    response = api.post(
        "/v2/subscribers",
        {"subscriberId": "ch-1", "channels": [{"providerId": "slack"}, {"providerId": ""}, 7]},
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert list(errors) == ["channels.1.providerId", "channels.2"]
    assert errors["channels.1.providerId"]["messages"][0].startswith(
        "channels.1.providerId must be one of the following values: slack, discord"
    )
    assert errors["channels.2"]["messages"] == [
        "nested property channels.2 must be either object or array"
    ]
