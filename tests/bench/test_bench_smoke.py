"""The benchmarks still run: each in its tiny --smoke mode, as the one command people type.

These are not timed tests (the figures are in docs/benchmarks.md); they prove that the load
generator, the bare app, the stand-in and retrobot still fit together and that the work the
benchmark asks for is really done (each benchmark exits 1 otherwise).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(params=["sqlite", "postgresql"])
def database_args(request: pytest.FixtureRequest) -> list[str]:
    """No argument (SQLite), or the PostgreSQL server of TEST_DATABASE_URL (the benchmark makes
    a scratch database of its own there and drops it)."""
    if request.param == "sqlite":
        return []
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.skip("TEST_DATABASE_URL is not set: PostgreSQL tests skipped")
    return ["--database-url", url]


def run_benchmark(script: str, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "RETROBOT_"))}
    done = subprocess.run(
        [sys.executable, str(REPO / "bench" / script), "--smoke", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    return done.stdout


def test_the_ack_benchmark_runs_and_every_request_does_its_work(database_args: list[str]) -> None:
    out = run_benchmark("ack_bench.py", *database_args)
    assert "| saturated throughput (4 connections) |" in out
    assert "| p99 ack at 20 req/s |" in out
    assert "CPU: " in out and "Python: " in out and "Database: " in out
    assert "PROBLEM" not in out


def test_the_memory_benchmark_measures_a_serving_worker(database_args: list[str]) -> None:
    out = run_benchmark("memory_bench.py", *database_args)
    assert "| RSS after serving |" in out
    assert "CPU: " in out and "Database: " in out


def test_the_fanout_with_a_third_off_shift_messages_none_of_them() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "RETROBOT_"))}
    done = subprocess.run(
        [
            sys.executable,
            str(REPO / "bench" / "checkin_fanout.py"),
            *("--members", "300", "--rate", "600", "--off-shift", "0.34"),
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr  # 1: someone off shift was messaged
    assert "100 off shift, 200 on shift" in done.stdout
    assert "DMs to anyone off shift: 0 (target none)" in done.stdout
    assert "at most 50 people each" in done.stdout


def test_the_trickle_benchmark_measures_signed_requests_beside_slow_clients() -> None:
    out = run_benchmark("trickle_bench.py")
    assert "| p99 of signed requests |" in out
    assert "| answered / failed |" in out  # and none failed: it exits 1 otherwise
    assert "slow clients: {'opened': 10}" in out
    assert "CPU: " in out and "Database: " in out
