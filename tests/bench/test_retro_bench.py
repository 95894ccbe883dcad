"""The retrospective benchmark still runs, in its tiny --smoke mode (figures: docs/benchmarks.md).

Not a timed test: it proves the stand-in, the scheduler's job and the close still fit together,
and that every member got exactly one DM (the benchmark exits 1 otherwise).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_the_retrospective_benchmark_opens_every_team_and_closes_one() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "RETROBOT_"))}
    done = subprocess.run(
        [sys.executable, str(REPO / "bench" / "retro_bench.py"), "--smoke"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    assert "one pass of the scheduler's job opens 3 and sends 36 Reflect DMs" in done.stdout
    assert "duplicates 0, missing 0" in done.stdout
    assert "Closing one retrospective of 12 with 100 reflections and 36 votes" in done.stdout
