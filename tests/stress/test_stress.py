"""The stress scripts' short mode, run with the suite (the long mode: `python
tests/stress/stress.py --long`)."""

from __future__ import annotations

from . import stress


def test_load_loses_and_duplicates_nothing() -> None:
    figures = stress.load(clients=8, seconds=3)
    assert figures["events_answered_201"] > 0
    assert figures["lost"] == figures["duplicated"] == figures["unexpected"] == 0, figures
    assert figures["5xx"] == figures["transport_errors"] == 0, figures


def test_no_read_answers_5xx_after_any_accepted_hostile_write() -> None:
    figures = stress.hostile(rounds=60)
    assert figures["writes_accepted"] > 10
    assert figures["write_5xx"] == figures["read_5xx"] == 0, figures


def test_health_answers_while_slow_connections_exceed_the_open_files_limit() -> None:
    figures = stress.slow(connections=300, seconds=2, nofile=256)
    assert figures["health_failures"] == 0, figures
    assert figures["health_max_ms"] is not None and figures["health_max_ms"] < 1000, figures


def test_signals_with_a_held_fault_stop_at_once() -> None:
    figures = stress.signals(rounds=1)
    assert figures["all_exit_0"] and figures["all_one_stopped_line"], figures
    assert figures["max_seconds"] < 2 and figures["tracebacks"] == 0, figures
