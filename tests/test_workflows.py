"""Workflows, read-only (contract 9.5, 9.6): the fixture workflows as Novu lists them."""

from __future__ import annotations

import re

from conftest import Api
from entity_support import A_STAMP, AN_ID, Matching, env_of, invalid, ok


def test_v2_list_shape_and_filters(api: Api) -> None:
    env = env_of(api)
    body = ok(api.get("/v2/workflows", params={"query": "welcome"}))
    welcome = env.workflows["welcome"]
    assert body == {
        "data": {
            "workflows": [
                {
                    "name": "Welcome",
                    "tags": [],
                    "updatedAt": A_STAMP,
                    "createdAt": A_STAMP,
                    "_id": welcome.id,
                    "workflowId": "welcome",
                    "slug": f"welcome_wf_{welcome.id}",
                    "status": "ACTIVE",
                    "origin": "novu-cloud",
                    "stepTypeOverviews": ["in_app", "email"],
                    "steps": [
                        {
                            "slug": Matching(re.compile(r"welcome-inbox_st_[0-9a-f]{24}")),
                            "type": "in_app",
                        },
                        {
                            "slug": Matching(re.compile(r"welcome-email_st_[0-9a-f]{24}")),
                            "type": "email",
                        },
                    ],
                }
            ],
            "totalCount": 1,
        }
    }
    everything = ok(api.get("/v2/workflows", params={"limit": "100.0", "offset": "0.0"}))["data"]
    assert everything["totalCount"] == len(env.workflows)
    page = ok(api.get("/v2/workflows", params={"limit": 2, "offset": 1, "orderDirection": "ASC"}))[
        "data"
    ]
    assert [w["workflowId"] for w in page["workflows"]] == list(env.workflows)[1:3]
    inactive = [w.workflow_id for w in env.workflows.values() if not w.active]
    by_status = ok(api.get("/v2/workflows", params={"status": "INACTIVE", "limit": 100}))["data"]
    assert [w["workflowId"] for w in by_status["workflows"]] == inactive[::-1]
    tagged = ok(api.get("/v2/workflows", params={"tags": ["a", "b"]}))["data"]
    assert tagged == {"workflows": [], "totalCount": 0}


def test_v2_list_validation(api: Api) -> None:
    response = api.get("/v2/workflows", params={"limit": 0, "orderBy": "size"})
    assert response.json() == invalid(
        "/v2/workflows?limit=0&orderBy=size",
        {
            "limit": {"messages": ["limit must not be less than 1"], "value": 0},
            "orderBy": {
                "messages": [
                    "orderBy must be one of the following values: "
                    "createdAt, updatedAt, name, lastTriggeredAt"
                ],
                "value": "size",
            },
        },
    )


def test_v2_get(api: Api) -> None:
    env = env_of(api)
    wf = env.workflows["password-reset"]
    body = ok(api.get("/v2/workflows/password-reset"))["data"]
    assert body["workflowId"] == "password-reset" and body["_id"] == wf.id
    assert body["status"] == "ACTIVE" and body["severity"] == "none"
    assert body["payloadSchema"] == wf.payload_schema and body["validatePayload"] is True
    assert body["preferences"]["default"]["all"] == {"enabled": True, "readOnly": False}
    # The fixture's content is the step's control values (DESIGN 9).
    subject, html = wf.steps[0]["subject"], wf.steps[0]["body"]
    assert subject == "Reset your password" and "{{ payload.resetUrl }}" in html
    assert body["steps"] == [
        {
            "controls": {"values": {"subject": subject, "body": html}},
            "controlValues": {"subject": subject, "body": html},
            "variables": {"type": "object", "properties": {}},
            "stepId": "reset-email",
            "_id": AN_ID,
            "name": "reset-email",
            "slug": f"reset-email_st_{body['steps'][0]['_id']}",
            "type": "email",
            "origin": "novu-cloud",
            "workflowId": "password-reset",
            "workflowDatabaseId": wf.id,
        }
    ]
    assert ok(api.get(f"/v2/workflows/{wf.id}"))["data"]["workflowId"] == "password-reset"


def test_v2_get_missing(api: Api) -> None:
    response = api.get("/v2/workflows/nope")
    assert response.status_code == 404
    assert response.json() == {
        "statusCode": 404,
        "timestamp": A_STAMP,
        "path": "/v2/workflows/nope",
        "message": "Workflow cannot be found",
        "workflowId": "nope",
    }


