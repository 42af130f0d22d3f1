"""Recipients, upserts, actor, tenant and topics (contract 5; decisions D4, D9)."""

from __future__ import annotations

from typing import Any

from conftest import Api


def send(api: Api, **event: Any) -> dict[str, Any]:
    body = {"name": "welcome", **event}
    response = api.post("/v1/events/trigger", body)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def subscriber(api: Api, subscriber_id: str) -> dict[str, Any] | None:
    found: dict[str, Any] | None = None
    for item in api.state()["subscribers"]:
        if item["subscriberId"] == subscriber_id:
            found = item
    return found


def last(api: Api) -> dict[str, Any]:
    return api.triggers()[-1]


def test_string_recipient_creates_the_subscriber(api: Api) -> None:
    # Novu's e2e "should fill trigger payload with default variables": a fresh id is created.
    assert subscriber(api, "fresh-1") is None
    send(api, to="fresh-1")
    assert subscriber(api, "fresh-1") == {"subscriberId": "fresh-1"}
    assert last(api)["recipients"] == ["fresh-1"]


def test_subscriber_object_is_created_with_its_fields(api: Api) -> None:
    # Novu's e2e "should create a subscriber based on event".
    send(
        api,
        to={"subscriberId": "new-2", "email": "n@example.com", "firstName": "N", "data": {"k": 1}},
    )
    assert subscriber(api, "new-2") == {
        "subscriberId": "new-2",
        "email": "n@example.com",
        "firstName": "N",
        "data": {"k": 1},
    }


def test_update_keeps_email_when_absent_and_replaces_data(api: Api) -> None:
    # Novu's e2e "should not unset a subscriber email".
    send(api, to={"subscriberId": "user-1", "firstName": "Augusta", "data": {"new": True}})
    stored = subscriber(api, "user-1")
    assert stored is not None
    assert stored["email"] == "ada@example.com"
    assert stored["firstName"] == "Augusta"
    assert stored["data"] == {"new": True}


def test_update_sets_email_when_present(api: Api) -> None:
    # Novu's e2e "should update a subscribers email if one dont exists".
    send(api, to={"subscriberId": "user-1", "email": "new@example.com"})
    stored = subscriber(api, "user-1")
    assert stored is not None and stored["email"] == "new@example.com"


def test_null_fields_other_than_email_do_not_overwrite(api: Api) -> None:
    send(api, to={"subscriberId": "user-1", "firstName": None, "email": None})
    stored = subscriber(api, "user-1")
    assert stored is not None
    assert stored["firstName"] == "Ada"
    assert stored["email"] is None


def test_mixed_array_with_topic_fans_out_and_dedupes(api: Api) -> None:
    send(
        api, to=["user-3", {"subscriberId": "user-1"}, {"type": "Topic", "topicKey": "beta-users"}]
    )
    assert last(api)["recipients"] == ["user-3", "user-1", "user-2"]


def test_bare_topic_object_works(api: Api) -> None:
    send(api, to={"type": "Topic", "topicKey": "beta-users"})
    assert last(api)["recipients"] == ["user-1", "user-2"]


def test_topic_type_is_case_sensitive(api: Api) -> None:
    send(api, to=[{"type": "topic", "topicKey": "beta-users"}, "user-3"])
    record = last(api)
    assert record["recipients"] == []
    assert any("subscriberId under property to is not configured" in n for n in record["notes"])


def test_topic_exclude_list_is_honoured(api: Api) -> None:
    send(api, to={"type": "Topic", "topicKey": "beta-users", "exclude": ["user-1"]})
    assert last(api)["recipients"] == ["user-2"]


def test_actor_is_excluded_from_topic_fan_out(api: Api) -> None:
    # Novu's e2e "should exclude actor from topic events trigger".
    send(api, to=[{"type": "Topic", "topicKey": "beta-users"}], actor="user-1")
    assert last(api)["recipients"] == ["user-2"]


def test_actor_addressed_directly_still_receives(api: Api) -> None:
    # Novu's e2e "should only exclude actor from topic, should send event if actor explicitly included".
    send(
        api,
        to=["user-1", {"type": "Topic", "topicKey": "beta-users"}],
        actor={"subscriberId": "user-1"},
    )
    assert last(api)["recipients"] == ["user-1", "user-2"]


def test_actor_is_upserted_like_a_recipient(api: Api) -> None:
    send(api, to="user-1", actor={"subscriberId": "actor-9", "firstName": "Act"})
    assert subscriber(api, "actor-9") == {"subscriberId": "actor-9", "firstName": "Act"}


def test_unknown_topic_answers_processed_with_a_note(api: Api) -> None:
    data = send(api, to=[{"type": "Topic", "topicKey": "no-topic"}, "user-1"])
    assert data["status"] == "processed"
    record = last(api)
    assert record["recipients"] == ["user-1"]
    assert record["notes"] == [
        "Novu's worker would raise 'Topic with key no-topic not found in current environment' "
        "after answering; nobody is reached through it"
    ]


def test_duplicate_transaction_id_is_processed_but_noted_and_not_delivered(api: Api) -> None:
    send(api, to="user-1", transactionId="same")
    data = send(api, to="user-2", transactionId="same")
    assert data["status"] == "processed"
    record = last(api)
    assert record["recipients"] == []
    assert "transactionId property is not unique" in record["notes"][0]


def test_invalid_items_of_an_array_are_dropped_with_a_note(api: Api) -> None:
    data = send(api, to=["user-1", "  ", {"email": "x@example.com"}])
    assert data["status"] == "processed"
    record = last(api)
    assert record["recipients"] == ["user-1"]
    assert len(record["notes"]) == 2
    assert record["notes"][0].startswith("Novu drops recipient to[1]")


def test_array_with_only_invalid_items_is_processed_with_nobody(api: Api) -> None:
    data = send(api, to=[" "])
    assert data["status"] == "processed"
    assert last(api)["recipients"] == []


def test_recipient_ids_are_trimmed(api: Api) -> None:
    send(api, to="  user-2  ")
    assert last(api)["recipients"] == ["user-2"]
    assert last(api)["to"] == "  user-2  "


def test_recipient_validation_can_be_switched_off(api: Api) -> None:
    api.seed({"settings": {"recipientValidation": False}})
    data = send(api, to=" ")
    assert data["status"] == "processed"
    data = send(api, to="")
    assert data["status"] == "processed"
    assert last(api)["recipients"] == []


def test_subscriber_object_without_id_with_validation_off_fails_whole_trigger_in_worker(
    api: Api,
) -> None:
    api.seed({"settings": {"recipientValidation": False}})
    send(api, to=["user-1", {"email": "x@example.com"}])
    record = last(api)
    assert record["recipients"] == []
    assert "subscriberId under property to is not configured" in record["notes"][0]


def test_tenant_object_updates_the_existing_tenant(api: Api) -> None:
    send(
        api,
        to="user-1",
        tenant={"identifier": "acme", "name": "Acme Corp", "data": {"tier": "pro"}},
    )
    tenant = next(t for t in api.state()["tenants"] if t["identifier"] == "acme")
    assert tenant == {"identifier": "acme", "name": "Acme Corp", "data": {"tier": "pro"}}


def test_no_side_effects_unless_processed(api: Api) -> None:
    data = send(api, name="status-inactive", to={"subscriberId": "ghost", "email": "g@example.com"})
    assert data["status"] == "trigger_not_active"
    assert subscriber(api, "ghost") is None
