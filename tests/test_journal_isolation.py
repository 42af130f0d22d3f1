"""The journal limit applies per environment (issue 11): on a server shared by parallel CI jobs,
one key's bulk of 100 under a limit of 50 leaves another key's record, and its cancel, alone."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack

import httpx
import pytest

from novu_mock import NOVU_BASE_URLS, NovuMock, bundled


@pytest.fixture(params=["inprocess", "http"])
def client(request: pytest.FixtureRequest) -> Iterator[httpx.Client]:
    # `welcome` waits an hour first, so that B's trigger has pending work for its cancel to
    # find (contract D10 revised).
    later = {
        "workflowId": "welcome",
        "steps": [{"type": "delay", "amount": 1, "unit": "hours"}, {"type": "in_app"}],
    }
    mock = NovuMock([bundled(), {"workflows": [later]}], journal_limit=50)
    with ExitStack() as stack:
        if request.param == "inprocess":
            stack.enter_context(mock.intercept())
            base = NOVU_BASE_URLS[0]
        else:
            base = stack.enter_context(mock.serve()).url
        yield stack.enter_context(httpx.Client(base_url=base))


def test_a_bulk_of_100_under_limit_50_leaves_another_key_alone(client: httpx.Client) -> None:
    b = {"Authorization": "ApiKey job-b"}
    a = {"Authorization": "ApiKey job-a"}
    one = {"name": "welcome", "to": "user-b", "transactionId": "b-only"}
    assert client.post("/v1/events/trigger", json=one, headers=b).status_code == 201

    events = [{"name": "welcome", "to": f"user-{i}"} for i in range(100)]
    bulk = client.post("/v1/events/trigger/bulk", json={"events": events}, headers=a)
    assert bulk.status_code == 201

    a_records = client.get("/_mock/triggers", headers=a).json()["data"]
    assert len(a_records) == 50 and a_records[0]["bulkIndex"] == 50  # A keeps its newest 50
    (b_record,) = client.get("/_mock/triggers", headers=b).json()["data"]
    assert b_record["transactionId"] == "b-only" and b_record["canceled"] is False

    cancel = client.delete("/v1/events/trigger/b-only", headers=b)
    assert cancel.status_code == 200 and cancel.json() == {"data": True}
    (b_record,) = client.get("/_mock/triggers", headers=b).json()["data"]
    assert b_record["canceled"] is True