def test_v1_list(api: Api) -> None:
    env = env_of(api)
    body = ok(api.get("/v1/workflows", params={"page": 0, "limit": 2}))
    assert set(body) == {"totalCount", "data", "pageSize", "page"}
    assert body["totalCount"] == len(env.workflows) and body["pageSize"] == 2
    newest_first = list(reversed(env.workflows))
    assert [w["triggers"][0]["identifier"] for w in body["data"]] == newest_first[:2]
    found = ok(api.get("/v1/workflows", params={"query": "Password"}))
    assert [w["name"] for w in found["data"]] == ["Password reset"]
    assert api.get("/v1/workflows", params={"limit": 101}).status_code == 422


def test_v1_list_newest_first_with_notification_group(api: Api) -> None:
    """Novu's get-notification-templates e2e: the last created first, and every item carries
    its populated `notificationGroup` ("General")."""
    env = env_of(api)
    api.seed({"workflows": [{"workflowId": "wf-new-1"}, {"workflowId": "wf-new-2"}]})
    body = ok(api.get("/v1/workflows", params={"limit": 100}))
    ids = [w["triggers"][0]["identifier"] for w in body["data"]]
    assert ids[:2] == ["wf-new-2", "wf-new-1"]
    assert ids[-1] == next(iter(env.workflows))
    group = {
        "_id": AN_ID,
        "name": "General",
        "_environmentId": env.id,
        "_organizationId": env.organization_id,
    }
    for item in body["data"]:
        assert item["notificationGroup"] == group
        assert item["_notificationGroupId"] == item["notificationGroup"]["_id"]
    assert len({item["_notificationGroupId"] for item in body["data"]}) == 1


def test_lookup_by_novu_slug_form(api: Api) -> None:
    """Novu's ParseSlugIdPipe: `<slug>_wf_<base62 of _id>` (and any prefix before the last `_`)
    finds the workflow; a slug that decodes to nothing is still a 404."""
    from novu_mock._novu.workflows import encode_base62

    welcome = env_of(api).workflows["welcome"]
    encoded = encode_base62(welcome.id)
    for form in (f"welcome_wf_{encoded}", f"my-workflow_{encoded}", f"anything-else_wf_{encoded}"):
        got = ok(api.get(f"/v2/workflows/{form}"))["data"]
        assert got["_id"] == welcome.id and got["workflowId"] == "welcome", form
    missing = api.get("/v2/workflows/my-workflow_invalidEncoding")
    assert missing.status_code == 404
    assert missing.json()["workflowId"] == "my-workflow_invalidEncoding"


def test_base62_matches_novus_encoding() -> None:
    """Pairs computed by running Novu's own base-x `encode` (apps/api/.../helpers/base62)."""
    from novu_mock._novu.workflows import encode_base62, parse_slug_id

    pairs = {
        "6615943e7ace93b0540ae377": "f5VFlcRWmt1PF4uV",
        "0615943e7ace93b0540ae377": "2RpdxYpFSPfjWDQ7",
        "0015943e7ace93b0540ae377": "026PyJ6ENG5VHmpL",
    }
    for internal, encoded in pairs.items():
        assert encode_base62(internal) == encoded
        assert parse_slug_id(f"my-workflow_{encoded}") == internal
        assert parse_slug_id(f"my-workflow_wf_{encoded}") == internal
    assert parse_slug_id("non-slug-id") == "non-slug-id"
    assert parse_slug_id("6615943e7ace93b0540ae377") == "6615943e7ace93b0540ae377"


def test_routes_carry_novu_rate_limit_categories() -> None:
    from novu_mock._core.routes import ROUTES

    kinds = {(r.method, r.template): (r.category, r.cost) for r in ROUTES}
    assert kinds[("POST", "/v1/subscribers/bulk")] == ("configuration", "bulk")
    assert kinds[("GET", "/v2/subscribers")] == ("configuration", "single")
    assert kinds[("POST", "/v2/topics/{topicKey}/subscriptions")] == ("configuration", "single")
    assert kinds[("DELETE", "/v1/tenants/{identifier}")] == ("configuration", "single")
    assert kinds[("GET", "/v2/workflows")] == ("global", "single")
