"""Fixture files: formats, validation messages and `novu-mock check`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from novu_mock import FixtureError, NovuMock, bundled
from novu_mock._cli import main
from novu_mock._fixtures import load


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems(source: Any) -> list[str]:
    with pytest.raises(FixtureError) as caught:
        load([source])
    return caught.value.problems


def test_bundled_fixtures_are_valid() -> None:
    fixtures = load([bundled("default.yaml"), bundled("statuses.yaml")])
    assert [len(f.document["workflows"]) for f in fixtures] == [4, 6]


def test_yaml_and_json_load_the_same(tmp_path: Path) -> None:
    doc = {
        "workflows": [{"workflowId": "w", "steps": [{"type": "sms"}]}],
        "settings": {"recipientValidation": False},
    }
    as_json = write(tmp_path, "f.json", json.dumps(doc))
    as_yaml = write(
        tmp_path,
        "f.yaml",
        "workflows:\n  - workflowId: w\n    steps: [{type: sms}]\nsettings: {recipientValidation: false}\n",
    )
    assert load([as_json])[0].document == load([as_yaml])[0].document == doc


def test_step_type_message_names_file_path_and_expectation(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "x.yaml",
        "workflows:\n  - workflowId: a\n  - workflowId: b\n  - workflowId: c\n    steps:\n      - type: mail\n",
    )
    assert problems(path) == [
        f"{path}: workflows[2].steps[0].type: expected one of in_app, email, sms, chat, push, "
        'digest, delay, custom; got "mail"'
    ]


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (
            {"workflow": []},
            "workflow: unknown key; expected one of apiKeys, workflows, subscribers, tenants, topics, outcomes, settings, rateLimits",
        ),
        ({"workflows": [{}]}, "workflows[0].workflowId: required key missing"),
        (
            {"workflows": [{"workflowId": "w", "active": "yes"}]},
            'workflows[0].active: expected true or false; got "yes"',
        ),
        (
            {"subscribers": [{"subscriberId": ""}]},
            'subscribers[0].subscriberId: expected a non-empty string; got ""',
        ),
        (
            {"topics": [{"key": "t", "subscribers": ["ghost"]}]},
            'topics[0].subscribers[0]: expected the subscriberId of a subscriber in the fixtures; got "ghost"',
        ),
        (
            {"workflows": [{"workflowId": "w", "tenantOverrides": {"nobody": {"active": False}}}]},
            'workflows[0].tenantOverrides.nobody: expected the identifier of a tenant in the fixtures; got "nobody"',
        ),
        (
            {"outcomes": [{"when": {"workflowId": "w"}, "status": "failed"}]},
            'outcomes[0].status: expected one of processed, error, trigger_not_active, no_workflow_steps_defined, no_workflow_active_steps_defined, no_tenant_found, invalid_recipients, subscriber_id_missing; got "failed"',
        ),
        (
            {"rateLimits": {"trigger": 0}},
            "rateLimits.trigger: expected a positive number of requests per second, at most 1,000,000; got 0",
        ),
        (
            {"workflows": [{"workflowId": "w", "payloadSchema": {"type": "bogus"}}]},
            "workflows[0].payloadSchema: expected a valid JSON Schema;",
        ),
        (
            {"workflows": [{"workflowId": "w"}, {"workflowId": "w"}]},
            'workflows[1].workflowId: expected a unique value; "w" is already used by workflows[0]',
        ),
    ],
)
def test_validation_messages(doc: Any, message: str) -> None:
    found = problems(doc)
    assert len(found) == 1
    assert found[0].startswith("<fixture document 0>: ")
    assert message in found[0]


def test_a_file_that_is_not_a_mapping(tmp_path: Path) -> None:
    path = write(tmp_path, "list.yaml", "- a\n")
    assert problems(path) == [f'{path}: expected a mapping; got ["a"]']


def test_a_source_that_is_neither_path_nor_document() -> None:
    assert problems(42) == ["<fixture 0>: expected a path or a fixture document (a dict); got int"]


def test_references_resolve_across_files(tmp_path: Path) -> None:
    subs = write(tmp_path, "subs.yaml", "subscribers: [{subscriberId: s1}]\n")
    topics = write(tmp_path, "topics.yaml", "topics: [{key: t, subscribers: [s1]}]\n")
    assert len(load([subs, topics])) == 2


def test_invalid_yaml_and_missing_file_are_reported(tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.yaml", "workflows: [\n")
    assert problems(bad)[0].startswith(f"{bad}: not valid YAML")
    assert problems(tmp_path / "missing.yaml")[0].startswith(
        f"{tmp_path / 'missing.yaml'}: cannot read"
    )


def test_check_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(bundled()), str(bundled("statuses.yaml"))]) == 0
    assert (
        "default.yaml: ok (4 workflows, 3 subscribers, 1 tenants, 1 topics, 0 outcomes)"
        in capsys.readouterr().out
    )
    bad = write(tmp_path, "x.yaml", "workflows: [{workflowId: a, steps: [{type: mail}]}]\n")
    assert main(["check", str(bad)]) == 1
    assert "workflows[0].steps[0].type: expected one of" in capsys.readouterr().err


def test_mutating_a_fixture_dict_later_does_not_reach_the_stores() -> None:
    doc: dict[str, Any] = {"subscribers": [{"subscriberId": "s", "data": {"a": 1}}]}
    mock = NovuMock([doc])
    doc["subscribers"][0]["data"]["a"] = 2
    state = mock.engine.state("k")
    assert state["subscribers"][0]["data"] == {"a": 1}


def test_state_round_trips_as_a_fixture_document() -> None:
    mock = NovuMock([bundled(), bundled("statuses.yaml")])
    state = mock.engine.state("k")
    again = NovuMock([state]).engine.state("k")
    assert again == state
