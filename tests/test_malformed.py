"""The malformed-request catalogue (bench/malformed.py) against a live server it starts."""

from __future__ import annotations

import subprocess
import sys

from conftest import HERE


def test_catalogue_gets_novu_shaped_4xx_and_loses_nothing() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench.malformed"],
        cwd=HERE.parent,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    line = result.stdout.strip().splitlines()[-1]
    kinds = int(line.split(",")[0].split(": ")[1])
    assert kinds >= 30
    assert line.endswith("5xx: 0, server alive: yes, triggers lost: 0")
    assert "Traceback" not in result.stderr
