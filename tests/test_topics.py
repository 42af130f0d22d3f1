"""Topics v2 and v1 (contract 9.4, 9.6); a topic's members are a trigger's fan-out set."""

from __future__ import annotations

import pytest
from conftest import Api
from entity_support import A_STAMP, AN_ID, env_of, error, invalid, ok

# -- v2 ----------------------------------------------------------------------------------------


def test_v2_create_then_upsert(api: Api) -> None:
    created = api.post("/v2/topics", {"key": "news", "name": "News"})
    assert created.status_code == 201
    topic = created.json()["data"]
    assert topic == {
        "_id": AN_ID,
        "key": "news",
        "name": "News",
        "createdAt": A_STAMP,
        "updatedAt": A_STAMP,
    }
    again = api.post("/v2/topics", {"key": "news", "name": "Daily news"})
    assert again.status_code == 200
    assert again.json()["data"] == {**topic, "name": "Daily news", "updatedAt": A_STAMP}
    assert again.json()["data"]["_id"] == topic["_id"]
    assert {"key": "news", "name": "Daily news", "subscribers": []} in api.state()["topics"]


def test_v2_create_fail_if_exists_and_validation(api: Api) -> None:
    conflict = api.post("/v2/topics?failIfExists=true", {"key": "beta-users"})
    assert conflict.json() == error(
        409,
        "/v2/topics?failIfExists=true",
        'Topic with key "beta-users" already exists',
        "Conflict",
    )
    bad = api.post("/v2/topics", {"name": 7})
    assert bad.json() == invalid(
        "/v2/topics",
        {
            "key": {"messages": ["key should not be null or undefined", "key must be a string"]},
            "name": {"messages": ["name must be a string"], "value": 7},
        },
    )


def test_v2_get_update_delete(api: Api) -> None:
    got = ok(api.get("/v2/topics/beta-users"))["data"]
    assert (got["key"], got["name"]) == ("beta-users", "Beta users")
    renamed = ok(api.patch("/v2/topics/beta-users", {"name": "Beta"}))["data"]
    assert renamed["name"] == "Beta"
    assert ok(api.delete("/v2/topics/beta-users")) == {"data": {"acknowledged": True}}
    assert "beta-users" not in env_of(api).topics
    for method in ("GET", "PATCH", "DELETE"):
        missing = api.request(method, "/v2/topics/beta-users", {"name": "x"})
        assert missing.json() == error(
            404, "/v2/topics/beta-users", "Topic with key beta-users not found", "Not Found"
        )


def test_v2_list_filters_and_pages(api: Api) -> None:
    for key in ("t-a", "t-b", "t-c"):
        ok(api.post("/v2/topics", {"key": key, "name": key.upper()}), 201)
    body = ok(api.get("/v2/topics", params={"key": "t-", "orderDirection": "ASC", "limit": 2}))
    assert [t["key"] for t in body["data"]] == ["t-a", "t-b"]
    assert body["totalCount"] == 3 and body["totalCountCapped"] is False
    rest = ok(
        api.get("/v2/topics", params={"key": "t-", "orderDirection": "ASC", "after": body["next"]})
    )
    assert [t["key"] for t in rest["data"]] == ["t-c"]
    assert rest["next"] is None
    by_name = ok(api.get("/v2/topics", params={"name": "T-B"}))
    assert [t["key"] for t in by_name["data"]] == ["t-b"]


def test_v2_subscriptions_create_reports_unknown_subscribers(api: Api) -> None:
    response = api.post("/v2/topics/fresh/subscriptions", {"subscriberIds": ["user-2", "ghost"]})
    assert response.status_code == 201
    topic = env_of(api).topics["fresh"]
    assert response.json() == {
        "data": [
            {
                "_id": AN_ID,
                "identifier": "tk_fresh:si_user-2",
                "topic": {"_id": topic.id, "key": "fresh", "name": None},
                "subscriber": {
                    "_id": env_of(api).subscribers["user-2"]["_id"],
                    "subscriberId": "user-2",
                    "avatar": None,
                    "firstName": "Alan",
                    "lastName": "Turing",
                    "email": "alan@example.com",
                },
                "createdAt": A_STAMP,
                "updatedAt": A_STAMP,
            }
        ],
        "meta": {"totalCount": 2, "successful": 1, "failed": 1},
        "errors": [
            {
                "subscriberId": "ghost",
                "code": "SUBSCRIBER_NOT_FOUND",
                "message": "Subscriber with ID 'ghost' could not be found.",
            }
        ],
    }
    assert list(topic.members) == ["user-2"]


def test_v2_subscriptions_validation(api: Api) -> None:
    empty = api.post("/v2/topics/x/subscriptions", {"subscriberIds": []})
    assert empty.json() == invalid(
        "/v2/topics/x/subscriptions",
        {"subscriberIds": {"messages": ["subscriberIds should not be empty"], "value": []}},
    )
    assert "x" not in env_of(api).topics


