"""The Node SDKs against a live `novu-mock serve`: @novu/api 3.19.1 and the legacy @novu/node
2.6.6 (pinned in tests/sdk/node/package-lock.json). node/matrix.mjs runs every operation once
per SDK and reports what the SDK returned or threw; these tests judge the report."""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest

from .cli import KNOWN_KEY, Admin, CliServer, seed_urls
from .sdk_cases import (
    DELAYED_PROCESSED,
    NODE_INPUT,
    PAYLOAD,
    RECIPIENT_SHAPES,
    RECIPIENTS_REACHED,
    STATUS_EVENTS,
)

NODE_DIR = Path(__file__).parent / "node"
SDKS = ("@novu/api", "@novu/node")
CASES = (
    "trigger",
    "bulkRecipients",
    "bulkStatuses",
    "broadcast",
    "cancel",
    "tooManyEvents",
    "subscriberIdMissingTrigger",
    "subscriberIdMissingBulk",
    "trailingSlash",
    "integrations",
    "delivery",
)
TRIGGER = {"name": "status-processed", "to": "status-user", "payload": PAYLOAD}
MISSING = {"name": "status-subscriber-id-missing", "to": "status-user", "transactionId": "sim-1"}
DELIVERY_FIXTURES: dict[str, Any] = {
    "workflows": [
        {
            "workflowId": "trio",
            "steps": [
                {
                    "type": "in_app",
                    "subject": "Hi {{ subscriber.firstName }}",
                    "body": "Order {{ payload.order }}",
                },
                {
                    "type": "email",
                    "subject": "Order {{ payload.order }}",
                    "body": "<p>{{ payload.order }}</p>",
                },
                {"type": "sms", "body": "Order {{ payload.order }} ready"},
            ],
        }
    ],
    "subscribers": [
        {
            "subscriberId": "sam",
            "firstName": "Sam",
            "email": "sam@example.com",
            "phone": "+15550100",
        },
        {"subscriberId": "nomail"},
    ],
}
INTEGRATION = {
    "providerId": "mailgun",
    "channel": "email",
    "identifier": "sdk-mailgun",
    "credentials": {"apiKey": "secret", "domain": "mg.example.com"},
    "active": True,
    "check": False,
}


class Report:
    """What one SDK returned (`value`) or threw (`error`) per case, and each case's key."""

    def __init__(self, sdk: str, results: dict[str, Any], keys: dict[str, str], url: str) -> None:
        self.sdk = sdk
        self.results = results
        self.keys = keys
        self.url = url

    def value(self, case: str) -> Any:
        outcome = self.results[case]
        assert outcome["ok"], f"{self.sdk} {case} threw: {outcome['error']}"
        return outcome["value"]

    def error(self, case: str) -> dict[str, Any]:
        outcome = self.results[case]
        assert not outcome["ok"], f"{self.sdk} {case} did not throw: {outcome['value']}"
        error: dict[str, Any] = outcome["error"]
        return error

    def admin(self, case: str) -> Admin:
        return Admin(self.url, self.keys[case])


