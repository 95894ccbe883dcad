"""The roles benchmark still runs, in its tiny --smoke mode, and rotates every team."""

from __future__ import annotations

from tests.bench.test_bench_smoke import run_benchmark


def test_the_roles_benchmark_rotates_every_teams_facilitator() -> None:
    out = run_benchmark("roles_bench.py")
    assert "- Tick: median" in out and "target under 5 s: met" in out
    assert "SQL statements per batch: median 8 " in out
    assert "Database: SQLite" in out