def test_v2_subscriptions_list_get_update_delete(api: Api) -> None:
    ok(api.post("/v2/topics/beta-users/subscriptions", {"subscriberIds": ["user-3"]}), 201)
    listed = ok(api.get("/v2/topics/beta-users/subscriptions", params={"orderDirection": "ASC"}))
    assert [s["subscriber"]["subscriberId"] for s in listed["data"]] == [
        "user-1",
        "user-2",
        "user-3",
    ]
    assert listed["totalCount"] == 3
    one = ok(api.get("/v2/topics/beta-users/subscriptions", params={"subscriberId": "user-3"}))
    assert [s["identifier"] for s in one["data"]] == ["tk_beta-users:si_user-3"]
    detail = ok(api.get("/v2/topics/beta-users/subscriptions/tk_beta-users:si_user-3"))["data"]
    assert detail == {
        "id": one["data"][0]["_id"],
        "identifier": "tk_beta-users:si_user-3",
        "preferences": [],
    }
    assert ok(api.get("/v2/topics/beta-users/subscriptions/user-3"))["data"] == detail
    patched = ok(api.patch("/v2/topics/beta-users/subscriptions/user-3", {"name": "mine"}))["data"]
    assert patched["name"] == "mine" and patched["identifier"] == "tk_beta-users:si_user-3"
    missing = api.get("/v2/topics/beta-users/subscriptions/ghost")
    assert missing.json() == error(
        404,
        "/v2/topics/beta-users/subscriptions/ghost",
        "Subscription with identifier ghost not found",
        "Not Found",
    )
    removed = api.delete(
        "/v2/topics/beta-users/subscriptions", {"subscriberIds": ["user-3", "ghost"]}
    )
    assert removed.status_code == 200
    body = removed.json()
    assert [s["subscriber"]["subscriberId"] for s in body["data"]] == ["user-3"]
    assert body["meta"] == {"totalCount": 2, "successful": 1, "failed": 1}
    assert body["errors"][0]["code"] == "SUBSCRIPTION_NOT_FOUND"
    assert list(env_of(api).topics["beta-users"].members) == ["user-1", "user-2"]


def test_subscriber_subscriptions(api: Api) -> None:
    ok(api.post("/v2/topics/other/subscriptions", {"subscriberIds": ["user-1"]}), 201)
    body = ok(api.get("/v2/subscribers/user-1/subscriptions", params={"orderDirection": "ASC"}))
    assert [s["topic"]["key"] for s in body["data"]] == ["beta-users", "other"]
    missing = api.get("/v2/subscribers/ghost/subscriptions")
    assert missing.status_code == 404


# -- v1 ----------------------------------------------------------------------------------------


def test_v1_create_get_list(api: Api) -> None:
    env = env_of(api)
    created = ok(api.post("/v1/topics", {"key": "v1t", "name": "V1"}), 201)
    assert created == {"data": {"_id": env.topics["v1t"].id, "key": "v1t"}}
    dup = api.post("/v1/topics", {"key": "v1t", "name": "V1"})
    assert dup.json() == error(
        409,
        "/v1/topics",
        f"Topic exists with key v1t in the environment {env.id} of the organization "
        f"{env.organization_id}",
        "Conflict",
    )
    got = ok(api.get("/v1/topics/beta-users"))
    assert got == {
        "data": {
            "_id": env.topics["beta-users"].id,
            "_organizationId": env.organization_id,
            "_environmentId": env.id,
            "key": "beta-users",
            "name": "Beta users",
            "subscribers": ["user-1", "user-2"],
        }
    }
    listed = ok(api.get("/v1/topics", params={"key": "v1t"}))
    assert listed["totalCount"] == 1 and listed["page"] == 0 and listed["pageSize"] == 10
    assert [t["key"] for t in listed["data"]] == ["v1t"]
    big = api.get("/v1/topics", params={"pageSize": 11})
    assert big.json() == error(
        400, "/v1/topics?pageSize=11", "Page size can not be larger then 10", "Bad Request"
    )
    missing = api.get("/v1/topics/nope")
    assert missing.json()["message"] == f"Topic not found for id nope in the environment {env.id}"