@pytest.fixture(scope="module", params=SDKS)
def report(
    request: pytest.FixtureRequest,
    node_sdks: Path,
    cli_server: CliServer,
    keyed_cli_server: CliServer,
) -> Report:
    sdk: str = request.param
    keys = {case: f"node-{case}-{uuid.uuid4().hex[:8]}" for case in CASES}
    # Cancel answers true only while there is pending delayed work (D10 revised).
    Admin(cli_server.url, keys["cancel"]).seed(DELAYED_PROCESSED)
    cases = {
        **NODE_INPUT,
        "trigger": TRIGGER,
        "subscriberIdMissing": MISSING,
        "integration": INTEGRATION,
        "delivery": DELIVERY_FIXTURES,
    }
    data = {
        "sdk": sdk,
        "url": cli_server.url,
        "keyedUrl": keyed_cli_server.url,
        "badKey": "not-" + KNOWN_KEY,
        "keys": keys,
        "cases": cases,
        "seedUrls": seed_urls(cli_server.url),
    }
    done = subprocess.run(
        ["node", "matrix.mjs"],
        cwd=node_sdks,
        input=json.dumps(data),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return Report(sdk, json.loads(done.stdout), keys, cli_server.url)


def test_trigger_is_processed_and_recorded(report: Report) -> None:
    result = report.value("trigger")
    assert (result["acknowledged"], result["status"]) == (True, "processed")
    (record,) = report.admin("trigger").triggers()
    assert record["transactionId"] == result["transactionId"]
    assert record["payload"] == PAYLOAD


def test_bulk_takes_every_recipient_shape(report: Report) -> None:
    results = report.value("bulkRecipients")
    assert [r["status"] for r in results] == ["processed"] * len(RECIPIENT_SHAPES)
    records = report.admin("bulkRecipients").triggers()
    assert [r["transactionId"] for r in records] == [r["transactionId"] for r in results]
    for (shape, _), record in zip(RECIPIENT_SHAPES, records, strict=True):
        assert set(record["recipients"]) == RECIPIENTS_REACHED[shape], shape


def test_bulk_answers_every_documented_status(report: Report) -> None:
    results = report.value("bulkStatuses")
    assert [r["status"] for r in results] == [status for status, _ in STATUS_EVENTS]
    events = NODE_INPUT["statusEvents"]
    assert [r["transactionId"] for r in results] == [e["transactionId"] for e in events]
    unknown = results[[e["name"] for e in events].index("no-such-workflow")]
    assert unknown["error"] == ["workflow_not_found"]


def test_broadcast_is_processed(report: Report) -> None:
    assert report.value("broadcast")["status"] == "processed"
    (record,) = report.admin("broadcast").triggers()
    assert record["source"] == "broadcast"


def test_cancel_answers_true_then_false(report: Report) -> None:
    assert report.value("cancel") == [True, False]
    (record,) = report.admin("cancel").triggers()
    assert record["canceled"] is True


def test_bulk_over_100_events_is_a_validation_error(report: Report) -> None:
    error = report.error("tooManyEvents")
    if report.sdk == "@novu/api":
        assert error["typed"] == "ValidationErrorDto"
    else:
        assert error["name"] == "AxiosError"
    assert error["statusCode"] == 422
    body = error["body"]
    assert body["errors"]["events"]["messages"] == ["events must contain no more than 100 elements"]
    assert {"statusCode", "timestamp", "path", "message", "ctx"} <= body.keys()


def test_unknown_key_is_401(report: Report) -> None:
    error = report.error("badKey")
    assert error.get("typed", "ErrorDto") == "ErrorDto"
    assert error["statusCode"] == 401
    assert error["body"]["message"] == "API Key not found"


@pytest.mark.parametrize("case", ["subscriberIdMissingTrigger", "subscriberIdMissingBulk"])
def test_subscriber_id_missing_breaks_novu_api_only(report: Report, case: str) -> None:
    """@novu/api's zod enum lacks this status (contract D4); @novu/node does not validate."""
    if report.sdk == "@novu/api":
        error = report.error(case)
        assert (error["typed"], error["statusCode"]) == ("ResponseValidationError", 201)
    else:
        value = report.value(case)
        result = value if case.endswith("Trigger") else value[0]
        assert (result["status"], result["transactionId"]) == ("subscriber_id_missing", "sim-1")


def test_trailing_slash_base_url(report: Report) -> None:
    trigger, bulk, cancel = report.value("trailingSlash")
    assert trigger["status"] == "processed"
    assert [r["status"] for r in bulk] == ["processed"]
    assert cancel is False
    paths = [r["path"] for r in report.admin("trailingSlash").requests()]
    # @novu/node joins `${backendUrl}/v1`; @novu/api resolves paths with `new URL`.
    prefix = "//v1" if report.sdk == "@novu/node" else "/v1"
    assert paths == [
        f"{prefix}/events/trigger",
        f"{prefix}/events/trigger/bulk",
        f"{prefix}/events/trigger/none",
    ]


def test_integrations_create_primary_deactivate_delete(report: Report) -> None:
    result = report.value("integrations")
    created, primary, updated = result["created"], result["primary"], result["updated"]
    assert (created["identifier"], created["active"], created["primary"]) == (
        "sdk-mailgun",
        True,
        False,  # the bundled sendgrid integration is the email primary
    )
    assert created["credentials"] in (None, {})  # never echoed
    assert (primary["primary"], primary["active"]) == (True, True)
    assert "sdk-mailgun" in [i["identifier"] for i in result["active"]]
    assert (updated["active"], updated["primary"]) == (False, False)
    listed = {i["identifier"]: i for i in result["listed"]}
    assert listed["sendgrid"]["primary"] is False  # set-primary took the flag, nobody got it back
    assert "sdk-mailgun" not in [i["identifier"] for i in result["rest"]]
    if report.sdk == "@novu/node":
        assert result["webhook"] is True
    state = {i["identifier"]: i for i in report.admin("integrations").state()["integrations"]}
    assert "sdk-mailgun" not in state and state["sendgrid"]["credentials"]["apiKey"] == "SG.mock"


def test_delivery_read_apis_through_novu_api(report: Report) -> None:
    """Every read endpoint of DESIGN 9 parses in @novu/api and answers what was delivered."""
    value = report.value("delivery")
    if report.sdk != "@novu/api":
        assert value is None
        return
    txn = value["txn"]
    messages = value["messages"]
    assert messages["totalCount"] == 3 and messages["hasMore"] is False
    by_channel = {m["channel"]: m for m in messages["data"]}
    assert (
        by_channel["email"]["subject"] == "Order 42"
        and by_channel["email"]["content"] == "<p>42</p>"
    )
    assert by_channel["sms"]["content"] == "Order 42 ready"
    assert {m["transactionId"] for m in messages["data"]} == {txn}
    assert sorted(n["subscriber"]["subscriberId"] for n in value["activity"]["data"]) == [
        "nomail",
        "sam",
    ]
    notification = value["notification"]
    assert notification["transactionId"] == txn and len(notification["jobs"]) == 3
    nomail = next(
        n for n in value["activity"]["data"] if n["subscriber"]["subscriberId"] == "nomail"
    )
    email_job = next(j for j in nomail["jobs"] if j["type"] == "email")
    assert email_job["status"] == "failed"
    assert email_job["executionDetails"][-1]["detail"] == "Subscriber missing recipient details"
    assert [i["content"] for i in value["feed"]["data"]] == ["Order 42"]
    assert value["unseen"]["count"] == 1 and value["unseenAfter"]["count"] == 0
    assert [(m["read"], m["seen"]) for m in value["marked"]] == [(True, True)]
    assert value["markedAll"] == 1
    assert value["action"]["cta"]["action"]["status"] == "done"
    assert value["deleted"] == {"acknowledged": True, "status": "deleted"}
    assert sorted(m["channel"] for m in value["left"]["data"]) == ["in_app", "in_app"]
