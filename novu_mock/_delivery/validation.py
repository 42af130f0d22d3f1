"""Fixture checks of step content: templates that parse, conditions that are JSON Logic,
workflow preferences in Novu's shape. Each problem names its path inside the document."""

from __future__ import annotations

import json
from typing import Any

from .conditions import condition_problems
from .templates import template_problem

CHANNELS = ("in_app", "email", "sms", "chat", "push")


def _show(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def template_check(value: Any, path: str, problems: list[str]) -> None:
    problem = template_problem(value)
    if problem is not None:
        problems.append(f"{path}: {problem}")


def redirect_check(value: Any, path: str, problems: list[str]) -> None:
    if not isinstance(value, dict):
        problems.append(f"{path}: expected a mapping with url; got {_show(value)}")
        return
    for key, item in value.items():
        if key == "url":
            template_check(item, f"{path}.url", problems)
        elif key == "target":
            if not isinstance(item, str):
                problems.append(f"{path}.target: expected a string; got {_show(item)}")
        else:
            problems.append(f"{path}.{key}: unknown key; expected one of url, target")


def _pointer_path(pointer: str) -> str:
    out = ""
    for part in pointer.split("/")[1:] if pointer else []:
        part = part.replace("~1", "/").replace("~0", "~")
        out += f"[{part}]" if part.isdigit() else f".{part}"
    return out


def conditions_check(value: Any, path: str, problems: list[str]) -> None:
    for problem in condition_problems(value):
        pointer, _, message = problem.partition(": ")
        problems.append(f"{path}{_pointer_path(pointer)}: {message}")


def preferences_check(value: Any, path: str, problems: list[str]) -> None:
    """Novu's workflow preferences: `all: {enabled, readOnly}`, `channels: {<ch>: {enabled}}`."""
    if not isinstance(value, dict):
        problems.append(f"{path}: expected a mapping; got {_show(value)}")
        return
    for key, item in value.items():
        where = f"{path}.{key}"
        if key == "all":
            if not isinstance(item, dict):
                problems.append(f"{where}: expected a mapping; got {_show(item)}")
                continue
            for name, flag in item.items():
                if name not in ("enabled", "readOnly"):
                    problems.append(
                        f"{where}.{name}: unknown key; expected one of enabled, readOnly"
                    )
                elif not isinstance(flag, bool):
                    problems.append(f"{where}.{name}: expected true or false; got {_show(flag)}")
        elif key == "channels":
            if not isinstance(item, dict):
                problems.append(f"{where}: expected a mapping; got {_show(item)}")
                continue
            for channel, setting in item.items():
                at = f"{where}.{channel}"
                if channel not in CHANNELS:
                    problems.append(f"{at}: unknown channel; expected one of {', '.join(CHANNELS)}")
                elif not (
                    isinstance(setting, dict)
                    and set(setting) <= {"enabled"}
                    and isinstance(setting.get("enabled", True), bool)
                ):
                    problems.append(f"{at}: expected {{enabled: true|false}}; got {_show(setting)}")
        else:
            problems.append(f"{where}: unknown key; expected one of all, channels")