def test_v1_members_rename_delete(api: Api) -> None:
    env = env_of(api)
    added = ok(api.post("/v1/topics/auto/subscribers", {"subscribers": ["user-3", "ghost"]}))
    assert added == {"data": {"succeeded": ["user-3"], "failed": {"notFound": ["ghost"]}}}
    assert env.topics["auto"].name == "Autogenerated-auto"
    member = ok(api.get("/v1/topics/auto/subscribers/user-3"))["data"]
    assert member == {
        "_id": AN_ID,
        "_organizationId": env.organization_id,
        "_environmentId": env.id,
        "_subscriberId": env.subscribers["user-3"]["_id"],
        "_topicId": env.topics["auto"].id,
        "topicKey": "auto",
        "externalSubscriberId": "user-3",
    }
    not_member = api.get("/v1/topics/auto/subscribers/user-1")
    assert not_member.json()["message"] == (
        f"Subscriber user-1 not found for topic auto in the environment {env.id}"
    )
    assert ok(api.patch("/v1/topics/auto", {"name": "Auto"}))["data"]["name"] == "Auto"
    assert api.patch("/v1/topics/none", {"name": "x"}).json() == error(
        404,
        "/v1/topics/none",
        f"Topic not found for id none in the environment {env.id}",
        "Not Found",
    )
    busy = api.delete("/v1/topics/auto")
    assert busy.json() == error(
        409,
        "/v1/topics/auto",
        f"Topic with key auto in the environment {env.id} can't be deleted as it still has "
        "subscribers assigned",
        "Conflict",
    )
    removal = api.post("/v1/topics/auto/subscribers/removal", {"subscribers": ["user-3"]})
    assert removal.status_code == 204 and removal.content == b""
    assert api.delete("/v1/topics/auto").status_code == 204
    assert "auto" not in env.topics


def test_v1_topic_subscriber_carries_its_id(api: Api) -> None:
    """Novu's get-topic-subscriber use case spreads the whole entity, `_id` included."""
    ok(api.post("/v1/topics/beta-users/subscribers", {"subscribers": ["user-3"]}))
    first = ok(api.get("/v1/topics/beta-users/subscribers/user-3"))["data"]
    again = ok(api.get("/v1/topics/beta-users/subscribers/user-3"))["data"]
    assert first["_id"] == again["_id"] and first["_id"] == AN_ID
    other = ok(api.get("/v1/topics/beta-users/subscribers/user-1"))["data"]
    assert other["_id"] != first["_id"]


@pytest.mark.parametrize("route", ["subscribers", "subscribers/removal"])
def test_v1_members_without_body_are_class_validator_messages(api: Api, route: str) -> None:
    """Novu's add-subscribers and remove-subscribers e2e: `{}` answers both DTO messages."""
    path = f"/v1/topics/beta-users/{route}"
    response = api.post(path, {})
    assert response.json() == invalid(
        path,
        {
            "subscribers": {
                "messages": [
                    "subscribers should not be null or undefined",
                    "subscribers must be an array",
                ]
            }
        },
    )
    not_array = api.post(path, {"subscribers": "user-1"})
    assert not_array.json()["errors"]["subscribers"]["messages"] == [
        "each value in subscribers must be a string",
        "subscribers must be an array",
    ]


@pytest.mark.parametrize(
    ("query", "page", "size"),
    [
        (
            "page=first&pageSize=big",
            ["page must not be less than 0", "page must be an integer number"],
            ["pageSize must not be less than 0", "pageSize must be an integer number"],
        ),
        ("page=1.5&pageSize=1.5", ["page must be an integer number"], None),
        ("page=-1&pageSize=-1", ["page must not be less than 0"], None),
    ],
)
def test_v1_list_paging_messages(
    api: Api, query: str, page: list[str], size: list[str] | None
) -> None:
    """Novu's filter-topics e2e: `Number(value)` then `@IsInt() @Min(0)` on page and pageSize."""
    response = api.get(f"/v1/topics?{query}")
    errors = response.json()["errors"]
    assert errors["page"]["messages"] == page
    expected = size or [m.replace("page", "pageSize") for m in page]
    assert errors["pageSize"]["messages"] == expected


def test_v1_list_page_size_zero_is_no_limit(api: Api) -> None:
    listed = ok(api.get("/v1/topics", params={"pageSize": "0"}))
    assert listed["pageSize"] == 0 and len(listed["data"]) == listed["totalCount"] > 0


# -- the scenario: a subscriber made through the API is what a topic trigger reaches -----------


def test_api_subscriber_in_topic_is_reached_by_a_bulk_trigger(api: Api) -> None:
    ok(api.post("/v2/subscribers", {"subscriberId": "scn-1", "email": "s@example.com"}), 201)
    ok(api.post("/v2/topics", {"key": "scn"}), 201)
    ok(api.post("/v2/topics/scn/subscriptions", {"subscriberIds": ["scn-1"]}), 201)
    event = {"name": "welcome", "to": [{"type": "Topic", "topicKey": "scn"}]}
    bulk = ok(api.post("/v1/events/trigger/bulk", {"events": [event]}), 201)
    assert bulk["data"][0]["status"] == "processed"
    records = api.triggers(transactionId=bulk["data"][0]["transactionId"])
    assert records[0]["recipients"] == ["scn-1"]
    ok(api.delete("/v2/subscribers/scn-1"))
    assert ok(api.get("/v2/topics/scn/subscriptions"))["data"] == []
    assert {"key": "scn", "subscribers": []} in api.state()["topics"]
    again = ok(api.post("/v1/events/trigger/bulk", {"events": [event]}), 201)
    assert api.triggers(transactionId=again["data"][0]["transactionId"])[0]["recipients"] == []
