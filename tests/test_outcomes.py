"""Forced outcomes from fixtures (DESIGN section 5)."""

from __future__ import annotations

from conftest import Api


def test_all_keys_of_when_must_match(api: Api) -> None:
    api.seed(
        {
            "outcomes": [
                {
                    "when": {"workflowId": "welcome", "tenant": "acme"},
                    "status": "trigger_not_active",
                }
            ]
        }
    )
    plain = api.post("/v1/events/trigger", {"name": "welcome", "to": "user-1"}).json()["data"]
    assert plain["status"] == "processed"
    both = api.post(
        "/v1/events/trigger", {"name": "welcome", "to": "user-1", "tenant": {"identifier": "acme"}}
    ).json()["data"]
    assert both["status"] == "trigger_not_active"
    assert api.triggers()[-1]["forced"] is True


def test_subscriber_id_matches_after_topic_fan_out_but_not_the_actor(api: Api) -> None:
    api.seed(
        {"outcomes": [{"when": {"subscriberId": "user-2"}, "status": "error", "error": ["boom"]}]}
    )
    topic = {"type": "Topic", "topicKey": "beta-users"}
    fanned = api.post("/v1/events/trigger", {"name": "welcome", "to": topic}).json()["data"]
    assert fanned["status"] == "error"
    assert fanned["error"] == ["boom"]
    actor_only = api.post(
        "/v1/events/trigger", {"name": "welcome", "to": topic, "actor": "user-2"}
    ).json()["data"]
    assert actor_only["status"] == "processed"


def test_transaction_id_outcome_and_no_side_effects(api: Api) -> None:
    api.seed({"outcomes": [{"when": {"transactionId": "t-forced"}, "status": "no_tenant_found"}]})
    data = api.post(
        "/v1/events/trigger",
        {"name": "no-such-workflow", "to": "brand-new", "transactionId": "t-forced"},
    ).json()["data"]
    assert data == {"acknowledged": True, "status": "no_tenant_found", "transactionId": "t-forced"}
    assert "brand-new" not in [s["subscriberId"] for s in api.state()["subscribers"]]


def test_forced_processed_does_the_side_effects(api: Api) -> None:
    api.seed({"outcomes": [{"when": {"workflowId": "status-inactive"}, "status": "processed"}]})
    data = api.post("/v1/events/trigger", {"name": "status-inactive", "to": "made-up"}).json()[
        "data"
    ]
    assert data["status"] == "processed"
    assert "made-up" in [s["subscriberId"] for s in api.state()["subscribers"]]
    assert api.triggers()[-1]["recipients"] == ["made-up"]


def test_forced_processed_on_a_workflow_the_environment_lacks(api: Api) -> None:
    """An outcome may name any workflowId: forced `processed` on one the environment does not
    have stores the recipient and answers, and delivers nothing (it was a 500)."""
    api.seed({"outcomes": [{"when": {"workflowId": "no-such-workflow"}, "status": "processed"}]})
    response = api.post("/v1/events/trigger", {"name": "no-such-workflow", "to": "made-up"})
    assert response.status_code == 201, response.text
    assert response.json()["data"]["status"] == "processed"
    record = api.triggers()[-1]
    assert record["forced"] is True and record["recipients"] == ["made-up"]
    assert api.get("/v1/messages").json()["totalCount"] == 0


def test_outcomes_apply_to_bulk_events(api: Api) -> None:
    events = [{"name": "status-forced-error", "to": "u"}, {"name": "welcome", "to": "u"}]
    data = api.post("/v1/events/trigger/bulk", {"events": events}).json()["data"]
    assert data[0]["status"] == "error"
    assert data[0]["error"] == ["simulated failure"]
    assert "transactionId" in data[0]
    assert data[1]["status"] == "processed"
