"""How two answers to one call are compared (DESIGN section 11): what counts as drift and how a
difference names its place."""

from __future__ import annotations

from typing import Any

from novu_mock._proxy.drift import compare

JSON = [("content-type", "application/json")]
LIMITED = [*JSON, ("RateLimit-Limit", "600"), ("RateLimit-Policy", "x")]


def diff(
    upstream: Any,
    mock: Any,
    status: tuple[int, int] = (200, 200),
    headers: tuple[list[tuple[str, str]], list[tuple[str, str]]] = (JSON, JSON),
) -> list[dict[str, Any]]:
    differences, _ = compare(status[0], headers[0], upstream, status[1], headers[1], mock)
    return differences


def test_ids_timestamps_and_other_values_are_not_drift() -> None:
    upstream = {"data": {"_id": "a" * 24, "createdAt": "2025-01-01T00:00:00.000Z", "n": 3}}
    mock = {"data": {"_id": "b" * 24, "createdAt": "2026-12-01T15:00:00.000Z", "n": 7}}
    assert diff(upstream, mock) == []


def test_statuses_and_messages_are_compared_exactly_but_ids_inside_them_are_not() -> None:
    message = "Tenant with identifier: t does not exist under environment {}"
    upstream = {"message": message.format("0a67b74216568200da7514a1"), "statusCode": 404}
    mock = {"message": message.format("7b5e9f9ae19905a2283cf4fa"), "statusCode": 404}
    assert diff(upstream, mock, (404, 404)) == []
    assert diff({"message": "Not found"}, {"message": "Missing"}, (404, 404)) == [
        {"at": "$.message", "upstream": "Not found", "mock": "Missing"}
    ]
    assert diff({"data": {"status": "a"}}, {"data": {"status": "b"}}) == [
        {"at": "$.data.status", "upstream": "a", "mock": "b"}
    ]


def test_shapes_name_types_and_absent_keys() -> None:
    upstream = {"data": {"name": None, "only-upstream": [1], "tags": []}}
    mock = {"data": {"name": "x", "tags": {}, "onlyMock": True}}
    assert diff(upstream, mock) == [
        {"at": "$.data.name", "upstream": "null", "mock": "string"},
        {"at": "$.data['only-upstream']", "upstream": "array", "mock": "absent"},
        {"at": "$.data.tags", "upstream": "array", "mock": "object"},
        {"at": "$.data.onlyMock", "upstream": "absent", "mock": "boolean"},
    ]


def test_lists_of_other_lengths_compare_their_first_items_shapes() -> None:
    upstream = {"data": [{"subscriberId": "a", "email": "a@x"}, {"subscriberId": "b"}]}
    mock = {"data": [{"subscriberId": "c", "status": "other"}]}
    assert diff(upstream, mock) == [
        {"at": "$.data[*].email", "upstream": "string", "mock": "absent"},
        {"at": "$.data[*].status", "upstream": "absent", "mock": "string"},
    ]
    assert diff({"data": []}, {"data": [{"x": 1}]}) == []


def test_a_status_difference_says_what_each_side_said() -> None:
    upstream = {"statusCode": 404, "message": "Workflow not found"}
    mock = {"data": {"acknowledged": True}}
    assert diff(upstream, mock, (404, 201)) == [
        {"at": "status", "upstream": 404, "mock": 201},
        {"at": "$.message", "upstream": "Workflow not found", "mock": None},
    ]


def test_novu_headers_are_compared_by_presence() -> None:
    assert diff({}, {}, headers=(LIMITED, [*LIMITED[:1], ("ratelimit-limit", "1")])) == [
        {"at": "headers.ratelimit-policy", "upstream": "present", "mock": "absent"}
    ]
    assert diff({}, {}, headers=([*JSON, ("x-other", "1")], JSON)) == []


def test_a_yes_or_no_answer_is_compared_exactly() -> None:
    assert diff({"data": True}, {"data": False}) == [
        {"at": "$.data", "upstream": True, "mock": False}
    ]
    assert diff({"data": {"read": True}}, {"data": {"read": False}}) == []


def test_generated_ids_found_at_the_same_place_are_paired() -> None:
    up_txn, mock_txn = "0f8fad5b-d9cb-469f-a165-70867728950e", "txn_" + "b" * 24
    up_id, mock_id = "a" * 24, "c" * 24
    differences, ids = compare(
        201,
        JSON,
        {"data": {"transactionId": up_txn, "_id": "same", "job": {"_notificationId": up_id}}},
        201,
        JSON,
        {"data": {"transactionId": mock_txn, "_id": "same", "job": {"_notificationId": mock_id}}},
    )
    assert differences == []
    assert ids == [(up_txn, mock_txn), (up_id, mock_id)]


def test_names_the_caller_chose_are_never_paired() -> None:
    """Two different subscribers at the same place (the stores differ) are not one thing under
    two ids: mapping one name to the other would send later calls to the wrong subscriber."""
    _, ids = compare(
        200,
        JSON,
        {"data": [{"subscriberId": "ada", "_id": "a" * 24}]},
        200,
        JSON,
        {"data": [{"subscriberId": "bob", "_id": "b" * 24}]},
    )
    assert ids == []
