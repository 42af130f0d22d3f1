"""Hostile input, keys and masks (issue 12): nothing a caller sends may break a later read,
show a key, or reach another environment's data."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import httpx
import pytest
from conftest import FIXTURES, Api

from novu_mock import Call, FixtureError, NovuMock

TRIGGER = "/v1/events/trigger"


def _nested(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = {"a": value}
    return value


def _reads_answer(api: Api) -> None:
    """Every read path of the admin API and the subscriber reads answer without a 5xx."""
    for path in (
        "/_mock/state",
        "/_mock/triggers",
        "/_mock/requests",
        "/_mock/dashboard/version",
        "/_mock/dashboard/triggers",
        "/_mock/dashboard/subscribers",
        "/v2/subscribers",
        "/v1/subscribers",
    ):
        for key in (api.key, None):
            headers = {"Authorization": ""} if key is None else {}
            response = api.request("GET", path, headers=headers)
            assert response.status_code < 500, (path, key, response.text)


# -- 1. deep data ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v2/subscribers", {"subscriberId": "deep-1", "data": _nested(500)}),
        ("/v1/tenants", {"identifier": "deep-t", "name": "t", "data": _nested(200)}),
        ("/_mock/fixtures", {"subscribers": [{"subscriberId": "deep-3", "data": _nested(500)}]}),
    ],
)
def test_data_nested_deeper_than_novus_stores_take_is_refused_up_front(
    api: Api, path: str, body: dict[str, Any]
) -> None:
    response = api.post(path, body)
    assert response.status_code == 400, response.text
    assert response.json()["message"] == (
        "Invalid JSON body: nested deeper than 100 levels (MongoDB's limit)"
    )
    _reads_answer(api)


def test_deep_trigger_data_is_accepted_as_novu_queues_it_and_every_read_answers(api: Api) -> None:
    # Novu answers 201 (the event is queued before MongoDB sees it); its worker then cannot
    # store a subscriber that deep, so neither does the mock.
    body = {"name": "welcome", "to": {"subscriberId": "deep-2", "data": _nested(500)}}
    response = api.post(TRIGGER, body)
    assert response.status_code == 201, response.text
    response = api.post(TRIGGER, {"name": "welcome", "to": "u", "payload": _nested(505)})
    assert response.status_code == 201, response.text
    _reads_answer(api)
    assert all(s["subscriberId"] != "deep-2" for s in api.state()["subscribers"])
    assert (
        api.get(
            "/_mock/dashboard/triggers/"
            + str(api.get("/_mock/dashboard/triggers").json()["data"][0]["seq"])
        ).status_code
        == 200
    )
    response = api.post(TRIGGER, {"name": "welcome", "to": "u", "payload": _nested(600)})
    assert response.status_code == 400
    assert response.json()["message"] == "Invalid JSON body: nested deeper than 512 levels"
    _reads_answer(api)


def test_data_at_the_nesting_limit_is_kept_and_every_read_answers(api: Api) -> None:
    body = {"subscriberId": "deep-ok", "data": _nested(97)}
    assert api.post("/v2/subscribers", body).status_code == 201
    trigger = {"name": "welcome", "to": {"subscriberId": "deep-ok", "data": _nested(96)}}
    assert api.post(TRIGGER, trigger).status_code == 201
    _reads_answer(api)
    subscriber = next(s for s in api.state()["subscribers"] if s["subscriberId"] == "deep-ok")
    assert subscriber["data"] == _nested(96)


def test_deep_fixture_documents_are_refused_with_the_path() -> None:
    with pytest.raises(FixtureError) as caught:
        NovuMock([{"subscribers": [{"subscriberId": "x", "data": _nested(5000)}]}])
    assert any("subscribers[0].data" in p and "100 levels" in p for p in caught.value.problems)


# -- 2. numbers are range-checked --------------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "where"),
    [
        ({"rateLimits": {"trigger": 1e308}}, "rateLimits.trigger"),
        ({"faults": [{"latency": 1e308}]}, "faults[0].latency"),
        ({"faults": [{"latency": [0, 1e308]}]}, "faults[0].latency"),
        ({"faults": [{"status": 503, "retryAfter": 1e308}]}, "faults[0].retryAfter"),
        ({"faults": [{"status": 503, "times": 10**30}]}, "faults[0].times"),
    ],
)
def test_huge_numbers_in_posted_fixtures_are_422_naming_the_path(
    api: Api, document: dict[str, Any], where: str
) -> None:
    response = api.post("/_mock/fixtures", document)
    assert response.status_code == 422, response.text
    assert where in response.json()["errors"], response.json()
    assert api.post(TRIGGER, {"name": "welcome", "to": "user-1"}).status_code == 201


@pytest.mark.parametrize(
    "fault",
    [{"latency": 1e308}, {"status": 503, "retryAfter": 1e308}, {"status": 503, "times": 10**30}],
)
def test_huge_numbers_in_posted_faults_are_422(api: Api, fault: dict[str, Any]) -> None:
    response = api.post("/_mock/faults", fault)
    assert response.status_code == 422, response.text
    assert api.post(TRIGGER, {"name": "welcome", "to": "user-1"}).status_code == 201


@pytest.mark.parametrize("value", ["\u00b2", "\u0663", "99999999999999999999999"])
def test_dashboard_paging_numbers_are_422_not_500(api: Api, value: str) -> None:
    response = api.get("/_mock/dashboard/triggers", params={"limit": value})
    assert response.status_code == 422, response.text
    response = api.get("/_mock/dashboard/triggers/" + value)
    assert response.status_code == 404, response.text


# -- 3. unique masks -----------------------------------------------------------------------------


def test_masks_are_unique_in_order_of_arrival() -> None:
    mock = NovuMock(FIXTURES)
    with mock.intercept(), httpx.Client(base_url="https://api.novu.co") as client:
        for key in ("team-one-test-key", "team-two-test-key", "team-six-test-key", "short"):
            response = client.post(
                TRIGGER,
                json={"name": "welcome", "to": "user-1"},
                headers={"Authorization": f"ApiKey {key}"},
            )
            assert response.status_code == 201
        state = client.get("/_mock/state").json()["data"]
        assert list(state) == ["****-key", "****-key~2", "****-key~3", "****"]
        environments = [t["environment"] for t in client.get("/_mock/triggers").json()["data"]]
        assert environments == ["****-key", "****-key~2", "****-key~3", "****"]
        version = client.get("/_mock/dashboard/version").json()
        assert version["environments"] == sorted(state)
        rows = client.get("/_mock/dashboard/triggers", params={"environment": "****-key~2"}).json()
        assert rows["total"] == 1
        assert rows["data"][0]["environment"] == "****-key~2"
        # a reset keeps each environment's mask
        reset = client.post("/_mock/reset", headers={"Authorization": "ApiKey team-two-test-key"})
        assert reset.status_code == 204
        assert list(client.get("/_mock/state").json()["data"]) == list(state)
        assert client.post("/_mock/reset").status_code == 204
        for key in ("team-one-test-key", "team-two-test-key"):
            client.post(
                TRIGGER,
                json={"name": "welcome", "to": "user-1"},
                headers={"Authorization": f"ApiKey {key}"},
            )
        assert list(client.get("/_mock/state").json()["data"]) == ["****-key", "****-key~2"]


# -- 4. keys never shown in clear ---------------------------------------------------------------

SECRET = "sk_live_abcdefghijklmnop1234"


@pytest.mark.parametrize(
    "header",
    [
        f"ApiKey{SECRET}",
        SECRET,
        f"Basic {SECRET}",
        f"ApiKey {SECRET} extra",
        f"apikey {SECRET}",
        "abcd",
        "ApiKey abcd",
    ],
)
def test_keys_are_masked_whatever_the_header_shape(api: Api, header: str) -> None:
    probe = uuid.uuid4().hex  # finds this call's records on the shared server
    response = api.post(
        TRIGGER,
        {"name": "welcome", "to": "user-1"},
        headers={"Authorization": header},
        params={"probe": probe},
    )
    secret = header.split()[-1].removeprefix("ApiKey")
    records = [r for r in api.mock.requests if r["query"].get("probe") == probe]
    assert len(records) == 1
    shown = records[0]["headers"]["authorization"]
    assert secret not in shown and "****" in shown, shown
    assert secret not in response.json()["message" if response.status_code >= 400 else "data"]
    if records[0]["environment"] is not None:
        assert records[0]["environment"].startswith("****")
        assert secret not in records[0]["environment"]
    if len(secret) >= 12:
        everything = json.dumps(records) + json.dumps(api.mock.triggers)
        everything += api.get("/_mock/requests").text + api.get("/_mock/dashboard/version").text
        assert secret not in everything


def test_short_keys_show_no_character() -> None:
    mock = NovuMock(FIXTURES)
    mock.engine.handle(
        Call("POST", TRIGGER, "", {"authorization": "ApiKey abc"}, b'{"name":"welcome","to":"u"}')
    )
    record = mock.requests[-1]
    assert record["headers"]["authorization"] == "ApiKey ****"
    assert record["environment"] == "****"


def test_faults_show_the_mask_of_their_key(api: Api) -> None:
    secret = f"sk_live_{uuid.uuid4().hex}1234"  # its own environment on the shared server
    response = api.post("/_mock/faults", {"status": 503, "when": {"apiKey": secret}}, key=secret)
    assert response.status_code == 201, response.text
    assert secret not in response.text
    listing = api.get("/_mock/faults", key=secret)
    assert secret not in listing.text
    shown = listing.json()["data"][-1]["when"]["apiKey"]
    assert shown.startswith("****1234")
    # the fault still matches its key, and the key's environment has the same mask
    assert api.post(TRIGGER, {"name": "welcome", "to": "u"}, key=secret).status_code == 503
    assert api.get("/_mock/requests", key=secret).json()["data"][-1]["environment"] == shown


# -- 7. catastrophic payload-schema patterns ---------------------------------------------------


def test_a_catastrophic_pattern_is_a_400_within_the_budget(api: Api) -> None:
    api.seed(
        {
            "workflows": [
                {
                    "workflowId": "redos",
                    "payloadSchema": {
                        "type": "object",
                        "properties": {
                            "code": {"type": "string", "pattern": "^(a+)+$"},
                            "worse": {"type": "string", "pattern": "^(a|a)*$"},
                        },
                        "patternProperties": {"^(b|b)*$": {"type": "string"}},
                    },
                }
            ]
        }
    )
    payloads = [{"worse": "a" * 40 + "!"}, {"b" * 40 + "!": "x"}]
    for payload in payloads:
        started = time.monotonic()
        response = api.post(TRIGGER, {"name": "redos", "to": "u", "payload": payload})
        assert time.monotonic() - started < 1.5
        assert response.status_code == 400, response.text
        assert "time budget" in response.json()["message"]
    # the pattern no longer stalls anything: an ordinary mismatch
    started = time.monotonic()
    bad = api.post(TRIGGER, {"name": "redos", "to": "u", "payload": {"code": "a" * 26 + "!"}})
    assert time.monotonic() - started < 1.0
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["message"] == 'must match pattern "^(a+)+$"'
    good = api.post(TRIGGER, {"name": "redos", "to": "u", "payload": {"code": "aaa"}})
    assert good.status_code == 201


# -- 10. stored fields conform to the OpenAPI document -----------------------------------------


@pytest.mark.parametrize(
    ("credentials", "message"),
    [
        ({"webhookUrl": [[None]]}, "credentials.webhookUrl must be a string"),
        ({"channel": 5}, "credentials.channel must be a string"),
        ({"deviceTokens": "t1"}, "credentials.deviceTokens must be an array"),
        ({"deviceTokens": [1]}, "each value in credentials.deviceTokens must be a string"),
        ({"title": {}}, "credentials.title must be a string"),
    ],
)
def test_credentials_are_type_checked(api: Api, credentials: dict[str, Any], message: str) -> None:
    assert api.post("/v2/subscribers", {"subscriberId": "cred-1"}).status_code == 201
    for method in ("PUT", "PATCH"):
        response = api.request(
            method,
            "/v1/subscribers/cred-1/credentials",
            {"providerId": "slack", "credentials": credentials},
        )
        assert response.status_code == 422, response.text
        assert message in json.dumps(response.json()), response.text
    response = api.post(
        "/v1/subscribers",
        {
            "subscriberId": "cred-2",
            "channels": [{"providerId": "slack", "credentials": credentials}],
        },
    )
    assert response.status_code == 422, response.text
    assert message.replace("credentials.", "channels.0.credentials.") in response.text
    assert all(s["subscriberId"] != "cred-2" for s in api.state()["subscribers"])


# -- 11. the dashboard's version call stays in the key's environment ---------------------------


def test_dashboard_version_with_a_key_shows_that_environment_only(api: Api) -> None:
    other = "other-env-key-" + api.key
    assert api.post(TRIGGER, {"name": "welcome", "to": "u"}).status_code == 201
    assert api.post(TRIGGER, {"name": "welcome", "to": "u"}, key=other).status_code == 201
    mine = api.get("/_mock/dashboard/version").json()
    assert len(mine["environments"]) == 1
    assert mine["triggers"] == 1
    assert mine["requests"] == 1
    theirs = api.get("/_mock/dashboard/version", key=other).json()
    assert mine["environments"] != theirs["environments"]


# -- 12. JavaScript trimming -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "reached"),
    [
        ("\ufeffuser-1", "user-1"),
        ("\u2028user-1\u3000", "user-1"),
        ("\x1fuser-1", "\x1fuser-1"),
        ("\x85user-1", "\x85user-1"),
        ("\u180euser-1", "\u180euser-1"),
    ],
)
def test_ids_are_trimmed_as_javascript_trims(api: Api, sent: str, reached: str) -> None:
    response = api.post(TRIGGER, {"name": "welcome", "to": sent})
    assert response.status_code == 201, response.text
    assert api.triggers()[-1]["recipients"] == [reached]


def test_an_id_of_javascript_white_space_only_is_invalid(api: Api) -> None:
    response = api.post(TRIGGER, {"name": "welcome", "to": "\ufeff\u00a0"})
    assert response.json()["data"]["status"] == "invalid_recipients"
    response = api.post(TRIGGER, {"name": "welcome", "to": "\x1f"})
    assert response.json()["data"]["status"] == "processed"


# -- 13. unknown admin paths are not Novu requests ---------------------------------------------


def test_unknown_admin_paths_are_404_and_not_journaled(api: Api) -> None:
    response = api.get("/_mock/nothing-here")
    assert response.status_code == 404
    assert api.post("/_mock/nope", {}).status_code == 404
    assert api.get("/_mock/requests").json()["data"] == []
    assert not [r for r in api.mock.requests if r["path"].startswith("/_mock")]


# -- 14. every problem of a fixture document at once -------------------------------------------


def test_every_problem_of_a_fixture_document_is_reported_at_once(api: Api) -> None:
    document = {
        "workflows": [
            {
                "workflowId": "w",
                "steps": [{"type": "pigeon"}],
                "tenantOverrides": {"ghost": {"active": False}},
            }
        ],
        "topics": [{"key": "t", "subscribers": ["nobody"]}],
        "subscribers": [{"subscriberId": "a"}, {"subscriberId": "a"}],
    }
    response = api.post("/_mock/fixtures", document)
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert {
        "workflows[0].steps[0].type",
        "workflows[0].tenantOverrides.ghost",
        "topics[0].subscribers[0]",
        "subscribers[1].subscriberId",
    } <= set(errors), errors


def test_recipient_objects_store_only_fields_that_conform(api: Api) -> None:
    to = {
        "subscriberId": "loose-1",
        "firstName": {"a": 1},
        "email": ["x"],
        "lastName": "Kept",
        "channels": [{"providerId": "slack", "credentials": {"webhookUrl": [[None]]}}],
    }
    assert api.post(TRIGGER, {"name": "welcome", "to": to}).status_code == 201
    subscriber = api.get("/v2/subscribers/loose-1").json()["data"]
    assert subscriber["lastName"] == "Kept"
    assert "firstName" not in subscriber
    assert "email" not in subscriber or subscriber["email"] is None
    assert not subscriber.get("channels")


def test_fixture_channels_are_type_checked() -> None:
    with pytest.raises(FixtureError) as caught:
        NovuMock(
            [
                {
                    "subscribers": [
                        {
                            "subscriberId": "s",
                            "channels": [
                                {"providerId": "slack", "credentials": {"webhookUrl": [[None]]}}
                            ],
                        }
                    ]
                }
            ]
        )
    assert any(
        "subscribers[0].channels[0].credentials.webhookUrl: expected a string" in p
        for p in caught.value.problems
    ), caught.value.problems


def test_novu_mock_check_reports_every_problem_at_once(
    tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from novu_mock._cli import main

    path = tmp_path / "bad.json"
    path.write_text(
        json.dumps(
            {
                "workflows": [
                    {
                        "workflowId": "w",
                        "steps": [{"type": "pigeon"}],
                        "tenantOverrides": {"ghost": {"active": False}},
                    }
                ],
                "topics": [{"key": "t", "subscribers": ["nobody"]}],
            }
        )
    )
    assert main(["check", str(path)]) == 1
    err = capsys.readouterr().err
    assert "workflows[0].steps[0].type" in err
    assert "workflows[0].tenantOverrides.ghost" in err
    assert "topics[0].subscribers[0]" in err
